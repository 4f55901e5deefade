"""Which pull request this run is about, read from the event GitHub hands to the action.

`pull_request` and `pull_request_target` carry the pull request itself. `workflow_run` is
the second stage of the fork-safe pattern: the first stage (untrusted code, read-only token)
uploads its report and the pull request number as an artifact; the second (trusted, write
token) reads the number from the event's `pull_requests` list, which GitHub leaves empty for
forks, or else from that artifact, and checks that the pull request's head is the commit the
first stage ran on, so a forged number cannot make it comment elsewhere.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_ci.errors import FloeUsageError

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
PR_NUMBER_FILE = "pr-number"
MAX_PR_NUMBER_BYTES = 64


@dataclass(frozen=True)
class EventContext:
    """What the run needs to know about its trigger."""

    name: str
    repository: str | None
    pull_number: int | None
    head_sha: str | None
    # A head sha that the pull request must still point to before we comment (workflow_run).
    expected_head_sha: str | None = None
    from_fork: bool = False
    number_source: str = "event"
    # The base branch's commit when the event happened (pull_request events only).
    base_sha: str | None = None

    @property
    def is_pull_request(self) -> bool:
        return self.pull_number is not None


def read_event(env: Mapping[str, str], artifact_dir: Path | None = None) -> EventContext:
    """Read GITHUB_EVENT_NAME / GITHUB_EVENT_PATH (and GITHUB_REPOSITORY, GITHUB_SHA)."""
    name = env.get("GITHUB_EVENT_NAME", "")
    payload = _load_payload(env.get("GITHUB_EVENT_PATH"))
    repository = env.get("GITHUB_REPOSITORY") or _get(payload, "repository", "full_name")
    sha = env.get("GITHUB_SHA") or None

    if name in PULL_REQUEST_EVENTS:
        pull = payload.get("pull_request")
        if not isinstance(pull, dict):
            raise FloeUsageError.single(
                env.get("GITHUB_EVENT_PATH", "<event>"),
                f"a `{name}` event without a `pull_request` object",
                hint="the action reads the event file GitHub provides; do not replace it",
            )
        head_repo = _get(pull, "head", "repo", "full_name")
        base_repo = _get(pull, "base", "repo", "full_name")
        return EventContext(
            name=name,
            repository=repository or base_repo,
            pull_number=_as_number(pull.get("number") or payload.get("number")),
            head_sha=_get(pull, "head", "sha") or sha,
            from_fork=bool(head_repo and base_repo and head_repo != base_repo),
            base_sha=_get(pull, "base", "sha"),
        )

    if name == "workflow_run":
        run = payload.get("workflow_run")
        if not isinstance(run, dict):
            raise FloeUsageError.single(
                env.get("GITHUB_EVENT_PATH", "<event>"),
                "a `workflow_run` event without `workflow_run`",
            )
        head_sha = run.get("head_sha") if isinstance(run.get("head_sha"), str) else None
        pulls = [p for p in run.get("pull_requests") or [] if isinstance(p, dict)]
        number = _as_number(pulls[0].get("number")) if pulls else None
        source = "event"
        if number is None and artifact_dir is not None:
            number = pr_number_from_artifact(artifact_dir)
            source = "artifact"
        head_repo = _get(run, "head_repository", "full_name")
        return EventContext(
            name=name,
            repository=repository,
            pull_number=number,
            head_sha=head_sha,
            expected_head_sha=head_sha if source == "artifact" else None,
            from_fork=bool(head_repo and repository and head_repo != repository),
            number_source=source,
        )

    return EventContext(name=name or "local", repository=repository, pull_number=None, head_sha=sha)


def pr_number_from_artifact(artifact_dir: Path) -> int | None:
    """The number the first stage wrote to `pr-number`; an unreadable value is an error."""
    from floe_ci.fsutil import read_regular_file

    path = artifact_dir / PR_NUMBER_FILE
    if not path.exists() and not path.is_symlink():
        return None
    raw = read_regular_file(path, str(path), MAX_PR_NUMBER_BYTES)
    text = raw.decode("ascii", errors="replace").strip()
    # ASCII digits only: `str.isdigit` also accepts `²`, which `int()` refuses.
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise FloeUsageError.single(
            str(path),
            "the pull request number from the first stage's artifact is not a number",
            hint="the first stage writes it with `floe-ci action` (command: check)",
        )
    return int(text)


def _load_payload(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FloeUsageError.single(
            path, "GITHUB_EVENT_PATH names a file that does not exist"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FloeUsageError.single(path, f"the event file is not readable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FloeUsageError.single(path, "the event file does not hold a JSON object")
    return data


def _get(data: Any, *keys: str) -> str | None:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, str) else None


def _as_number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def run_url(env: Mapping[str, str]) -> str | None:
    """The page of this run's attempt (GITHUB_RUN_ID, GITHUB_REPOSITORY), None outside Actions."""
    run_id, repository = env.get("GITHUB_RUN_ID"), env.get("GITHUB_REPOSITORY")
    if not (run_id and repository):
        return None
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
    return f"{server}/{repository}/actions/runs/{run_id}/attempts/{attempt}"


def event_from_environment(artifact_dir: Path | None = None) -> EventContext:
    return read_event(os.environ, artifact_dir)
