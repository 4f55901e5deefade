"""GitHub Actions workflow commands: one annotation per finding, on the exact file and line.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops the
rest silently, so we emit the first of each and summarize the others in one notice.
"""

from __future__ import annotations

from floe_ci.governance.result import CheckResult, Finding

MAX_PER_LEVEL = 10
_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message, as @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value (file, title, ...), as @actions/core does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(result: CheckResult, finding: Finding) -> str:
    properties = []
    path = result.repo_path(finding)
    if path:
        properties.append(f"file={escape_property(path)}")
        if finding.line is not None:
            properties.append(f"line={finding.line}")
            if finding.column_number is not None:
                properties.append(f"col={finding.column_number}")
    properties.append(f"title={escape_property(f'{finding.rule_id} {finding.rule_name}')}")
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    return f"::{_COMMAND[finding.severity]} {','.join(properties)}::{escape_data(message)}"


def render_github(result: CheckResult) -> str:
    lines: list[str] = []
    hidden: dict[str, int] = {}
    for severity in ("error", "warning", "info"):
        findings = [f for f in result.active() if f.severity == severity]
        # Keep one notice slot free for the summary line.
        limit = MAX_PER_LEVEL - 1 if severity == "info" else MAX_PER_LEVEL
        lines.extend(annotation(result, f) for f in findings[:limit])
        if len(findings) > limit:
            hidden[severity] = len(findings) - limit
    waived = len(result.waived())
    if hidden or waived:
        parts = [f"{n} more {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in hidden.items()]
        if waived:
            parts.append(f"{waived} waived")
        text = (
            f"floe-ci: {', '.join(parts)} not shown as annotations (GitHub shows "
            f"{MAX_PER_LEVEL} per level); see the job summary or the JSON/SARIF report"
        )
        lines.append(f"::notice title={escape_property('floe-ci check')}::{escape_data(text)}")
    return "\n".join(lines) + ("\n" if lines else "")
