"""FLOE301/FLOE302 on the examples: lineage of the SQL dbt compiles, located in the real files.

The rules themselves (weaker classifications, chains, models without classified upstream):
tests/unit/test_rules_propagation.py.
"""

from __future__ import annotations

from tests.integration.rules_support import ParsedProject, of_rule, one


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
