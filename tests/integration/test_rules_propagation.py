"""FLOE301/FLOE302: classified data followed through column-level lineage of compiled SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.governance.result import CheckResult
from tests.integration.rules_support import (
    EXAMPLE_FINDINGS,
    ParsedProject,
    check,
    edited_copy,
    of_rule,
    one,
)


def test_pii_renamed_through_a_cte_is_caught_with_its_path(
    findings_project: ParsedProject,
) -> None:
    finding = one(of_rule(findings_project.result, "FLOE301"), column="contact_email")
    assert finding.model == "customer_contacts"
    assert finding.lineage_path == ["stg_customers.email", "customer_contacts.contact_email"]
    assert "path: stg_customers.email -> customer_contacts.contact_email" in finding.message
    assert finding.file == "models/marts/_marts.yml"
    assert "classification: pii, pii_type: email, sensitivity: high" in (finding.hint or "")


def test_pii_renamed_through_a_join_is_caught_in_the_sql(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE301"), column="buyer_contact")
    assert finding.lineage_path == ["stg_customers.email", "orders.buyer_contact"]
    # Not declared in any YAML: located at its alias in the model's SQL.
    assert finding.file == "models/marts/orders.sql"
    line = (findings_project.path / finding.file).read_text().splitlines()[finding.line - 1]
    assert line[finding.column_number - 1 :].startswith("buyer_contact")


def test_waived_propagation_is_kept_with_its_reason(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE301", waived=True))
    assert finding.column == "email_domain"
    assert finding.waiver_reason and "identifies nobody" in finding.waiver_reason
    assert findings_project.result.counts()["waived"] == 1


def test_classified_derivations_pass(clean_project: ParsedProject) -> None:
    # customers.full_name = first_name || last_name and customers.email are classified.
    assert of_rule(clean_project.result, "FLOE301") == []
    assert of_rule(clean_project.result, "FLOE302") == []
    assert clean_project.result.stats.columns_with_lineage > 0


def test_unresolved_lineage_is_reported_not_guessed(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE302"))
    assert finding.model == "customer_scores"
    assert finding.file == "models/marts/customer_scores.py"
    assert "python model" in finding.message


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> CheckResult:
    """shop-findings with the lineage findings fixed, one weakened on purpose."""
    project = edited_copy(
        EXAMPLE_FINDINGS,
        tmp_path_factory.mktemp("fixed") / "shop-findings",
        {
            "models/marts/_marts.yml": (
                "      - name: contact_email\n",
                "      - name: contact_email\n"
                "        meta: {floe: {classification: pii, sensitivity: low}}\n",
            ),
            "models/marts/orders.sql": ("c.email as buyer_contact", "c.country as buyer_country"),
            # Reads only an unclassified seed: nothing can escape through it.
            "models/marts/customer_scores.py": (
                'dbt.ref("stg_customers")',
                'dbt.ref("raw_orders")',
            ),
        },
    )
    return check(project)


def test_a_weaker_classification_still_fires(fixed: CheckResult) -> None:
    finding = one(of_rule(fixed, "FLOE301"), column="contact_email")
    assert "weaker than its source" in finding.message
    assert all(f.column != "buyer_country" for f in of_rule(fixed, "FLOE301"))


def test_unresolved_model_without_classified_upstream_is_not_reported(
    fixed: CheckResult,
) -> None:
    assert of_rule(fixed, "FLOE302") == []


def test_chains_report_the_whole_path(tmp_path: Path) -> None:
    project = edited_copy(
        EXAMPLE_FINDINGS,
        tmp_path / "chain",
        {"models/marts/orders.sql": ("c.country,\n", "c.country,\n    c.phone as buyer_phone,\n")},
    )
    (project / "models" / "marts" / "order_calls.sql").write_text(
        "select order_id, buyer_phone as callback_number from {{ ref('orders') }}\n"
    )
    finding = one(of_rule(check(project), "FLOE301"), column="callback_number")
    assert finding.lineage_path == [
        "stg_customers.phone",
        "orders.buyer_phone",
        "order_calls.callback_number",
    ]
