"""The comment's headline and findings sections for a `floe-ci check` result.

A finding is one list item, not a table row: a four-column table of messages overflows
GitHub's comment column (880 px), a list wraps. The item reads: severity and rule, location
(a link to the head commit's line when the caller gives `BlobLinks`), the message, the hint.
Errors come before warnings. Plan sections (schema, lineage) come from the base-vs-head
plan and are added by report/review_comment, which also splits new findings from old ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from floe_ci.governance.result import SEVERITY_RANK, CheckResult, Finding
from floe_ci.report.links import BlobLinks
from floe_ci.report.markdown_text import inline_cell, inline_code, inline_message
from floe_ci.report.pr_comment import CommentSection

_ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}
# The comment draws every arrow as →; messages are plain text written with ->.
ARROW = "→"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 finding`, `2 findings` (`plural_form` for irregular words)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def arrows(text: str | None) -> str | None:
    return text.replace(" -> ", f" {ARROW} ") if text else text


def headline_for_check(
    result: CheckResult, *, title: str = "floe-ci", summary: str | None = None
) -> str:
    """The verdict as a heading, the one-line `summary` (the plan's, in a review), then what
    was checked, with how much of the project's lineage was resolved."""
    icon = "❌" if result.failed() else ("⚠️" if result.active() else "✅")
    stats = result.stats
    facts = [f"Pipeline {inline_code(result.pipeline)}", plural(stats.models, "model")]
    if stats.models:
        facts.append(f"lineage: {stats.models - stats.models_unresolved} of {stats.models} models")
    facts += [
        plural(stats.classified_columns, "classified column"),
        f"fail on: `{result.fail_on}`",
    ]
    lines = [f"### {icon} {title}: {inline_cell(result.verdict())}"]
    if summary:
        lines.append(summary)
    lines.append(" · ".join(facts))
    return "\n\n".join(lines)


def sections_for_check(
    result: CheckResult, *, links: BlobLinks | None = None
) -> list[CommentSection]:
    """Every active finding (the policy verdicts), the waived ones, and what was checked."""
    active = result.active()
    if active:
        body = finding_items(result, active, links)
    else:
        body = "No findings: every classified column is covered by a policy."
    verdicts = CommentSection(
        "policy-verdicts", f"Policy verdicts ({len(active)})", body, open=True
    )
    return [verdicts, *closing_sections(result, links=links)]


def closing_sections(
    result: CheckResult, *, links: BlobLinks | None = None
) -> list[CommentSection]:
    """The waived findings (when any) and the statistics: the comment's last sections."""
    sections = []
    waived = result.waived()
    if waived:
        items = [
            f"- {inline_code(f.rule_id)} {_where(result, f, links)}"
            f"<br>{inline_message(arrows(f.message))}<br>_waived:_ {inline_cell(f.waiver_reason)}"
            for f in sorted(waived, key=_severity_first)
        ]
        sections.append(
            CommentSection("waived-findings", f"Waived findings ({len(waived)})", "\n".join(items))
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


def finding_items(
    result: CheckResult, findings: Sequence[Finding], links: BlobLinks | None = None
) -> str:
    """One list item per finding, errors first; each finding's text appears once."""
    return "\n".join(_item(result, f, links) for f in sorted(findings, key=_severity_first))


def _item(result: CheckResult, finding: Finding, links: BlobLinks | None) -> str:
    message = arrows(finding.message) or ""
    head = f"- {_ICON[finding.severity]} **{finding.rule_id}** {inline_cell(finding.rule_name)}"
    where = _where(result, finding, links)
    if where:
        head += f" · {where}"
    subject = ".".join(p for p in (finding.model, finding.column) if p)
    if subject and subject not in message:
        head += f" · {inline_code(subject)}"
    text = inline_message(message)
    path = f" {ARROW} ".join(finding.lineage_path)
    if path and path not in message:  # most messages already spell their path out
        text += "<br>path: " + inline_cell(path)
    if finding.hint:
        text += f"<br>_hint:_ {inline_message(arrows(finding.hint))}"
    return f"{head}<br>{text}"


def _where(result: CheckResult, finding: Finding, links: BlobLinks | None) -> str:
    """`path:line`, a link to that line of the head commit when links are given."""
    path = result.repo_path(finding)
    if path is None:
        return ""
    shown = inline_code(path if finding.line is None else f"{path}:{finding.line}")
    if links is None or path.startswith("/"):  # an absolute path is not in the repository
        return shown
    return f"[{shown}]({links.url(path, finding.line)})"


def _severity_first(finding: Finding) -> tuple[int, tuple[str, int, int, str, str, str]]:
    return (-SEVERITY_RANK[finding.severity], finding.sort_key())
