"""`--format github`: one annotation per active finding, on the exact file and line.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops the
rest silently, so `workflow_commands.annotation_lines` emits the first of each and this
module's closing notice counts the others (and the waived findings, never annotated).
"""

from __future__ import annotations

from collections.abc import Mapping

from floe_ci.governance.result import CheckResult, Finding
from floe_ci.report.workflow_commands import (
    MAX_ANNOTATIONS_PER_LEVEL,
    SUMMARY_LEVEL,
    Annotation,
    annotation_lines,
)

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_SEVERITY = {level: severity for severity, level in _LEVEL.items()}


def annotation(result: CheckResult, finding: Finding) -> Annotation:
    path = result.repo_path(finding)
    line = finding.line if path else None
    return Annotation(
        _LEVEL[finding.severity],
        finding.message + (f"\nhint: {finding.hint}" if finding.hint else ""),
        file=path or None,
        line=line,
        col=finding.column_number if line is not None else None,
        title=f"{finding.rule_id} {finding.rule_name}",
    )


def render_github(result: CheckResult) -> str:
    waived = len(result.waived())

    def summary(hidden: Mapping[str, int]) -> Annotation | None:
        if not hidden and not waived:
            return None
        parts = []
        for level, n in hidden.items():
            severity = _SEVERITY[level]
            parts.append(f"{n} more {severity}{'s' if n != 1 and severity != 'info' else ''}")
        if waived:
            parts.append(f"{waived} waived")
        text = (
            f"floe-ci: {', '.join(parts)} not shown as annotations (GitHub shows "
            f"{MAX_ANNOTATIONS_PER_LEVEL} per level); see the job summary or the JSON/SARIF report"
        )
        return Annotation(SUMMARY_LEVEL, text, title="floe-ci check")

    # By severity, so that the levels' hidden counts read errors first.
    ordered = [
        annotation(result, f)
        for severity in _LEVEL
        for f in result.active()
        if f.severity == severity
    ]
    lines = annotation_lines(ordered, summary)
    return "\n".join(lines) + ("\n" if lines else "")
