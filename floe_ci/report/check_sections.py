"""The comment's headline and sections for a `floe-ci check` result.

Plan sections (schema, lineage, deploy) come from the base-vs-head plan and are added by the
caller; this module covers what the check alone knows: the policy verdicts first of all.
"""

from __future__ import annotations

from floe_ci.governance.result import CheckResult, Finding
from floe_ci.report.markdown_text import inline_cell, inline_code
from floe_ci.report.pr_comment import CommentSection

_ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


def headline_for_check(result: CheckResult, *, title: str = "floe-ci") -> str:
    icon = "❌" if result.failed() else ("⚠️" if result.active() else "✅")
    return (
        f"### {icon} {title}: {inline_cell(result.verdict())}\n\n"
        f"Pipeline {inline_code(result.pipeline)} · {result.stats.models} models · "
        f"{result.stats.classified_columns} classified columns · fail on: `{result.fail_on}`"
    )


def sections_for_check(result: CheckResult) -> list[CommentSection]:
    sections = [_policy_verdicts(result)]
    waived = result.waived()
    if waived:
        rows = ["| Rule | Where | Finding | Reason |", "| --- | --- | --- | --- |"]
        rows += [
            f"| `{f.rule_id}` | {_where(result, f)} | {inline_cell(f.message)} "
            f"| {inline_cell(f.waiver_reason)} |"
            for f in waived
        ]
        sections.append(
            CommentSection("waived-findings", f"Waived findings ({len(waived)})", "\n".join(rows))
        )
    stats = result.stats
    sections.append(
        CommentSection(
            "stats",
            "What was checked",
            "\n".join(
                [
                    "| | |",
                    "| --- | --- |",
                    f"| models | {stats.models} |",
                    f"| classified columns | {stats.classified_columns} |",
                    f"| columns with resolved lineage | {stats.columns_with_lineage} |",
                    f"| models whose lineage could not be resolved | {stats.models_unresolved} |",
                    f"| environments | {', '.join(result.environments)} |",
                ]
            ),
        )
    )
    return sections


def _policy_verdicts(result: CheckResult) -> CommentSection:
    active = result.active()
    if not active:
        body = "No findings: every classified column is covered by a policy."
    else:
        rows = ["| | Rule | Where | Finding |", "| --- | --- | --- | --- |"]
        for finding in active:
            text = inline_cell(finding.message)
            if finding.lineage_path:
                text += "<br>path: " + inline_cell(" -> ".join(finding.lineage_path))
            if finding.hint:
                text += f"<br>_hint:_ {inline_cell(finding.hint)}"
            rows.append(
                f"| {_ICON[finding.severity]} {finding.severity} "
                f"| {inline_code(finding.rule_id)} {inline_cell(finding.rule_name)} "
                f"| {_where(result, finding)} | {text} |"
            )
        body = "\n".join(rows)
    return CommentSection("policy-verdicts", f"Policy verdicts ({len(active)})", body, open=True)


def _where(result: CheckResult, finding: Finding) -> str:
    path = result.repo_path(finding) or "?"
    if finding.line is not None:
        path += f":{finding.line}"
    subject = ".".join(p for p in (finding.model, finding.column) if p)
    return inline_code(path) + (f"<br>{inline_code(subject)}" if subject else "")
