"""FLOE106-FLOE109: values, keys and waivers in a column's `meta.floe`."""

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


def _line_of(project: ParsedProject, file: str | None, line: int | None) -> str:
    assert file is not None and line is not None
    return (project.path / file).read_text().splitlines()[line - 1].strip()


def test_unknown_sensitivity(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE106"))
    assert (finding.model, finding.column) == ("stg_customers", "phone")
    assert "'hgih'" in finding.message and "did you mean `high`" in (finding.hint or "")
    assert _line_of(findings_project, finding.file, finding.line) == "- name: phone"


def test_unknown_pii_type(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE107"))
    assert (finding.model, finding.column) == ("stg_customers", "birth_date")
    assert "did you mean `birth_date`" in (finding.hint or "")


def test_invalid_floe_meta_catches_a_typo(findings_project: ParsedProject) -> None:
    finding = one(of_rule(findings_project.result, "FLOE108"))
    assert finding.column == "country"
    assert "unknown key `clasification`" in finding.message
    assert "did you mean `classification`" in finding.message


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
