"""FLOE201 on the examples as `dbt parse` reads them (the rule itself:
tests/unit/test_rules_detection.py)."""

from __future__ import annotations

from tests.integration.rules_support import ParsedProject, of_rule


def test_likely_pii_columns_are_reported(findings_project: ParsedProject) -> None:
    # stg_customers.last_login_ip, and the seed column it is selected from: neither is
    # classified (the seed's other personal columns are, where stg_customers takes them in).
    found = {f.node_id: f for f in of_rule(findings_project.result, "FLOE201")}
    assert set(found) == {"model.shop_findings.stg_customers", "seed.shop_findings.raw_customers"}
    for finding in found.values():
        assert finding.column == "last_login_ip" and finding.severity == "warning"
        assert "(ip_address, from its name)" in finding.message
    model = found["model.shop_findings.stg_customers"]
    assert model.file == "models/staging/_staging.yml" and model.line is not None
    assert found["seed.shop_findings.raw_customers"].file == "seeds/raw_customers.csv"


def test_classified_and_inherited_columns_are_not_reported(
    findings_project: ParsedProject, clean_project: ParsedProject
) -> None:
    # email, phone, first_name... are classified, in stg_customers, which takes them in from
    # the seed; customer_contacts.contact_email inherits (FLOE301 reports it instead).
    assert of_rule(clean_project.result, "FLOE201") == []
    assert all(f.column != "contact_email" for f in of_rule(findings_project.result, "FLOE201"))
