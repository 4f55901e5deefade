"""The output formats of `floe-ci check`, by name: one dispatch for findings and the Plan.

Every renderer is a pure function of the CheckResult and, after `check --base REF`, the Plan
(None otherwise). The plan's review findings are already among the result's findings
(app/review folds them into the verdict), so the formats that list findings (SARIF, GitHub
annotations) show them as they show any other; console and JSON add the plan itself, and
Markdown with a plan is the pull-request comment instead of the job summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import string

    from floe_ci.governance.result import CheckResult
    from floe_ci.plan.changes import Plan
    from floe_ci.report.links import BlobLinks

FORMATS: dict[str, str] = {
    "console": "human-readable report grouped by model (colour only on a terminal)",
    "json": "machine-readable report (schemas/check-report.schema.json)",
    "markdown": "GitHub-flavoured Markdown for the job summary ($GITHUB_STEP_SUMMARY)",
    "sarif": "SARIF 2.1.0 for GitHub code scanning (upload-sarif)",
    "github": "GitHub workflow-command annotations (::error file=...::), capped as GitHub shows",
}


def render(
    result: CheckResult,
    fmt: str,
    plan: Plan | None = None,
    *,
    color: bool = False,
    comment_template: string.Template | None = None,
    footer: str | None = None,
    links: BlobLinks | None = None,
) -> str:
    """Render the result (and its plan) in one format. Only the chosen renderer is imported.

    `color` is for the console; `comment_template` (reports/pr-comment.md, read by
    floe_ci.app.templates) and `footer` frame the pull-request comment that Markdown becomes
    with a plan. The footer defaults to the tool's name and version; `links` (the action's
    repository and head commit) makes the comment's locations links.
    """
    if fmt == "console":
        from floe_ci.report.console import render_console

        return render_console(result, plan, color=color)
    if fmt == "json":
        from floe_ci.report.json_report import render_json

        return render_json(result, plan)
    if fmt == "markdown":
        if plan is None:
            from floe_ci.report.markdown import render_markdown

            return render_markdown(result)
        if comment_template is None:
            raise ValueError("the pull-request comment needs its template (reports/pr-comment.md)")
        from floe_ci.report.review_comment import render_review_comment

        shown_footer = f"floe-ci {result.tool_version}" if footer is None else footer
        return render_review_comment(
            result, plan, shown_footer, template=comment_template, links=links
        ).text
    if fmt == "sarif":
        from floe_ci.report.sarif import render_sarif

        return render_sarif(result)
    if fmt == "github":
        from floe_ci.report.github import render_github

        return render_github(result)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
