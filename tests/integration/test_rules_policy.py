"""FLOE101-FLOE105: classifications without policies, and incomplete or contradictory policies."""

from __future__ import annotations

from typing import Any

from floe_ci.governance.evaluate import CheckOptions
from tests.integration.rules_support import (
    ParsedProject,
    of_rule,
    one,
)

POLICY_RULES = ("FLOE101", "FLOE102", "FLOE103", "FLOE104", "FLOE105")


def test_clean_example_has_no_policy_findings(clean_project: ParsedProject) -> None:
    assert [f for f in clean_project.result.findings if f.rule_id in POLICY_RULES] == []


def test_unpoliced_classification_names_the_column_and_its_yaml_line(
    findings_project: ParsedProject,
) -> None:
    finding = one(of_rule(findings_project.result, "FLOE101"), column="last_name")
    assert finding.model == "stg_customers"
    assert finding.file == "models/staging/_staging.yml"
    lines = (findings_project.path / finding.file).read_text().splitlines()
    assert lines[finding.line - 1].strip() == "- name: last_name"
    assert "no policy `personal`" in finding.message


def test_unpoliced_classification_passes_once_the_policy_exists(
    findings_project: ParsedProject,
) -> None:
    def add_policy(data: dict[str, Any]) -> None:
        data["governance"]["policies"]["personal"] = data["governance"]["policies"]["pii"]

    assert of_rule(findings_project.reevaluate(add_policy), "FLOE101") == []


def test_missing_environment_fires_and_respects_env(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE102"))
    assert "`legacy` has no action for non_production" in finding.message
    assert finding.file == "floe.yaml" and finding.line == 51
    production_only = findings_project.reevaluate(
        lambda data: None, CheckOptions(environments=("production",))
    )
    assert of_rule(production_only, "FLOE102") == []


def test_restrict_without_role(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE103"))
    assert finding.line == 42 and finding.column_number == 9
    assert "`financial`" in finding.message

    def add_role(data: dict[str, Any]) -> None:
        data["governance"]["policies"]["financial"]["production"]["requires_role"] = ["finance"]

    assert of_rule(findings_project.reevaluate(add_role), "FLOE103") == []


def test_action_unfit_for_environment(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE104"))
    assert "`synthesize` is not an action for production" in finding.message

    def mask(data: dict[str, Any]) -> None:
        data["governance"]["policies"]["marketing"]["production"] = {"action": "mask"}

    assert of_rule(findings_project.reevaluate(mask), "FLOE104") == []


def test_roles_without_restrict(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE105"))
    assert finding.severity == "warning" and finding.line == 45

    def drop_roles(data: dict[str, Any]) -> None:
        del data["governance"]["policies"]["financial"]["non_production"]["requires_role"]

    assert of_rule(findings_project.reevaluate(drop_roles), "FLOE105") == []
