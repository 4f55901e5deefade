"""The run's findings as a check run (Checks API): every annotation, not the 10 per level
that workflow commands get, with the verdict as the check's conclusion.

GitHub takes at most 50 annotations per request: the check run is created with the first 50
and updated with the next ones (GitHub appends them). Only a token with `checks: write` may
create check runs (the GITHUB_TOKEN given that permission, or an app's token; never a
personal access token): a refusal is CheckRunNotPermitted, after which the caller annotates
with workflow commands as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from floe_ci.report.workflow_commands import Annotation

if TYPE_CHECKING:
    from github import Github

    from floe_ci.governance.result import CheckResult

CHECK_NAME = "floe-ci"
ANNOTATIONS_PER_REQUEST = 50
# The Checks API's limits: a summary or text of 65,535 characters, a title of 255, a
# message of 64 KB.
MAX_OUTPUT_CHARS = 65_535
MAX_TITLE_CHARS = 255
MAX_MESSAGE_BYTES = 64 * 1024
_LEVEL = {"error": "failure", "warning": "warning", "notice": "notice"}


@dataclass(frozen=True)
class CheckRunResult:
    url: str
    check_run_id: int
    annotations: int
    requests: int


class CheckRunError(Exception):
    """The check run could not be written completely; the message says why."""


class CheckRunNotPermitted(CheckRunError):
    """The token may not write check runs (no `checks: write`, a fork, a personal token)."""


def conclusion(result: CheckResult) -> str:
    """`failure` for a failed verdict, `neutral` for a pass with findings, else `success`."""
    if result.failed():
        return "failure"
    return "neutral" if result.active() else "success"


def check_run_annotations(annotations: Iterable[Annotation]) -> list[dict[str, Any]]:
    """The Checks API's annotation objects; one without a file cannot be placed and is left
    out (the summary lists it), one without a line is put on the file's first line."""
    out = []
    for item in annotations:
        if not item.file:
            continue
        line = item.line or 1
        entry: dict[str, Any] = {
            "path": item.file,
            "start_line": line,
            "end_line": line,
            "annotation_level": _LEVEL.get(item.level, "notice"),
            "message": _cut_bytes(item.message, MAX_MESSAGE_BYTES),
        }
        if item.col is not None and item.line is not None:
            entry["start_column"] = entry["end_column"] = item.col
        if item.title:
            entry["title"] = item.title[:MAX_TITLE_CHARS]
        out.append(entry)
    return out


def fit_output(text: str) -> str:
    """Markdown cut to the Checks API's 65,535 characters, saying so when it was cut."""
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    note = "\n\n*Cut to fit the check run; the job summary has all of it.*"
    return text[: MAX_OUTPUT_CHARS - len(note)] + note


def publish_check_run(
    gh: Github,
    repository: str,
    head_sha: str,
    *,
    conclusion: str,
    title: str,
    summary: str,
    annotations: Sequence[dict[str, Any]],
    details_url: str | None = None,
) -> CheckRunResult:
    """Create a completed check run for `head_sha` with the first batch of annotations,
    then add the others, ANNOTATIONS_PER_REQUEST at a time."""
    from github import GithubException
    from github.GithubObject import NotSet

    from floe_ci.integrations.github.client import edge_errors

    batches = [
        list(annotations[i : i + ANNOTATIONS_PER_REQUEST])
        for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
    ] or [[]]
    output: dict[str, Any] = {"title": title[:MAX_TITLE_CHARS], "summary": fit_output(summary)}
    try:
        run = gh.get_repo(repository).create_check_run(
            name=CHECK_NAME,
            head_sha=head_sha,
            status="completed",
            conclusion=conclusion,
            output={**output, "annotations": batches[0]},
            details_url=details_url or NotSet,
        )
        for batch in batches[1:]:
            run.edit(output={**output, "annotations": batch})
    except GithubException as exc:
        if exc.status in (403, 404) and "rate limit" not in str(exc.data).lower():
            raise CheckRunNotPermitted(f"GitHub answered {exc.status}") from None
        raise CheckRunError(f"GitHub answered {exc.status}") from None
    except edge_errors() as exc:
        raise CheckRunError(type(exc).__name__) from None
    return CheckRunResult(run.html_url, run.id, len(annotations), len(batches))


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")
