"""FLOE106-FLOE109 on the examples as `dbt parse` reads them (the rules themselves:
tests/unit/test_rules_meta.py): dbt keeps `meta.floe` where floe-ci reads it, waivers apply."""

from __future__ import annotations

from pathlib import Path

from tests.integration.rules_support import (
    EXAMPLE_FINDINGS,
    ParsedProject,
    check,
    edited_copy,
    of_rule,
    one,
)

META_RULES = ("FLOE106", "FLOE107", "FLOE108", "FLOE109")


def test_clean_example_has_no_meta_findings(clean_project: ParsedProject) -> None:
    assert [f for f in clean_project.result.findings if f.rule_id in META_RULES] == []


def test_every_meta_rule_fires_on_the_column_the_example_marks(
    findings_project: ParsedProject,
) -> None:
    expected = {
        "FLOE106": ("stg_customers", "phone"),
        "FLOE107": ("stg_customers", "birth_date"),
        "FLOE108": ("stg_customers", "country"),
    }
    for rule_id, (model, column) in expected.items():
        finding = one(of_rule(findings_project.result, rule_id))
        assert (finding.model, finding.column) == (model, column), rule_id
    finding = one(of_rule(findings_project.result, "FLOE106"))
    assert finding.file is not None and finding.line is not None
    line = (findings_project.path / finding.file).read_text().splitlines()[finding.line - 1]
    assert line.strip() == "- name: phone"


def test_invalid_waivers(findings_project: ParsedProject) -> None:
    findings = of_rule(findings_project.result, "FLOE109")
    unknown = one(findings, column="customer_id")
    assert "unknown rule `FLOE999`" in unknown.message
    no_reason = one(findings, column="phone")
    assert "has no `reason`, so it is not applied" in no_reason.message
    # ...and the finding it meant to waive still counts.
    assert one(of_rule(findings_project.result, "FLOE301"), column="phone").waived is False


def test_fixed_meta_passes_and_a_waiver_with_a_reason_applies(tmp_path: Path) -> None:
    project = edited_copy(
        EXAMPLE_FINDINGS,
        tmp_path / "fixed",
        {
            "models/staging/_staging.yml": (
                "sensitivity: hgih}",
                "sensitivity: high}",
            ),
            "models/marts/_marts.yml": (
                "floe: {waive: [FLOE301]}",
                'floe: {waive: [FLOE301], reason: "masked by the CRM on import"}',
            ),
        },
    )
    result = check(project)
    assert of_rule(result, "FLOE106") == []
    assert [f.column for f in of_rule(result, "FLOE109")] == ["customer_id"]
    waived = one(of_rule(result, "FLOE301", waived=True), column="phone")
    assert waived.waiver_reason == "masked by the CRM on import"
