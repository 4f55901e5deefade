"""FLOE401/FLOE402: classified data served by Cube, and Cube selections that select nothing."""

from __future__ import annotations

from typing import Any

from floe_ci.governance.evaluate import CheckOptions
from tests.integration.rules_support import (
    ParsedProject,
    of_rule,
    one,
)


def test_classified_column_served_without_protection(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE401"))
    assert (finding.model, finding.column) == ("customers", "country")
    assert "production action `synthesize`" in finding.message
    assert finding.file == "models/marts/_marts.yml"


def test_protected_or_unserved_columns_pass(
    findings_project: ParsedProject, clean_project: ParsedProject
) -> None:
    assert of_rule(clean_project.result, "FLOE401") == []

    def mask(data: dict[str, Any]) -> None:
        data["governance"]["policies"]["marketing"]["production"] = {"action": "mask"}

    def no_cube(data: dict[str, Any]) -> None:
        data["consumption"]["enabled"] = False

    assert of_rule(findings_project.reevaluate(mask), "FLOE401") == []
    assert of_rule(findings_project.reevaluate(no_cube), "FLOE401") == []
    non_production = findings_project.reevaluate(
        lambda data: None, CheckOptions(environments=("non_production",))
    )
    assert of_rule(non_production, "FLOE401") == []  # synthesize protects non-production


def test_inherited_classification_counts_when_served(findings_project: ParsedProject) -> None:
    def pii_unprotected(data: dict[str, Any]) -> None:
        data["governance"]["policies"]["pii"]["production"] = {"action": "synthesize"}

    served = {
        (f.model, f.column)
        for f in of_rule(findings_project.reevaluate(pii_unprotected), "FLOE401")
    }
    assert ("customers", "email") in served  # declared
    assert ("customer_contacts", "contact_email") in served  # inherited through a CTE


def test_empty_model_list_serves_all_marts(findings_project: ParsedProject) -> None:
    def all_marts(data: dict[str, Any]) -> None:
        data["consumption"]["cube"]["models"] = []

    result = findings_project.reevaluate(all_marts)
    assert one(of_rule(result, "FLOE401")).column == "country"
    assert of_rule(result, "FLOE402") == []


def test_unknown_cube_model(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE402"))
    assert "tag `reporting`" in finding.message
    assert finding.file == "floe.yaml" and finding.line == 23

    def typo(data: dict[str, Any]) -> None:
        data["consumption"]["cube"]["models"] = ["customerz"]

    assert (
        "no dbt model `customerz`"
        in one(of_rule(findings_project.reevaluate(typo), "FLOE402")).message
    )
