"""PyGithub over real HTTP against the local GitHub server, which checks every request
against GitHub's OpenAPI description."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.github.client import (
    CommentError,
    CommentNotPermitted,
    GitHubSettings,
    connect,
    pull_head_sha,
    upsert_sticky_comment,
)
from floe_ci.integrations.github.event import read_event
from floe_ci.report.pr_comment import STICKY_MARKER
from tests.github_server import Fault, GitHubServer, webhook_example

pytestmark = pytest.mark.integration
REPO = "floe-test/shop"


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with GitHubServer() as running:
        yield running
    assert running.violations == [], "\n".join(running.violations)


def _gh(server: GitHubServer, **settings: float):  # type: ignore[no-untyped-def]
    return connect(
        GitHubSettings(token=server.token, api_url=server.url, backoff_factor=0.05, **settings)
    )


def _sticky(server: GitHubServer, number: int) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in server.comments_on(REPO, number) if STICKY_MARKER in c["body"]]


def test_creates_then_updates_then_leaves_one_comment(server: GitHubServer) -> None:
    server.add_comment(REPO, 5, "looks good to me", user="reviewer")
    gh = _gh(server)
    first = upsert_sticky_comment(gh, REPO, 5, "verdict 1")
    second = upsert_sticky_comment(gh, REPO, 5, "verdict 2")
    third = upsert_sticky_comment(gh, REPO, 5, "verdict 2")
    assert (first.action, second.action, third.action) == ("created", "updated", "unchanged")
    assert first.comment_id == second.comment_id == third.comment_id
    (comment,) = _sticky(server, 5)
    assert comment["body"] == f"{STICKY_MARKER}\nverdict 2"
    assert len(server.comments_on(REPO, 5)) == 2  # the reviewer's comment is untouched
    assert second.url.endswith(f"#issuecomment-{comment['id']}")
    assert len(server.seen("PATCH", "/issues/comments/")) == 1  # unchanged: no write


def test_finds_the_marker_on_a_later_page_and_removes_duplicates(server: GitHubServer) -> None:
    for i in range(230):
        server.add_comment(REPO, 9, f"chatter {i}", user="someone")
    old = server.add_comment(REPO, 9, f"{STICKY_MARKER}\nold verdict")
    duplicate = server.add_comment(REPO, 9, f"{STICKY_MARKER}\nraced verdict")
    result = upsert_sticky_comment(_gh(server), REPO, 9, "new verdict")
    assert result.action == "updated"
    assert result.comment_id == old
    assert result.duplicates_removed == 1
    assert duplicate not in server.comments
    pages = server.seen("GET", "/issues/9/comments$")
    assert "page=3" in pages[-1].query  # all 233 comments, 100 a page
    assert len(pages) == 3


def test_retries_a_502_then_succeeds(server: GitHubServer) -> None:
    server.inject(Fault("POST", r"/issues/3/comments$", 502, {"message": "Server Error"}))
    result = upsert_sticky_comment(_gh(server), REPO, 3, "verdict")
    assert result.action == "created"
    assert [r.status for r in server.seen("POST", "/issues/3/comments")] == [502, 201]
    assert len(_sticky(server, 3)) == 1


def test_honours_retry_after_on_a_secondary_rate_limit(server: GitHubServer) -> None:
    upsert_sticky_comment(_gh(server), REPO, 4, "first")
    server.inject(
        Fault(
            "PATCH",
            r"/issues/comments/\d+$",
            403,
            {"message": "You have exceeded a secondary rate limit.", "documentation_url": "x"},
            {"Retry-After": "1"},
        )
    )
    result = upsert_sticky_comment(_gh(server), REPO, 4, "second")
    assert result.action == "updated"
    patches = server.seen("PATCH", "/issues/comments/")
    assert [p.status for p in patches] == [403, 200]
    assert patches[1].at - patches[0].at >= 0.95


def test_a_429_with_retry_after_is_retried(server: GitHubServer) -> None:
    server.inject(Fault("GET", r"/comments$", 429, {"message": "Too many"}, {"Retry-After": "1"}))
    upsert_sticky_comment(_gh(server), REPO, 11, "x")
    gets = server.seen("GET", "/issues/11/comments$")
    assert [g.status for g in gets] == [429, 200]
    assert gets[1].at - gets[0].at >= 0.95


def test_secondary_rate_limit_without_retry_after_waits_the_configured_time(
    server: GitHubServer,
) -> None:
    server.inject(
        Fault(
            "POST",
            r"/comments$",
            403,
            {"message": "You have exceeded a secondary rate limit.", "documentation_url": "x"},
        )
    )
    started = time.monotonic()
    upsert_sticky_comment(_gh(server, secondary_rate_wait=0.6), REPO, 8, "x")
    assert time.monotonic() - started >= 0.55
    assert [p.status for p in server.seen("POST", "/comments")] == [403, 201]


def test_read_only_token_is_reported_as_not_permitted() -> None:
    with GitHubServer(read_only=True) as server:
        with pytest.raises(CommentNotPermitted, match="fork"):
            upsert_sticky_comment(_gh(server), REPO, 6, "verdict")
        assert len(server.seen("POST", "/comments")) == 1  # a plain 403 is not retried
        assert server.violations == []


def test_persistent_5xx_gives_up_with_a_comment_error(server: GitHubServer) -> None:
    server.inject(Fault("GET", r"/comments$", 503, {"message": "unavailable"}, times=10))
    with pytest.raises(CommentError, match="GitHub answered 503"):
        upsert_sticky_comment(
            connect(GitHubSettings(server.token, server.url, retries=2, backoff_factor=0.01)),
            REPO,
            2,
            "x",
        )
    assert len(server.seen("GET", "/comments")) == 3


def test_token_never_appears_in_an_error(server: GitHubServer) -> None:
    bad = GitHubSettings(token="ghp_" + "x" * 36, api_url=server.url, retries=0)
    with pytest.raises(CommentError) as caught:
        upsert_sticky_comment(connect(bad), REPO, 1, "x")
    assert "ghp_" not in str(caught.value)
    assert "401" in str(caught.value)


def test_pull_head_sha_reads_the_pull_request(server: GitHubServer) -> None:
    pull = webhook_example("pull_request", "synchronize")["pull_request"]
    server.add_pull(REPO, pull)
    assert pull_head_sha(_gh(server), REPO, pull["number"]) == pull["head"]["sha"]


def test_the_server_rejects_requests_that_break_the_description() -> None:
    with GitHubServer() as server:
        headers = {"Authorization": f"token {server.token}"}
        answer = requests.post(
            f"{server.url}/repos/{REPO}/issues/1/comments",
            json={"text": "x"},
            headers=headers,
            timeout=10,
        )
        requests.get(
            f"{server.url}/repos/{REPO}/issues/1/comments?per_page=many",
            headers=headers,
            timeout=10,
        )
        requests.get(f"{server.url}/repos/{REPO}/no/such/endpoint", headers=headers, timeout=10)
    assert answer.status_code == 422
    assert len(server.violations) == 3
    assert "'body' is a required property" in server.violations[0]
    assert "per_page" in server.violations[1]
    assert "Path not found" in server.violations[2]


# -- the event -------------------------------------------------------------------------------


def _event_env(tmp_path: Path, name: str, payload: dict) -> dict[str, str]:  # type: ignore[type-arg]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return {"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}


@pytest.mark.parametrize("name", ["pull_request", "pull_request_target"])
def test_reads_a_pull_request_event(tmp_path: Path, name: str) -> None:
    payload = webhook_example("pull_request", "synchronize")
    event = read_event(_event_env(tmp_path, name, payload))
    assert event.pull_number == payload["number"]
    assert event.repository == payload["repository"]["full_name"]
    assert event.head_sha == payload["pull_request"]["head"]["sha"]
    assert not event.from_fork


def test_a_fork_is_recognised(tmp_path: Path) -> None:
    payload = webhook_example("pull_request", "synchronize")
    payload["pull_request"]["head"]["repo"]["full_name"] = "stranger/shop"
    assert read_event(_event_env(tmp_path, "pull_request", payload)).from_fork


def test_workflow_run_takes_the_number_from_the_event_or_the_artifact(tmp_path: Path) -> None:
    payload = webhook_example("workflow_run", "completed")
    run = payload["workflow_run"]
    run["pull_requests"] = [{"number": 12, "id": 1, "url": "x", "head": {}, "base": {}}]
    event = read_event(_event_env(tmp_path, "workflow_run", payload))
    assert (event.pull_number, event.number_source, event.expected_head_sha) == (12, "event", None)

    run["pull_requests"] = []  # as GitHub sends it for a fork
    artifact = tmp_path / "artifact"
    artifact.mkdir()
    (artifact / "pr-number").write_text("34\n")
    event = read_event(_event_env(tmp_path, "workflow_run", payload), artifact_dir=artifact)
    assert (event.pull_number, event.number_source) == (34, "artifact")
    assert event.expected_head_sha == run["head_sha"]

    (artifact / "pr-number").write_text("34; rm -rf /")
    with pytest.raises(FloeUsageError, match="not a number"):
        read_event(_event_env(tmp_path, "workflow_run", payload), artifact_dir=artifact)


def test_a_push_has_no_pull_request(tmp_path: Path) -> None:
    payload = webhook_example("push")
    event = read_event({**_event_env(tmp_path, "push", payload), "GITHUB_SHA": "abc"})
    assert not event.is_pull_request
    assert event.repository == payload["repository"]["full_name"]


def test_an_unreadable_event_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("{not json")
    with pytest.raises(FloeUsageError, match="not readable JSON"):
        read_event({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(bad)})
