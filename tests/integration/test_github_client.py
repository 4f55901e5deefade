"""PyGithub over real HTTP against the local GitHub server, which checks every request
against GitHub's OpenAPI description."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.github.checks import (
    ANNOTATIONS_PER_REQUEST,
    CheckRunNotPermitted,
    check_run_annotations,
    publish_check_run,
)
from floe_ci.integrations.github.client import (
    ACTIONS_BOT,
    CommentError,
    CommentNotPermitted,
    GitHubSettings,
    connect,
    pull_head_sha,
    token_login,
    upsert_sticky_comment,
)
from floe_ci.integrations.github.event import read_event
from floe_ci.report.pr_comment import STICKY_MARKER
from floe_ci.report.workflow_commands import Annotation
from tests.github_server import Fault, GitHubServer, webhook_example

pytestmark = pytest.mark.integration
REPO = "floe-test/shop"


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with GitHubServer() as running:
        yield running
    assert running.violations == [], "\n".join(running.violations)


def _gh(server: GitHubServer, **settings: Any):  # type: ignore[no-untyped-def]
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


# -- whose comment is ours ------------------------------------------------------------------


def test_a_marker_comment_by_another_author_is_left_alone_and_ours_is_created_beside_it(
    server: GitHubServer,
) -> None:
    spoof = server.add_comment(REPO, 21, f"{STICKY_MARKER}\n✅ passed, trust me", user="mallory")
    quote = server.add_comment(REPO, 21, f"> {STICKY_MARKER}\n> old verdict\nwhy?", user="bob")
    before = {i: dict(server.comments[i]) for i in (spoof, quote)}
    gh = _gh(server)
    first = upsert_sticky_comment(gh, REPO, 21, "verdict 1")
    second = upsert_sticky_comment(gh, REPO, 21, "verdict 2")
    assert (first.action, second.action) == ("created", "updated")
    assert first.comment_id == second.comment_id not in (spoof, quote)
    assert {i: server.comments[i] for i in (spoof, quote)} == before  # untouched, not deleted
    assert server.comments[first.comment_id]["user"]["login"] == ACTIONS_BOT
    assert server.seen("DELETE", "/comments/") == []
    # The Actions token may not ask who it is: GitHub's 403 names the bot.
    assert [r.status for r in server.seen("GET", "^/user$")] == [403, 403]


def test_a_personal_token_owns_the_comments_of_its_user() -> None:
    with GitHubServer(token="ghp_" + "p" * 36, user="octocat") as server:
        bot = server.add_comment(REPO, 22, f"{STICKY_MARKER}\nby the bot", user=ACTIONS_BOT)
        mine = server.add_comment(REPO, 22, f"{STICKY_MARKER}\nby octocat")
        gh = _gh(server)
        assert token_login(gh) == "octocat"
        result = upsert_sticky_comment(gh, REPO, 22, "new verdict")
        assert (result.action, result.comment_id) == ("updated", mine)
        assert server.comments[bot]["body"] == f"{STICKY_MARKER}\nby the bot"
        assert server.violations == []


# -- a flaky network -------------------------------------------------------------------------


def test_a_create_that_succeeded_but_answered_502_is_not_repeated(server: GitHubServer) -> None:
    server.inject(Fault("POST", r"/issues/23/comments$", 502, {"message": "x"}, apply=True))
    result = upsert_sticky_comment(_gh(server), REPO, 23, "verdict")
    assert [r.status for r in server.seen("POST", "/issues/23/comments")] == [502]
    assert len(_sticky(server, 23)) == 1 and result.comment_id == _sticky(server, 23)[0]["id"]
    assert result.action == "unchanged"


def test_an_html_page_with_status_200_is_a_comment_error(server: GitHubServer) -> None:
    page = b"<html><body>Unicorn! This page is taking too long to load.</body></html>"
    server.inject(Fault("GET", r"/issues/24/comments$", 200, raw=page))
    with pytest.raises(CommentError, match="not the JSON expected"):
        upsert_sticky_comment(_gh(server), REPO, 24, "verdict")


def test_a_refused_connection_and_a_slow_answer_are_comment_errors(server: GitHubServer) -> None:
    closed = GitHubServer().start()
    url = closed.url
    closed.stop()
    refused = connect(GitHubSettings(server.token, url, retries=1, backoff_factor=0.01))
    with pytest.raises(CommentError, match="could not connect"):
        upsert_sticky_comment(refused, REPO, 25, "x")
    server.inject(Fault("GET", r"/issues/25/comments$", 200, {}, delay=3, times=2))
    slow = connect(
        GitHubSettings(server.token, server.url, retries=1, backoff_factor=0.01, timeout=1)
    )
    started = time.monotonic()
    with pytest.raises(CommentError, match="did not answer in time"):
        upsert_sticky_comment(slow, REPO, 25, "x")
    assert time.monotonic() - started < 5


def test_retry_after_waits_are_capped_in_total(server: GitHubServer) -> None:
    server.inject(
        Fault("GET", r"/issues/26/comments$", 429, {"message": "x"}, {"Retry-After": "100000"}, 3)
    )
    settings = GitHubSettings(server.token, server.url, backoff_factor=0.01, max_total_wait=0.5)
    started = time.monotonic()
    result = upsert_sticky_comment(connect(settings), REPO, 26, "x")
    assert time.monotonic() - started < 3
    assert result.action == "created"
    assert [r.status for r in server.seen("GET", "/issues/26/comments")] == [429, 429, 429, 200]


# -- check runs ------------------------------------------------------------------------------


def _annotations(n: int) -> list[dict]:  # type: ignore[type-arg]
    return check_run_annotations(
        Annotation("error" if i % 3 else "warning", f"finding {i}", "shop/floe.yaml", i + 1, 3)
        for i in range(n)
    )


def test_a_check_run_gets_every_annotation_50_at_a_time() -> None:
    with GitHubServer(checks=True) as server:
        result = publish_check_run(
            _gh(server),
            REPO,
            "a" * 40,
            conclusion="failure",
            title="floe-ci: failed: 120 errors",
            summary="## the summary",
            annotations=_annotations(120),
            details_url="https://github.com/floe-test/shop/actions/runs/1",
        )
        assert server.violations == [], "\n".join(server.violations)
    assert (result.annotations, result.requests) == (120, 3)
    (run,) = server.check_runs.values()
    assert (run["head_sha"], run["conclusion"], run["status"]) == ("a" * 40, "failure", "completed")
    assert (
        run["output"]["summary"] == "## the summary" and run["output"]["annotations_count"] == 120
    )
    stored = server.check_run_annotations[run["id"]]
    assert [a["message"] for a in stored] == [f"finding {i}" for i in range(120)]
    assert stored[1]["annotation_level"] == "failure" and stored[0]["annotation_level"] == "warning"
    assert stored[5]["start_column"] == stored[5]["end_column"] == 3
    sizes = [
        len(r.body["output"]["annotations"]) for r in server.requests if "check-runs" in r.path
    ]
    assert sizes == [ANNOTATIONS_PER_REQUEST, ANNOTATIONS_PER_REQUEST, 20]
    assert result.url == f"https://github.com/{REPO}/runs/{run['id']}"


def test_a_token_without_checks_write_is_not_permitted(server: GitHubServer) -> None:
    with pytest.raises(CheckRunNotPermitted):
        publish_check_run(
            _gh(server),
            REPO,
            "b" * 40,
            conclusion="success",
            title="t",
            summary="s",
            annotations=[],
        )
    assert [r.status for r in server.seen("POST", "/check-runs$")] == [403]  # not retried


def test_annotations_without_a_file_are_left_out_and_long_text_is_cut() -> None:
    out = check_run_annotations(
        [
            Annotation("error", "no place", None, None),
            Annotation("notice", "x" * 70_000, "a.sql", None, 4, "t" * 300),
        ]
    )
    assert len(out) == 1
    assert (out[0]["start_line"], out[0]["end_line"], out[0]["annotation_level"]) == (
        1,
        1,
        "notice",
    )
    assert "start_column" not in out[0]  # a column needs a line
    assert len(out[0]["message"]) == 64 * 1024 and len(out[0]["title"]) == 255


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
