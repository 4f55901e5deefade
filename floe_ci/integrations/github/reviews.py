"""Pull request reviews (who approved) and review comments (suggested changes) over
GitHub's REST API, through PyGithub.

- `fetch_approval`: the reviews of the pull request (`GET /repos/{repo}/pulls/{n}/reviews`,
  every page) and, for approvers that are teams, their members
  (`GET /orgs/{org}/teams/{slug}/members`), judged by governance/approvals.
- `post_suggestions`: one review comment per fix, with a ```suggestion block replacing the
  column's line in the properties YAML (`POST /repos/{repo}/pulls/{n}/comments`, on the
  RIGHT side of the diff at the head commit), skipping those already posted.

A failure is an ApprovalError / a count of refused comments, never a failed run: without
the reviews, exceptions simply stay `needs approval`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from floe_ci.governance.approvals import Approval, Review, approval_from_reviews, is_team
from floe_ci.integrations.github.client import GitHubSettings, connect, describe, edge_errors

if TYPE_CHECKING:
    from github import Github


class ApprovalError(Exception):
    """The reviews could not be read; the message says why, without any secret."""


def fetch_approval(
    token: str, env: Mapping[str, str], repository: str, number: int, approvers: Sequence[str]
) -> Approval:
    gh = connect(GitHubSettings.from_env(token, env))
    try:
        reviews = list_reviews(gh, repository, number)
        teams = {entry: team_logins(gh, entry) for entry in approvers if is_team(entry)}
    except edge_errors() as exc:
        raise ApprovalError(_why(exc, f"the reviews of {repository}#{number}")) from None
    finally:
        gh.close()
    return approval_from_reviews(approvers, reviews, teams)


def list_reviews(gh: Github, repository: str, number: int) -> list[Review]:
    pull = gh.get_repo(repository).get_pull(number)
    found = []
    for review in pull.get_reviews():
        user = review.user
        submitted = review.submitted_at
        found.append(
            Review(
                login=user.login if user is not None else "",
                state=str(review.state or ""),
                submitted_at=submitted.isoformat() if submitted is not None else "",
                review_id=int(review.id),
            )
        )
    return found


def team_logins(gh: Github, entry: str) -> list[str]:
    from github.NamedUser import NamedUser
    from github.PaginatedList import PaginatedList

    org, slug = entry.lstrip("@").split("/", 1)
    members: PaginatedList[NamedUser] = PaginatedList(
        NamedUser, gh.requester, f"/orgs/{org}/teams/{slug}/members", None
    )
    return [member.login for member in members]


@dataclass(frozen=True)
class Suggestion:
    """Replace line `line` of `path` (repository-relative) in the head with `replacement`."""

    path: str
    line: int
    replacement: str  # one or more lines, without the trailing newline
    title: str  # what the fix does, first line of the comment body

    def body(self) -> str:
        return f"{self.title}\n\n```suggestion\n{self.replacement}\n```\n{SUGGESTION_MARK}"


# Marks our review comments, so that a second run does not post the same one again.
SUGGESTION_MARK = "<!-- floe-ci:suggestion -->"


@dataclass(frozen=True)
class PostedSuggestions:
    posted: int
    already: int
    refused: list[str]  # why GitHub refused some (a line outside the diff, ...)


def post_suggestions(
    token: str,
    env: Mapping[str, str],
    repository: str,
    number: int,
    head_sha: str,
    suggestions: Sequence[Suggestion],
) -> PostedSuggestions:
    gh = connect(GitHubSettings.from_env(token, env))
    posted = already = 0
    refused: list[str] = []
    try:
        pull = gh.get_repo(repository).get_pull(number)
        existing = {
            (c.path, c.line, c.body)
            for c in pull.get_review_comments()
            if SUGGESTION_MARK in (c.body or "")
        }
        for suggestion in suggestions:
            body = suggestion.body()
            if (suggestion.path, suggestion.line, body) in existing:
                already += 1
                continue
            try:
                pull.create_review_comment(
                    body, head_sha, suggestion.path, line=suggestion.line, side="RIGHT"
                )
                posted += 1
            except edge_errors() as exc:
                refused.append(_why(exc, f"{suggestion.path}:{suggestion.line}"))
    except edge_errors() as exc:
        refused.append(_why(exc, f"the review comments of {repository}#{number}"))
    finally:
        gh.close()
    return PostedSuggestions(posted, already, refused)


def _why(exc: BaseException, what: str) -> str:
    status = getattr(exc, "status", None)
    data: Any = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(status, int):
        return f"{what}: GitHub answered {status}" + (f": {message}" if message else "")
    return f"{what}: {describe(exc)}"
