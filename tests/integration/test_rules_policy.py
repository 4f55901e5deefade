"""FLOE101-FLOE105 on the examples as `dbt parse` reads them (the rules themselves:
tests/unit/test_rules_policy.py): the real properties YAML lines and floe.yaml positions."""

from __future__ import annotations

import re

from tests.integration.rules_support import ParsedProject, of_rule, one

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


def test_policy_findings_point_at_the_line_floe_yaml_marks(findings_project: ParsedProject) -> None:
    # shop-findings' floe.yaml marks each deliberate finding with a `# FLOE10n` comment.
    marked = {
        match.group(1): number
        for number, line in enumerate(
            (findings_project.path / "floe.yaml").read_text().splitlines(), 1
        )
        if (match := re.search(r"\S.*# (FLOE10[2-5])\b", line))
    }
    assert sorted(marked) == ["FLOE102", "FLOE103", "FLOE104", "FLOE105"]
    for rule_id, line in marked.items():
        finding = one(of_rule(findings_project.result, rule_id))
        assert (finding.file, finding.line) == ("floe.yaml", line), rule_id
    assert one(of_rule(findings_project.result, "FLOE103")).column_number == 9
