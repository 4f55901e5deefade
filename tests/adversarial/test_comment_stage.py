"""Attack 4: the fork-safe `comment` stage reads files the pull request's code wrote.

It must read only regular files (no symbolic link to /proc/self/environ), each capped before
reading, render the comment itself from the validated JSON report (a forged comment.md is
never posted), keep the marker within GitHub's limit, and parse `pr-number` strictly."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from floe_ci.app.action import run_action
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.github.client import GitHubSettings, connect, upsert_sticky_comment
from floe_ci.integrations.github.event import pr_number_from_artifact
from floe_ci.report.json_report import render_json
from floe_ci.report.pr_comment import GITHUB_COMMENT_LIMIT, STICKY_MARKER
from tests.github_server import GitHubServer, webhook_example
from tests.unit.report_samples import sample_plan, sample_result

REPO = "floe-test/shop"
NUMBER = 42
SECRET = "ghs_secretInTheEnvironment123"


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with GitHubServer() as running:
        yield running
    assert running.violations == [], "\n".join(running.violations)


def _stage_two(server: GitHubServer, tmp_path: Path, artifact: Path) -> int:
    payload = webhook_example("workflow_run", "completed")
    pulls = payload["workflow_run"]["pull_requests"]
    pulls[:] = [{**(pulls[0] if pulls else {}), "number": NUMBER}]
    payload["repository"]["full_name"] = REPO
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    (tmp_path / "output").touch()
    (tmp_path / "summary").touch()
    env = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": server.url,
        "FLOE_GITHUB_BACKOFF": "0.01",
        "INPUT_COMMAND": "comment",
        "INPUT_WORKING-DIRECTORY": artifact.name,
        "INPUT_GITHUB-TOKEN": server.token,
    }
    outcome = run_action(env, io.StringIO())
    assert isinstance(outcome, int)
    return outcome


def _artifact(tmp_path: Path) -> Path:
    artifact = tmp_path / "floe-pr"
    artifact.mkdir()
    return artifact


def _bodies(server: GitHubServer) -> str:
    return "\n".join(c["body"] for c in server.comments_on(REPO, NUMBER))


def test_a_symlinked_artifact_is_never_read(server: GitHubServer, tmp_path: Path) -> None:
    environ = tmp_path / "environ"
    environ.write_text(f"GITHUB_TOKEN={SECRET}\n")
    artifact = _artifact(tmp_path)
    for name in ("comment.md", "report.json"):
        (artifact / name).symlink_to(environ)
    with pytest.raises(FloeUsageError, match="symbolic link"):
        _stage_two(server, tmp_path, artifact)
    assert SECRET not in _bodies(server)


def test_a_device_is_never_read(server: GitHubServer, tmp_path: Path) -> None:
    from floe_ci.fsutil import read_regular_file

    with pytest.raises(FloeUsageError, match="not a regular file"):
        read_regular_file(Path("/dev/zero"), "/dev/zero", 1024)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(FloeUsageError, match="not a regular file"):
        read_regular_file(tmp_path / "fifo", "fifo", 1024)  # and it does not block
    (tmp_path / "folder").mkdir()
    with pytest.raises(FloeUsageError, match="not a regular file"):
        read_regular_file(tmp_path / "folder", "folder", 1024)  # a message, no traceback


def test_an_oversized_artifact_is_refused_before_reading(
    server: GitHubServer, tmp_path: Path
) -> None:
    artifact = _artifact(tmp_path)
    for name in ("comment.md", "report.json"):
        with open(artifact / name, "wb") as handle:  # sparse: no disk, no time
            handle.truncate(600 * 1024 * 1024)
    with pytest.raises(FloeUsageError, match="at most"):
        _stage_two(server, tmp_path, artifact)
    assert server.comments_on(REPO, NUMBER) == []


def test_the_comment_is_rendered_from_the_report_not_the_forged_markdown(
    server: GitHubServer, tmp_path: Path
) -> None:
    artifact = _artifact(tmp_path)
    (artifact / "report.json").write_text(render_json(sample_result(), sample_plan()))
    (artifact / "comment.md").write_text(
        f"{STICKY_MARKER}\n@everyone ![x](https://e.vil/p.png) pwned"
    )
    assert _stage_two(server, tmp_path, artifact) == 0
    body = _bodies(server)
    assert body.startswith(STICKY_MARKER) and "pwned" not in body
    assert len(body) <= GITHUB_COMMENT_LIMIT


def test_a_report_that_is_not_floe_cis_is_a_located_error(
    server: GitHubServer, tmp_path: Path
) -> None:
    artifact = _artifact(tmp_path)
    (artifact / "report.json").write_text('{"findings": "all good"}')
    with pytest.raises(FloeUsageError, match=r"report\.json.*not a floe-ci report"):
        _stage_two(server, tmp_path, artifact)
    assert server.comments_on(REPO, NUMBER) == []


@pytest.mark.parametrize("text", ["²", "٤٢", "42abc", "-3", "0", "99999999999", ""])
def test_the_pull_request_number_is_ascii_digits(tmp_path: Path, text: str) -> None:
    (tmp_path / "pr-number").write_text(text + "\n", encoding="utf-8")
    with pytest.raises(FloeUsageError, match="not a number"):
        pr_number_from_artifact(tmp_path)


def test_the_marker_is_added_within_the_limit(server: GitHubServer) -> None:
    gh = connect(GitHubSettings(token=server.token, api_url=server.url, backoff_factor=0.01))
    upsert_sticky_comment(gh, REPO, NUMBER, "x" * GITHUB_COMMENT_LIMIT)
    (comment,) = server.comments_on(REPO, NUMBER)
    assert comment["body"].startswith(STICKY_MARKER)
    assert len(comment["body"]) <= GITHUB_COMMENT_LIMIT
