"""FLOE401/FLOE402 on the examples as `dbt parse` reads them (the rules themselves:
tests/unit/test_rules_consumption.py): real marts folders, real floe.yaml positions."""

from __future__ import annotations

from typing import Any

from tests.integration.rules_support import ParsedProject, of_rule, one


def test_classified_column_served_without_protection(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE401"))
    assert (finding.model, finding.column) == ("customers", "country")
    assert "production action `synthesize`" in finding.message
    assert finding.file == "models/marts/_marts.yml"


def test_clean_example_serves_nothing_unprotected(clean_project: ParsedProject) -> None:
    assert of_rule(clean_project.result, "FLOE401") == []
    assert of_rule(clean_project.result, "FLOE402") == []


def test_empty_model_list_serves_all_marts(findings_project: ParsedProject) -> None:
    # "Marts" are the models dbt puts under a folder `marts` (their fqn says so).
    def all_marts(data: dict[str, Any]) -> None:
        data["consumption"]["cube"]["models"] = []

    result = findings_project.reevaluate(all_marts)
    assert one(of_rule(result, "FLOE401")).column == "country"
    assert of_rule(result, "FLOE402") == []


def test_unknown_cube_model(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE402"))
    assert "tag `reporting`" in finding.message
    assert finding.file == "floe.yaml" and finding.line == 23
