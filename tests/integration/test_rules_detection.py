"""FLOE201 on the examples as `dbt parse` reads them (the rule itself:
tests/unit/test_rules_detection.py)."""

from __future__ import annotations

from tests.integration.rules_support import ParsedProject, of_rule, one


def test_likely_pii_column_is_reported(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE201"))
    assert (finding.model, finding.column) == ("stg_customers", "last_login_ip")
    assert "ip_address" in finding.message and finding.severity == "warning"
    assert finding.file == "models/staging/_staging.yml" and finding.line is not None


def test_classified_and_inherited_columns_are_not_reported(
    findings_project: ParsedProject, clean_project: ParsedProject
) -> None:
    # email, phone, first_name... are classified; customer_contacts.contact_email inherits
    # (FLOE301 reports it instead).
    assert of_rule(clean_project.result, "FLOE201") == []
    assert all(f.column != "contact_email" for f in of_rule(findings_project.result, "FLOE201"))
