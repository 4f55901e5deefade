"""At merge: the pull request a pushed commit came from, and the deploy plan its comment holds.

GitHub lists the pull requests associated with a commit (`GET /repos/{owner}/{repo}/commits/
{sha}/pulls`): for a merge, squash or rebase commit of the default branch, the merged pull
request. Its sticky comment carries the reviewed plan's hidden data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from floe_ci.errors import FloeUsageError
from floe_ci.plan.deploy_plan import PlanSummary
from floe_ci.report.deploy_plan_section import read_hidden_data
from floe_ci.report.pr_comment import STICKY_MARKER


@dataclass(frozen=True)
class ReviewedPlan:
    pull_number: int | None
    summary: PlanSummary | None  # None: no pull request, or its comment holds no plan

    @property
    def where(self) -> str:
        return f"pull request #{self.pull_number}" if self.pull_number else "no pull request"


def reviewed_plan_of_commit(
    token: str, env: Mapping[str, str], repository: str, sha: str
) -> ReviewedPlan:
    """The merged pull request of `sha` and the plan its sticky comment recorded."""
    from github import GithubException

    from floe_ci.integrations.github.client import GitHubSettings, connect

    if not token:
        raise FloeUsageError.single(
            "github-token",
            "the deploy must read the reviewed plan from the pull request, and no token is set",
            hint="pass `github-token` (contents: read, pull-requests: read), or set "
            "`deploy.require_reviewed_plan: false`",
        )
    gh = connect(GitHubSettings.from_env(token, env))
    try:
        _, listed = gh.requester.requestJsonAndCheck(
            "GET", f"/repos/{repository}/commits/{sha}/pulls"
        )
        merged = [p for p in (listed if isinstance(listed, list) else []) if p.get("merged_at")]
        if not merged:
            return ReviewedPlan(None, None)
        number = int(merged[0]["number"])
        summary = None
        # As the sticky comment is found when it is written (the issue's comments).
        for comment in gh.get_repo(repository).get_issue(number).get_comments():
            body = comment.body or ""
            if STICKY_MARKER in body:
                summary = read_hidden_data(body) or summary
        return ReviewedPlan(number, summary)
    except GithubException as exc:
        raise FloeUsageError.single(
            "github-token",
            f"GitHub refused to list the pull requests of {sha[:12]} (HTTP {exc.status})",
            hint="the token needs `contents: read` and `pull-requests: read`",
        ) from None
    finally:
        gh.close()
