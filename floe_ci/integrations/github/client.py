"""The sticky pull-request comment over GitHub's REST API, through PyGithub.

One comment per pull request carries STICKY_MARKER; every run edits it (or creates it when
there is none, or removes duplicates left by an earlier race). Requests are retried with
backoff on 5xx answers and on rate limits, honouring `Retry-After` (PyGithub's GithubRetry,
a urllib3 Retry). A token that may not write (a fork's read-only token) is reported as
CommentNotPermitted so that the caller can fall back to the job summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from floe_ci.report.pr_comment import STICKY_MARKER

if TYPE_CHECKING:  # PyGithub costs 0.16 s to import: only when a comment is posted.
    from github import Github

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class GitHubSettings:
    token: str
    api_url: str = DEFAULT_API_URL
    retries: int = 5
    backoff_factor: float = 1.0
    # Wait for a secondary rate limit that gives no Retry-After (GitHub advises one minute).
    secondary_rate_wait: float = 60.0
    # Never wait longer than this for one retry; the job has better things to do.
    max_wait: float = 120.0
    timeout: float = 30.0

    @classmethod
    def from_env(cls, token: str, env: Mapping[str, str]) -> GitHubSettings:
        """The API of this run's GitHub (GITHUB_API_URL, for GitHub Enterprise too); the
        FLOE_GITHUB_* waits let tests retry in milliseconds."""
        return cls(
            token=token,
            api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
            backoff_factor=float(env.get("FLOE_GITHUB_BACKOFF", "1.0")),
            secondary_rate_wait=float(env.get("FLOE_GITHUB_RATE_WAIT", "60")),
        )


@dataclass(frozen=True)
class StickyCommentResult:
    action: str  # "created" | "updated" | "unchanged"
    url: str
    comment_id: int
    duplicates_removed: int = 0


class CommentError(Exception):
    """The comment could not be written; the message says why, without any secret."""


class CommentNotPermitted(CommentError):
    """The token may read but not write (403/404): typically a pull request from a fork."""


def connect(settings: GitHubSettings) -> Github:
    from github import Auth, Github

    return Github(
        auth=Auth.Token(settings.token),
        base_url=settings.api_url.rstrip("/"),
        timeout=int(settings.timeout),
        per_page=100,
        retry=_retry(settings),
        seconds_between_requests=None,
        user_agent="floe-ci",
        api_version="2022-11-28",
        # Lazy: no request until data is needed (the repository itself is never fetched).
        lazy=True,
    )


def _retry(settings: GitHubSettings) -> Any:
    from github import GithubRetry

    class BoundedGithubRetry(GithubRetry):
        """GithubRetry whose `Retry-After` waits are capped, so a job never hangs for hours."""

        def get_retry_after(self, response: Any) -> float | None:
            value = super().get_retry_after(response)
            return None if value is None else min(float(value), settings.max_wait)

    return BoundedGithubRetry(
        total=settings.retries,
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.max_wait,
        secondary_rate_wait=settings.secondary_rate_wait,
        max_rate_limit_wait=settings.max_wait,
        raise_on_status=False,
        # 5xx and 429 always; GithubRetry adds 403, retried only when it is a rate limit.
        status_forcelist=[429, *range(500, 600)],
        # Editing a comment sets its whole body, so a repeated PATCH is harmless.
        allowed_methods=frozenset({"GET", "POST", "PATCH", "DELETE", "HEAD"}),
    )


def upsert_sticky_comment(
    gh: Github, repository: str, number: int, body: str, marker: str = STICKY_MARKER
) -> StickyCommentResult:
    """Edit the pull request's comment that carries `marker`, or create it."""
    from github import GithubException

    if marker not in body:
        body = f"{marker}\n{body}"
    issue = gh.get_repo(repository).get_issue(number)
    try:
        # Every page: on a busy pull request the marker may be far down the list.
        ours = [c for c in issue.get_comments() if marker in (c.body or "")]
        if not ours:
            created = issue.create_comment(body)
            return StickyCommentResult("created", created.html_url, created.id)
        keep, duplicates = ours[0], ours[1:]
        action = "unchanged"
        if keep.body != body:
            keep.edit(body)
            action = "updated"
        for extra in duplicates:
            extra.delete()
        return StickyCommentResult(action, keep.html_url, keep.id, len(duplicates))
    except GithubException as exc:
        raise _comment_error(exc, repository, number) from None


def pull_head_sha(gh: Github, repository: str, number: int) -> str:
    """The commit a pull request points to now (to check a number read from an artifact)."""
    from github import GithubException

    try:
        pull = gh.get_repo(repository).get_pull(number)
        return str(pull.head.sha)
    except GithubException as exc:
        raise _comment_error(exc, repository, number) from None


def _comment_error(exc: Any, repository: str, number: int) -> CommentError:
    status = getattr(exc, "status", None)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    detail = f"GitHub answered {status}" + (f": {message}" if message else "")
    where = f"{repository}#{number}"
    if status in (401, 403, 404) and not _is_rate_limit(message):
        return CommentNotPermitted(
            f"the token may not comment on {where} ({detail}); a pull request from a fork "
            "gets a read-only token: use the two-stage workflow (pull_request + workflow_run)"
        )
    return CommentError(f"could not write the comment on {where} ({detail})")


def _is_rate_limit(message: str | None) -> bool:
    return bool(message and "rate limit" in message.lower())
