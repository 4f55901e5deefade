"""Attacks 2, 6 and 11: the sticky comment and a flaky network at the GitHub edge.

The sticky comment is the one with the marker AND the token's author; comments by others
are never edited or deleted. Every network fault (refused, slow, an HTML page with status
200, a create that succeeded but answered 502, a huge Retry-After) is a warning in the log,
never a failed step, and never a second comment. A comment deleted during the run is written
again; a duplicate that vanished before its deletion is no failure."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from floe_ci.integrations.github.client import GitHubSettings, connect, upsert_sticky_comment
from floe_ci.integrations.github.comment import post_comment
from floe_ci.integrations.github.event import EventContext
from floe_ci.integrations.github.runner import Step
from floe_ci.report.pr_comment import STICKY_MARKER
from tests.github_server import Fault, GitHubServer

REPO = "floe-test/shop"
EVENT = EventContext("pull_request", REPO, 7, "a" * 40)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with GitHubServer() as running:
        yield running
    assert running.violations == [], "\n".join(running.violations)


def _gh(server: GitHubServer):  # type: ignore[no-untyped-def]
    return connect(GitHubSettings(token=server.token, api_url=server.url, backoff_factor=0.01))


def _post(
    server: GitHubServer, tmp_path: Path, body: str = "verdict", **env: str
) -> tuple[str, str]:
    """post_comment as the step runs it: (url, what the log got)."""
    log = io.StringIO()
    summary = tmp_path / "summary"
    summary.touch()
    step = Step(log, None, str(summary))
    environ = {"GITHUB_API_URL": server.url, "FLOE_GITHUB_BACKOFF": "0.01", **env}
    url = post_comment(step, server.token, environ, EVENT, body)
    return url, log.getvalue()


def _ours(server: GitHubServer) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in server.comments_on(REPO, 7) if STICKY_MARKER in c["body"]]


# -- attack 2: the marker alone proves nothing -------------------------------------------


def test_a_spoofed_marker_comment_is_never_adopted(server: GitHubServer) -> None:
    spoof = server.add_comment(REPO, 7, f"{STICKY_MARKER}\nall clear, merge it", user="mallory")
    quote = server.add_comment(REPO, 7, f"> {STICKY_MARKER}\n> why this finding?", user="rev")
    first = upsert_sticky_comment(_gh(server), REPO, 7, "verdict 1")
    second = upsert_sticky_comment(_gh(server), REPO, 7, "verdict 2")
    assert first.action == "created" and second.action == "updated"
    assert first.comment_id == second.comment_id not in (spoof, quote)
    bodies = {c["id"]: c["body"] for c in server.comments_on(REPO, 7)}
    assert bodies[spoof] == f"{STICKY_MARKER}\nall clear, merge it"
    assert quote in bodies  # a reviewer's quote is not "a duplicate"
    assert not server.seen("DELETE", "/issues/comments/")
    assert [r.path for r in server.seen("PATCH", "/issues/comments/")] == [
        f"/repos/{REPO}/issues/comments/{first.comment_id}"
    ]


# -- attack 11: deleted while we ran ------------------------------------------------------


def test_a_comment_deleted_during_the_run_is_written_again(
    server: GitHubServer, tmp_path: Path
) -> None:
    upsert_sticky_comment(_gh(server), REPO, 7, "verdict 1")
    server.inject(
        Fault("PATCH", r"/issues/comments/\d+$", 404, {"message": "Not Found"}, deleted_first=True)
    )
    url, log = _post(server, tmp_path, "verdict 2")
    assert "fork" not in log and "::warning" not in log
    (comment,) = _ours(server)
    assert comment["body"] == f"{STICKY_MARKER}\nverdict 2" and url


def test_a_duplicate_that_vanished_before_its_deletion_is_no_failure(
    server: GitHubServer, tmp_path: Path
) -> None:
    upsert_sticky_comment(_gh(server), REPO, 7, "verdict 1")
    duplicate = server.add_comment(REPO, 7, f"{STICKY_MARKER}\nraced")
    server.inject(
        Fault(
            "DELETE",
            rf"/issues/comments/{duplicate}$",
            404,
            {"message": "Not Found"},
            deleted_first=True,
        )
    )
    url, log = _post(server, tmp_path, "verdict 2")
    assert url and "::warning" not in log
    assert [c["body"] for c in _ours(server)] == [f"{STICKY_MARKER}\nverdict 2"]


# -- attack 6: network faults are warnings, and POST is never repeated blindly -----------


def test_a_refused_connection_is_a_warning(tmp_path: Path) -> None:
    closed = GitHubServer().start()
    url = closed.url
    closed.stop()
    log = io.StringIO()
    summary = tmp_path / "summary"
    summary.touch()
    step = Step(log, None, str(summary))
    started = time.monotonic()
    env = {"GITHUB_API_URL": url, "FLOE_GITHUB_BACKOFF": "0.01"}
    assert post_comment(step, "ghs_x", env, EVENT, "verdict") == ""
    assert "could not connect to GitHub" in log.getvalue()
    assert time.monotonic() - started < 10


def test_a_slow_github_is_a_warning_within_the_timeout(
    server: GitHubServer, tmp_path: Path
) -> None:
    server.inject(Fault("GET", r"/issues/7/comments$", 200, {}, delay=3, times=10))
    started = time.monotonic()
    url, log = _post(server, tmp_path, FLOE_GITHUB_TIMEOUT="1")
    assert url == "" and "did not answer in time" in log
    assert time.monotonic() - started < 20


def test_an_html_page_with_status_200_is_a_warning(server: GitHubServer, tmp_path: Path) -> None:
    page = b"<html><body>Unicorn! This page is taking too long to load.</body></html>"
    server.inject(Fault("GET", r"/issues/7/comments$", 200, raw=page))
    url, log = _post(server, tmp_path)
    assert url == "" and "::warning" in log


@pytest.mark.parametrize("status", [502, 504])
def test_a_create_that_succeeded_but_answered_5xx_leaves_one_comment(
    server: GitHubServer, tmp_path: Path, status: int
) -> None:
    server.inject(Fault("POST", r"/issues/7/comments$", status, {"message": "x"}, apply=True))
    url, _ = _post(server, tmp_path)
    assert url and len(_ours(server)) == 1
    assert len(server.seen("POST", "/issues/7/comments")) == 1


def test_a_slow_create_that_succeeded_leaves_one_comment(
    server: GitHubServer, tmp_path: Path
) -> None:
    server.inject(Fault("POST", r"/issues/7/comments$", 201, {}, apply=True, delay=3))
    _post(server, tmp_path, FLOE_GITHUB_TIMEOUT="1")
    time.sleep(3)  # the answer the client gave up on arrives
    assert len(_ours(server)) == 1


def test_retry_after_is_capped_in_total(server: GitHubServer, tmp_path: Path) -> None:
    server.inject(
        Fault("GET", r"/issues/7/comments$", 429, {"message": "x"}, {"Retry-After": "100000"}, 10)
    )
    settings = GitHubSettings(server.token, server.url, backoff_factor=0.01, max_total_wait=1)
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - a CommentError after the budget
        upsert_sticky_comment(connect(settings), REPO, 7, "x")
    assert time.monotonic() - started < 10
