"""The sticky pull-request comment over GitHub's REST API, through PyGithub.

One comment per pull request is ours: it carries STICKY_MARKER *and* was written by the
token's own identity (`GET /user` for a personal access token; `github-actions[bot]` for
the GITHUB_TOKEN of Actions, which may not call /user). A comment by anyone else that
carries the marker (a pull-request author who pasted it, a reviewer who quoted it) is never
edited, deleted or trusted. Every run edits ours (or creates it when there is none, or
removes our own duplicates left by an earlier race).

Reads and edits are retried with backoff on 5xx answers and on rate limits, honouring
`Retry-After` (PyGithub's GithubRetry, a urllib3 Retry) within a total waiting budget. A
create is never retried blindly: after an ambiguous failure (a 5xx or a lost connection,
when the comment may exist anyway) the comments are listed again and ours is looked for
first. Every failure at this edge (an HTTP error, a refused connection, a timeout, an answer
that is not GitHub's JSON) is a CommentError; a token that may not write (a fork's read-only
token) is CommentNotPermitted, so that the caller can fall back to the job summary.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from floe_ci.report.pr_comment import GITHUB_COMMENT_LIMIT, STICKY_MARKER

if TYPE_CHECKING:  # PyGithub costs 0.16 s to import: only when a comment is posted.
    from github import Github
    from github.IssueComment import IssueComment

DEFAULT_API_URL = "https://api.github.com"
# Who writes with the GITHUB_TOKEN of Actions (also on GitHub Enterprise Server).
ACTIONS_BOT = "github-actions[bot]"

__all__ = [
    "ACTIONS_BOT",
    "STICKY_MARKER",
    "CommentError",
    "CommentNotPermitted",
    "GitHubSettings",
    "StickyCommentResult",
    "connect",
    "edge_errors",
    "pull_head_sha",
    "token_login",
    "upsert_sticky_comment",
]


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
    # Nor longer than this for all retries of one connection together.
    max_total_wait: float = 180.0
    # Seconds for a connection and for each read of an answer.
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
            timeout=float(env.get("FLOE_GITHUB_TIMEOUT", "30")),
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
        timeout=max(1, round(settings.timeout)),
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

    # Shared by every copy urllib3 makes of the Retry (one per attempt) of this connection.
    budget = {"left": settings.max_total_wait}
    lock = threading.Lock()

    class BoundedGithubRetry(GithubRetry):
        """GithubRetry whose waits are capped, each and in total, so a job never hangs."""

        def get_retry_after(self, response: Any) -> float | None:
            value = super().get_retry_after(response)
            return None if value is None else min(float(value), settings.max_wait)

        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            if method.upper() == "POST":
                # Only when refused before anything was written: a rate limit (429, or a 403
                # that GithubRetry.increment tells apart from a plain refusal).
                return status_code in (403, 429) and bool(self.total)
            return bool(super().is_retry(method, status_code, has_retry_after))

        def sleep(self, response: Any = None) -> None:
            wait = self.get_retry_after(response) if response is not None else None
            if wait is None:
                wait = self.get_backoff_time()
            with lock:
                wait = max(0.0, min(wait, budget["left"]))
                budget["left"] -= wait
            if wait:
                time.sleep(wait)

    return BoundedGithubRetry(
        total=settings.retries,
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.max_wait,
        secondary_rate_wait=settings.secondary_rate_wait,
        max_rate_limit_wait=settings.max_wait,
        raise_on_status=False,
        # 5xx and 429 always; GithubRetry adds 403, retried only when it is a rate limit.
        status_forcelist=[429, *range(500, 600)],
        # Not POST (but see is_retry): a create whose answer was lost may have happened.
        # A PATCH sets the whole body and a DELETE of a deleted comment is a 404: harmless.
        allowed_methods=frozenset({"GET", "PATCH", "DELETE", "HEAD"}),
    )


def edge_errors() -> tuple[type[BaseException], ...]:
    """Everything a request to GitHub may raise besides a bug: GitHub's own errors, the
    transport's (refused, timed out, retries exhausted), and an answer that is not GitHub's
    JSON (an HTML page from a proxy, with status 200) that PyGithub cannot read."""
    from github import GithubException
    from requests import RequestException

    return (GithubException, RequestException, ValueError, TypeError, KeyError, AttributeError)


def token_login(gh: Github) -> str:
    """Who writes with this token: the user of a personal access token, or the Actions bot
    for an Actions or app token (GitHub answers 403 "Resource not accessible by
    integration" to their `GET /user`)."""
    from github import GithubException

    try:
        _, data = gh.requester.requestJsonAndCheck("GET", "/user")
    except GithubException as exc:
        if exc.status == 403:
            return ACTIONS_BOT
        raise
    login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        raise ValueError("GET /user answered without a login")
    return login


def upsert_sticky_comment(
    gh: Github, repository: str, number: int, body: str, marker: str = STICKY_MARKER
) -> StickyCommentResult:
    """Edit the pull request's comment that carries `marker` and was written by the token's
    identity, or create it. Comments by others are only read."""
    if marker not in body:
        body = f"{marker}\n{body}"
    if len(body) > GITHUB_COMMENT_LIMIT:  # the marker stays: it is at the start
        body = body[: GITHUB_COMMENT_LIMIT - 1] + "…"
    try:
        issue = gh.get_repo(repository).get_issue(number)
        login: list[str] = []  # asked once, and only when a marker comment exists

        def ours() -> list[IssueComment]:
            # Every page: on a busy pull request the marker may be far down the list.
            marked = [c for c in issue.get_comments() if marker in (c.body or "")]
            if marked and not login:
                login.append(token_login(gh))
            return [c for c in marked if c.user is not None and c.user.login in login]

        mine = ours()
        if not mine:
            try:
                created = issue.create_comment(body)
            except edge_errors() as exc:
                if not _ambiguous(exc):
                    raise
                # The comment may have been written although the answer was lost.
                mine = ours()
                if not mine:
                    created = issue.create_comment(body)
            if not mine:
                return StickyCommentResult("created", created.html_url, created.id)
        keep, duplicates = mine[0], mine[1:]
        action = "unchanged"
        if keep.body != body:
            if not _edit(keep, body):
                # Deleted while we ran (a 404 on our own comment, not a refusal): write
                # it again, unless another of ours is still there.
                survivors = [c for c in ours() if c.id != keep.id]
                if not survivors:
                    created = issue.create_comment(body)
                    return StickyCommentResult("created", created.html_url, created.id)
                keep, duplicates = survivors[0], survivors[1:]
                if keep.body != body:
                    keep.edit(body)
            action = "updated"
        for extra in duplicates:
            _delete(extra)
        return StickyCommentResult(action, keep.html_url, keep.id, len(duplicates))
    except edge_errors() as exc:
        raise _comment_error(exc, repository, number) from None


def _edit(comment: IssueComment, body: str) -> bool:
    """Edit our comment; False when it no longer exists (404)."""
    from github import GithubException

    try:
        comment.edit(body)
    except GithubException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _delete(comment: IssueComment) -> None:
    from github import GithubException

    try:
        comment.delete()
    except GithubException as exc:
        if exc.status != 404:  # deleted meanwhile: what we wanted
            raise


def _ambiguous(exc: BaseException) -> bool:
    """A failure after which a create may have happened: 5xx, or no answer at all."""
    from github import GithubException
    from requests import RequestException

    if isinstance(exc, GithubException):
        return exc.status >= 500
    return isinstance(exc, RequestException)


def pull_head_sha(gh: Github, repository: str, number: int) -> str:
    """The commit a pull request points to now (to check a number read from an artifact)."""
    try:
        pull = gh.get_repo(repository).get_pull(number)
        return str(pull.head.sha)
    except edge_errors() as exc:
        raise _comment_error(exc, repository, number) from None


def _comment_error(exc: BaseException, repository: str, number: int) -> CommentError:
    where = f"{repository}#{number}"
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        return CommentError(f"could not write the comment on {where} ({describe(exc)})")
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    detail = f"GitHub answered {status}" + (f": {message}" if message else "")
    if status in (401, 403, 404) and not _is_rate_limit(message):
        return CommentNotPermitted(
            f"the token may not comment on {where} ({detail}); a pull request from a fork "
            "gets a read-only token: use the two-stage workflow (pull_request + workflow_run)"
        )
    return CommentError(f"could not write the comment on {where} ({detail})")


def describe(exc: BaseException) -> str:
    """A failure without a status, in a few words and without any URL or header."""
    from requests import ConnectionError as ConnectionFailed
    from requests import RequestException, Timeout
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    # After its retries, urllib3 hands requests the last failure as a MaxRetryError's reason
    # (a refused connection is a NewConnectionError, which urllib3 derives from a timeout).
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, NewConnectionError):
        return "could not connect to GitHub"
    if isinstance(exc, Timeout) or isinstance(reason, Urllib3Timeout):
        return "GitHub did not answer in time"
    if isinstance(exc, ConnectionFailed):
        return "could not connect to GitHub"
    if isinstance(exc, RequestException):
        return f"the request failed: {type(exc).__name__}"
    return "GitHub's answer was not the JSON expected"


def _is_rate_limit(message: str | None) -> bool:
    return bool(message and "rate limit" in message.lower())
