"""The whole pull-request comment for a check result and, with `--base`, its Plan.

One function, so that `floe-ci action` and a local `floe-ci check --base REF --format
markdown` produce the same text (apart from the footer, which names the CI run, and the
links to the head commit's files, which only the action can make).

A review's comment reads: the verdict and a one-line summary; the findings this change
brings, in full; the plan (policy impact, models, columns, floe.yaml, lineage); the findings
that existed before the change, counted and listed last; waived findings; what was checked.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from floe_ci.report.check_sections import (
    closing_sections,
    finding_items,
    headline_for_check,
    plural,
    sections_for_check,
)
from floe_ci.report.pr_comment import (
    GITHUB_COMMENT_LIMIT,
    CommentSection,
    RenderedComment,
    render_comment,
)

if TYPE_CHECKING:
    from floe_ci.governance.result import CheckResult, Finding
    from floe_ci.plan.changes import Plan
    from floe_ci.report.links import BlobLinks


def render_review_comment(
    result: CheckResult,
    plan: Plan | None = None,
    footer: str = "",
    *,
    template: string.Template,
    limit: int = GITHUB_COMMENT_LIMIT,
    links: BlobLinks | None = None,
) -> RenderedComment:
    """The comment, at most `limit` characters. `links` (the repository and head commit)
    turns every file:line into a link to that line; without it locations are plain text."""
    if plan is None:
        headline = headline_for_check(result)
        sections = sections_for_check(result, links=links)
        return render_comment(headline, sections, footer, limit=limit, template=template)
    from floe_ci.report.plan_sections import plan_headline, plan_sections

    new, existing = split_findings(result, plan)
    summary = plan_headline(plan, new_findings=len(new), existing_findings=len(existing))
    headline = headline_for_check(result, summary=summary)
    body = finding_items(result, new, links) if new else "This change brings no new finding."
    sections = [
        CommentSection("new-findings", f"New findings ({len(new)})", body, open=True),
        *plan_sections(plan),
    ]
    if plan.deploy is not None:
        from floe_ci.report.deploy_plan_section import deploy_plan_section, hidden_data

        sections.append(deploy_plan_section(plan.deploy))
        footer = f"{footer}\n{hidden_data(plan.deploy)}" if footer else hidden_data(plan.deploy)
    if existing:
        title = f"{plural(len(existing), 'finding')} existed before this change"
        sections.append(
            CommentSection("existing-findings", title, finding_items(result, existing, links))
        )
    sections += closing_sections(result, links=links)
    return render_comment(headline, sections, footer, limit=limit, template=template)


def split_findings(result: CheckResult, plan: Plan) -> tuple[list[Finding], list[Finding]]:
    """The result's active findings the change brings (absent from the base, or raised by
    the review rules) and those that were already there in the base."""
    from floe_ci.plan.policy_diff import finding_key

    brought = {finding_key(f) for f in (*plan.policy.new_findings, *plan.review_findings)}
    new: list[Finding] = []
    existing: list[Finding] = []
    for finding in result.active():
        (new if finding_key(finding) in brought else existing).append(finding)
    return new, existing
