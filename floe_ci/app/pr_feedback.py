"""What the GitHub Action adds to a pull-request review: exceptions approved by reviewers
(governance.approvers) and fixes offered as suggested changes.

Both need GitHub (the reviews API, review comments) and both degrade to a warning: without
the reviews, exceptions stay `needs approval`; suggestions that cannot be posted are listed
in the job summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from floe_ci.governance.approvals import Approval, apply_approvals, new_waivers

if TYPE_CHECKING:
    from floe_ci.governance.fixes import ColumnFix
    from floe_ci.governance.result import Finding
    from floe_ci.governance.rules.base import RuleContext
    from floe_ci.integrations.github.event import EventContext
    from floe_ci.integrations.github.runner import Step
    from floe_ci.report.suggestions import LineSuggestion

# Suggested changes posted per run; the rest go to the job summary.
MAX_SUGGESTIONS = 20
ApprovalLookup = Callable[[Sequence[str]], Approval | None]


def decide_exceptions(
    findings: Sequence[Finding],
    base: RuleContext,
    head: RuleContext,
    approval_for: ApprovalLookup | None,
) -> list[Finding]:
    """The review's findings with the exceptions decided by the base revision's approvers
    (the pull request cannot name its own approvers)."""
    approvers = base.spec.governance.approvers
    if not approvers:
        return list(findings)
    approval = approval_for(approvers) if approval_for is not None else None
    return apply_approvals(findings, approvers, approval, new_waivers(base, head))


def approval_lookup(
    step: Step, token: str, env: Mapping[str, str], event: EventContext
) -> ApprovalLookup | None:
    """Reads the pull request's reviews when asked (only when approvers are configured)."""
    repository, number = event.repository, event.pull_number
    if not token or not repository or number is None:
        return None

    def lookup(approvers: Sequence[str]) -> Approval | None:
        from floe_ci.integrations.github.reviews import ApprovalError, fetch_approval

        try:
            approval = fetch_approval(token, env, repository, number, approvers)
        except ApprovalError as exc:
            step.command("warning", f"{exc}: exceptions stay `needs approval`")
            return None
        who = approval.describe() or "none of them yet"
        step.emit([f"floe-ci: approvers {', '.join(approvers)}: approved by {who}"])
        return approval

    return lookup


def offer_suggestions(
    step: Step,
    config: Path,
    shown: str,
    base_ref: str,
    token: str,
    env: Mapping[str, str],
    event: EventContext,
) -> None:
    """The fixes of the head's findings as review comments with ```suggestion blocks on
    the lines of the pull request's diff (at most MAX_SUGGESTIONS), the rest in the summary."""
    from floe_ci.app.fix import plan_fixes
    from floe_ci.integrations.git.diff_lines import head_lines_in_diff
    from floe_ci.integrations.git.worktree import repository_top
    from floe_ci.integrations.github.reviews import Suggestion, post_suggestions
    from floe_ci.report.suggestions import LineSuggestion, line_suggestions, split_by_diff
    from floe_ci.report.suggestions import summary_section as summary_text

    if not token or not event.repository or event.pull_number is None or not event.head_sha:
        return
    fixes = plan_fixes(config, shown)
    if not fixes.writes.changed:
        return
    top = repository_top(config.resolve().parent, shown)
    found: list[LineSuggestion] = []
    for path, (before, after) in sorted(fixes.writes.changed.items()):
        relative = path.resolve().relative_to(top.resolve()).as_posix()
        if before:
            found.extend(line_suggestions(relative, before, after))
        else:  # a new file has no line in the diff to comment on
            found.append(LineSuggestion(relative, 1, after.rstrip("\n")))
    shown_lines = head_lines_in_diff(top, base_ref, sorted({s.path for s in found}))
    postable, rest = split_by_diff(found, shown_lines, MAX_SUGGESTIONS)
    titles = {s: _title(s, fixes.fixes) for s in postable}
    result = post_suggestions(
        token,
        env,
        event.repository,
        event.pull_number,
        event.head_sha,
        [Suggestion(s.path, s.line, s.replacement, titles[s]) for s in postable],
    )
    for reason in result.refused:
        step.command("warning", f"suggested change not posted: {reason}")
    step.emit(
        [
            f"floe-ci: {result.posted} suggested change(s) posted, {result.already} already "
            f"there, {len(rest)} listed in the job summary"
        ]
    )
    text = summary_text(rest, result.posted + result.already)
    if text:
        step.summary(text)


def _title(suggestion: LineSuggestion, fixes: Sequence[ColumnFix]) -> str:
    """What the suggestion fixes: the fixes of the columns its lines name."""
    named = [
        f"{fix.finding.rule_id} `{fix.finding.model}.{fix.column}`: {fix.summary}"
        for fix in fixes
        if f"name: {fix.column}" in suggestion.replacement
    ]
    return "**floe-ci fix** — " + ("; ".join(named) if named else "the fix `floe-ci fix` applies")
