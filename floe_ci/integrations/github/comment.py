"""Posting the run's sticky comment, where a comment that cannot be written is a warning in
the log (and the verdict stays in the job summary), never a failed step."""

from __future__ import annotations

from collections.abc import Mapping

from floe_ci.integrations.github.event import EventContext
from floe_ci.integrations.github.runner import Step

WARNING_TITLE = {"title": "floe-ci comment"}


def post_comment(
    step: Step, token: str, env: Mapping[str, str], event: EventContext, body: str
) -> str:
    """Create or update the sticky comment of the event's pull request; its URL, or "" with
    a warning when there is no token, no pull request, a moved head or a refusal."""
    from floe_ci.integrations.github.client import (
        CommentError,
        CommentNotPermitted,
        GitHubSettings,
        connect,
        pull_head_sha,
        upsert_sticky_comment,
    )

    if not token:
        step.command("warning", "no github-token: the verdict is in the job summary only")
        return ""
    if not event.repository or event.pull_number is None:
        step.command("warning", "the event names no repository: no comment posted")
        return ""
    gh = connect(GitHubSettings.from_env(token, env))
    try:
        if event.expected_head_sha is not None:
            # The number came from an artifact that the pull request's code wrote.
            head = pull_head_sha(gh, event.repository, event.pull_number)
            if head != event.expected_head_sha:
                step.command(
                    "warning",
                    f"pull request #{event.pull_number} now points to {head[:12]}, not to "
                    f"the commit the report is about ({event.expected_head_sha[:12]}): "
                    "no comment posted",
                )
                return ""
        posted = upsert_sticky_comment(gh, event.repository, event.pull_number, body)
    except CommentError as exc:
        step.command("warning", f"{exc}. The verdict is in the job summary.", WARNING_TITLE)
        if isinstance(exc, CommentNotPermitted):
            step.summary(f"> [!WARNING]\n> The pull-request comment was not posted: {exc}.\n")
        return ""
    finally:
        gh.close()
    step.emit([f"floe-ci: comment {posted.action}: {posted.url}"])
    return posted.url
