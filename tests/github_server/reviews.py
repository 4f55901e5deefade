"""Pull request reviews, review comments and team members for the local GitHub server.

- `GET /repos/{owner}/{repo}/pulls/{n}/reviews`: the reviews a test added (`add_review`),
  in the order they were submitted, paginated as GitHub does;
- `GET` / `POST /repos/{owner}/{repo}/pulls/{n}/comments`: review comments. As GitHub does,
  a comment must name the pull request's head commit and a line inside a hunk of the pull
  request's diff on the RIGHT side (`set_diff`; a test that sets no diff accepts any line);
  anything else is a 422 with GitHub's message ("line must be part of the diff");
- `GET /orgs/{org}/teams/{team_slug}/members`: the members a test gave the team.

The objects are GitHub's own examples (`pull-request-review`, `pull-request-review-comment`
and `team-member-items` in the OpenAPI description) with the test's values filled in, and
the server validates them against the description like every other answer.
"""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

from tests.github_server.material import openapi_example

_REVIEWS = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>\d+)/reviews$")
_REVIEW_COMMENTS = re.compile(
    r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>\d+)/comments$"
)
_TEAM_MEMBERS = re.compile(r"^/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/members$")
Answer = tuple[int, Any, dict[str, str]]


class PullReviews:
    """State and endpoint logic; `GitHubServer.handle` asks it first (lock held)."""

    def __init__(self, url: Any, identity: dict[str, Any]) -> None:
        self._url = url  # a callable: the server's base URL once it listens
        self._identity = identity
        self._ids = itertools.count(5_000_001)
        self.reviews: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.review_comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.diffs: dict[tuple[str, int], tuple[str, dict[str, set[int]]]] = {}
        self.teams: dict[tuple[str, str], list[str]] = {}

    # -- test set-up ------------------------------------------------------------------------
    def add_review(
        self, repository: str, number: int, login: str, state: str, submitted_at: str
    ) -> int:
        """A review by `login` (APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED)."""
        review = openapi_example("pull-request-review")
        review_id = next(self._ids)
        user = {**review["user"], "login": login, "id": review_id % 100_000, "type": "User"}
        review.update(
            id=review_id,
            node_id=f"PRR_kwDO{review_id}",
            user=user,
            state=state,
            submitted_at=submitted_at,
            html_url=f"https://github.com/{repository}/pull/{number}#pullrequestreview-{review_id}",
            pull_request_url=f"{self._url()}/repos/{repository}/pulls/{number}",
        )
        self.reviews.setdefault((repository, number), []).append(review)
        return review_id

    def set_diff(
        self, repository: str, number: int, head_sha: str, lines: dict[str, set[int]]
    ) -> None:
        """The pull request's head commit and, per file, the head lines its diff shows."""
        self.diffs[(repository, number)] = (head_sha, {p: set(v) for p, v in lines.items()})

    def add_team(self, org: str, slug: str, members: list[str]) -> None:
        self.teams[(org, slug)] = list(members)

    def comments_on(self, repository: str, number: int) -> list[dict[str, Any]]:
        return list(self.review_comments.get((repository, number), []))

    # -- endpoints --------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, query: dict[str, str], payload: Any, page: Any
    ) -> Answer | None:
        if (m := _REVIEWS.match(path)) and method == "GET":
            key = (f"{m['owner']}/{m['repo']}", int(m["number"]))
            return page(self.reviews.get(key, []), query, f"{self._url()}{path}")
        if m := _REVIEW_COMMENTS.match(path):
            key = (f"{m['owner']}/{m['repo']}", int(m["number"]))
            if method == "GET":
                return page(self.review_comments.get(key, []), query, f"{self._url()}{path}")
            if method == "POST":
                return self._create_comment(key, payload)
        if (m := _TEAM_MEMBERS.match(path)) and method == "GET":
            members = self.teams.get((m["org"], m["slug"]))
            if members is None:
                return 404, {"message": "Not Found", "status": "404"}, {}
            template = openapi_example_list("team-member-items")[0]
            users = [
                {**copy.deepcopy(template), "login": login, "id": 7000 + i}
                for i, login in enumerate(members)
            ]
            return page(users, query, f"{self._url()}{path}")
        return None

    def _create_comment(self, key: tuple[str, int], payload: dict[str, Any]) -> Answer:
        repository, number = key
        path, line = payload.get("path"), payload.get("line")
        head_sha = str(payload.get("commit_id"))
        if key in self.diffs:  # a test that modelled the diff: GitHub's checks
            head_sha, lines = self.diffs[key]
            if payload.get("commit_id") != head_sha:
                return _unprocessable("commit_id", "commit_id is not part of the pull request")
            if payload.get("side", "RIGHT") != "RIGHT" or line not in lines.get(str(path), set()):
                return _unprocessable(
                    "pull_request_review_thread.line", "line must be part of the diff"
                )
        comment = openapi_example("pull-request-review-comment")
        comment_id = next(self._ids)
        url = self._url()
        comment.update(
            id=comment_id,
            node_id=f"PRRC_kwDO{comment_id}",
            url=f"{url}/repos/{repository}/pulls/comments/{comment_id}",
            html_url=f"https://github.com/{repository}/pull/{number}#discussion_r{comment_id}",
            pull_request_url=f"{url}/repos/{repository}/pulls/{number}",
            pull_request_review_id=next(self._ids),
            path=path,
            line=line,
            original_line=line,
            side="RIGHT",
            start_line=None,
            original_start_line=None,
            commit_id=head_sha,
            original_commit_id=head_sha,
            body=payload["body"],
            user=copy.deepcopy(self._identity),
            diff_hunk=f"@@ -{line},1 +{line},1 @@",
        )
        # A one-line comment: no reply, no start side (the description has no null for it).
        comment.pop("in_reply_to_id", None)
        comment.pop("start_side", None)
        self.review_comments.setdefault(key, []).append(comment)
        return 201, comment, {}


def openapi_example_list(name: str) -> list[dict[str, Any]]:
    from tests.github_server.material import openapi_document

    value = openapi_document()["components"]["examples"][name]["value"]
    assert isinstance(value, list), name
    return copy.deepcopy(value)


def _unprocessable(field: str, message: str) -> Answer:
    error = {"resource": "PullRequestReviewComment", "code": "custom", "field": field}
    return (
        422,
        {
            "message": "Validation Failed",
            "errors": [{**error, "message": message}],
            "documentation_url": "https://docs.github.com/rest/pulls/comments",
            "status": "422",
        },
        {},
    )
