"""Markdown for the GitHub job summary (`--format markdown=$GITHUB_STEP_SUMMARY`).

Written in code rather than as a template in reports/: the summary is tables computed from
the findings, each cell escaped by report/markdown_text (`|`, newlines, HTML).
reports/ holds the prose-heavy PR-comment templates.
"""

from __future__ import annotations

from floe_ci.governance.result import SEVERITY_RANK, CheckResult, Finding
from floe_ci.report.markdown_text import cell, inline_code, message_cell

# GitHub caps a step summary at 1 MiB; a few hundred rows are all anyone reads.
MAX_ROWS = 200
_ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


def _where(result: CheckResult, finding: Finding) -> str:
    path = result.repo_path(finding) or "?"
    if finding.line is not None:
        path += f":{finding.line}"
    subject = ".".join(p for p in (finding.model, finding.column) if p)
    return inline_code(path, 1000) + (f"<br>{inline_code(subject, 1000)}" if subject else "")


def render_markdown(result: CheckResult) -> str:
    counts = result.counts()
    icon = "❌" if result.failed() else ("⚠️" if result.active() else "✅")
    lines = [
        f"## {icon} floe-ci check: {cell(result.verdict())}",
        "",
        f"Pipeline {inline_code(result.pipeline)} · {result.stats.models} models · "
        f"{result.stats.classified_columns} classified columns · environments: "
        f"{', '.join(result.environments)} · fail on: {result.fail_on}",
        "",
    ]
    # Errors first: a capped table must not hide them behind warnings.
    active = sorted(result.active(), key=lambda f: (-SEVERITY_RANK[f.severity], f.sort_key()))
    if active:
        lines += ["| | Rule | Where | Finding |", "| --- | --- | --- | --- |"]
        for finding in active[:MAX_ROWS]:
            text = message_cell(finding.message)
            if finding.hint:
                text += f"<br>_hint:_ {message_cell(finding.hint)}"
            lines.append(
                f"| {_ICON[finding.severity]} {finding.severity} "
                f"| `{finding.rule_id}` {cell(finding.rule_name)} "
                f"| {_where(result, finding)} | {text} |"
            )
        if len(active) > MAX_ROWS:
            lines += [
                "",
                f"_{len(active) - MAX_ROWS} more findings are not listed here; the JSON or "
                "SARIF report has all of them._",
            ]
        lines.append("")
    waived = result.waived()
    if waived:
        lines += [
            f"### Waived ({counts['waived']})",
            "",
            "| Rule | Where | Finding | Reason |",
            "| --- | --- | --- | --- |",
        ]
        for finding in waived[:MAX_ROWS]:
            lines.append(
                f"| `{finding.rule_id}` {cell(finding.rule_name)} | {_where(result, finding)} "
                f"| {message_cell(finding.message)} | {cell(finding.waiver_reason)} |"
            )
        lines.append("")
    from floe_ci.governance.rules.registry import all_rules

    known = {rule.id: rule for rule in all_rules()}
    rules = sorted({f.rule_id for f in result.findings} & set(known))
    if rules:
        lines += ["<details><summary>About these rules</summary>", ""]
        for rule_id in rules:
            rule = known[rule_id]
            lines.append(f"- **{rule.id} {rule.name}** ({rule.severity}): {cell(rule.summary())}")
        lines += ["", "</details>", ""]
    return "\n".join(lines)
