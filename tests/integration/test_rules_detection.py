"""FLOE201: columns that look like personal data but carry no classification."""

from __future__ import annotations

from typing import Any

from tests.integration.rules_support import (
    ParsedProject,
    of_rule,
    one,
)


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


def test_ignore_list_and_switch(findings_project: ParsedProject) -> None:
    def ignore(data: dict[str, Any]) -> None:
        data["governance"]["pii_detection"] = {"ignore": ["stg_*.last_login_*"]}

    def disable(data: dict[str, Any]) -> None:
        data["governance"]["pii_detection"] = {"enabled": False}

    assert of_rule(findings_project.reevaluate(ignore), "FLOE201") == []
    assert of_rule(findings_project.reevaluate(disable), "FLOE201") == []


def test_configured_patterns(clean_project: ParsedProject) -> None:
    def country_is_personal(data: dict[str, Any]) -> None:
        data["governance"]["pii_detection"] = {"name_patterns": {"geolocation": "^country$"}}

    result = clean_project.reevaluate(country_is_personal)
    found = {(f.model, f.column) for f in of_rule(result, "FLOE201")}
    assert ("stg_customers", "country") in found
    # customers.country and orders.country are not classified either: all three reported.
    assert {("customers", "country"), ("orders", "country")} <= found

    def no_defaults(data: dict[str, Any]) -> None:
        data["governance"]["pii_detection"] = {"use_default_patterns": False}

    assert of_rule(clean_project.reevaluate(no_defaults), "FLOE201") == []
