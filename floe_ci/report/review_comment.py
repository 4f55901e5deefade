"""The whole pull-request comment for a check result and, with `--base`, its Plan.

One function, so that `floe-ci action` and a local `floe-ci check --base REF --format
markdown` produce the same text (apart from the footer, which names the CI run)."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from floe_ci.report.check_sections import headline_for_check, sections_for_check
from floe_ci.report.pr_comment import (
    GITHUB_COMMENT_LIMIT,
    RenderedComment,
    render_comment,
)

if TYPE_CHECKING:
    from floe_ci.governance.result import CheckResult
    from floe_ci.plan.changes import Plan


def render_review_comment(
    result: CheckResult,
    plan: Plan | None = None,
    footer: str = "",
    *,
    template: string.Template,
    limit: int = GITHUB_COMMENT_LIMIT,
) -> RenderedComment:
    """Headline verdict, policy verdicts first, then the plan's sections, then the stats."""
    headline = headline_for_check(result)
    sections = sections_for_check(result)
    if plan is not None:
        from floe_ci.report.plan_sections import plan_headline, plan_sections

        headline += "\n\n" + plan_headline(plan)
        sections = [sections[0], *plan_sections(plan), *sections[1:]]
    return render_comment(headline, sections, footer, limit=limit, template=template)
