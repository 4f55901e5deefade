"""A threaded HTTP server on a free loopback port that answers the REST endpoints floe-ci uses.

State (comments, pull requests, check runs) lives in memory. Every request is validated
against GitHub's OpenAPI description, and so is every normal answer (so the server cannot
drift from GitHub); problems are collected in `violations`. Faults can be queued per test: a
502 once, a 403 on comment creation, a secondary rate limit with Retry-After, a create that
succeeds but answers 502, an HTML page with status 200, a slow answer, a comment
deleted by someone while the run edits it.

The token's identity is GitHub's: an Actions or app token (the default) may not call
`GET /user` (403 "Resource not accessible by integration") and writes as
`github-actions[bot]`; a personal access token (`user="octocat"`) is that user. Check runs
need `checks: write` (`checks=True`); without it their creation is refused with a 403.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import Headers

from tests.github_server.material import openapi_example, webhook_example
from tests.github_server.openapi_check import (
    ExchangeRequest,
    ExchangeResponse,
    request_violations,
    response_violations,
)
from tests.github_server.reviews import PullReviews

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
READ_ONLY_MESSAGE = "Resource not accessible by integration"
DOCS = "https://docs.github.com/rest"

_COMMENTS = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>\d+)/comments$")
_COMMENT = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/comments/(?P<id>\d+)$")
_PULL = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls/(?P<number>\d+)$")
_COMMIT_PULLS = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/commits/(?P<sha>\w+)/pulls$")
_CHECK_RUNS = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/check-runs$")
_CHECK_RUN = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/check-runs/(?P<id>\d+)$")
ACTIONS_BOT = "github-actions[bot]"


@dataclass
class Fault:
    """An answer to give instead of the normal one, `times` times, to matching requests."""

    method: str
    path_pattern: str
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    # Carry the request out first, then answer with the fault (a create that succeeded but
    # whose answer was lost: 201 then 502).
    apply: bool = False
    # A body that is not JSON (an HTML error page from a proxy), sent as text/html.
    raw: bytes | None = None
    # Seconds to wait before answering (a slow GitHub, for client timeouts).
    delay: float = 0.0
    # The comment the request names was deleted by someone just before it arrived.
    deleted_first: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and method == self.method
            and re.search(self.path_pattern, path) is not None
        )


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    body: Any
    status: int
    at: float
    authorization: str | None


class GitHubServer:
    """`with GitHubServer(token=...) as server:` then point PyGithub at `server.url`."""

    def __init__(
        self,
        token: str = "ghs_local_test_token",
        read_only: bool = False,
        user: str | None = None,
        checks: bool = False,
    ) -> None:
        self.token = token
        self.read_only = read_only
        self.user = user
        self.checks = checks
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.check_run_annotations: dict[int, list[dict[str, Any]]] = {}
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.comments: dict[int, dict[str, Any]] = {}
        self._comment_keys: dict[int, tuple[str, int]] = {}
        self.pulls: dict[tuple[str, int], dict[str, Any]] = {}
        self._ids = itertools.count(1_000_001)
        self._lock = threading.Lock()
        # Who the token is: what GitHub puts in `user` of the comments it writes.
        self._identity = _bot_user(webhook_example("issue_comment", "created")["comment"]["user"])
        if user is not None:
            self._identity = {**self._identity, "login": user, "id": 583231, "type": "User"}
        self._comment_template = webhook_example("issue_comment", "created")["comment"]
        # Reviews, review comments and team members (tests/github_server/reviews.py).
        self.pull_reviews = PullReviews(lambda: self.url, self._identity)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> GitHubServer:
        handler = type("Handler", (_Handler,), {"github": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- test set-up and inspection ---------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def add_pull(self, repository: str, pull: dict[str, Any]) -> None:
        """Serve `GET /repos/{repository}/pulls/{number}` from a webhook's pull_request object."""
        self.pulls[(repository, int(pull["number"]))] = copy.deepcopy(pull)

    def add_comment(self, repository: str, number: int, body: str, user: str | None = None) -> int:
        """A comment that exists before the run: another user's (`user`), or one written
        earlier with this server's token (`user=None`)."""
        with self._lock:
            comment = self._new_comment(repository, number, body)
            if user is not None:
                comment["user"] = {**comment["user"], "login": user, "type": "User"}
            return int(comment["id"])

    def comments_on(self, repository: str, number: int) -> list[dict[str, Any]]:
        return [
            c for i, c in self.comments.items() if self._comment_keys[i] == (repository, number)
        ]

    def seen(self, method: str, pattern: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    # -- endpoint logic (called with the lock held) -----------------------------------------
    def _new_comment(self, repository: str, number: int, body: str) -> dict[str, Any]:
        comment_id = next(self._ids)
        now = _timestamp()
        comment: dict[str, Any] = copy.deepcopy(self._comment_template)
        comment.update(
            id=comment_id,
            node_id=f"IC_kwDO{comment_id}",
            url=f"{self.url}/repos/{repository}/issues/comments/{comment_id}",
            html_url=f"https://github.com/{repository}/pull/{number}#issuecomment-{comment_id}",
            issue_url=f"{self.url}/repos/{repository}/issues/{number}",
            body=body,
            user=copy.deepcopy(self._identity),
            created_at=now,
            updated_at=now,
            author_association="NONE",
        )
        self.comments[comment_id] = comment
        self._comment_keys[comment_id] = (repository, number)
        return comment

    def handle(
        self, method: str, path: str, query: dict[str, str], payload: Any
    ) -> tuple[int, Any, dict[str, str]]:
        answer = self.pull_reviews.handle(method, path, query, payload, _page)
        if answer is not None:
            return answer
        if m := _COMMENTS.match(path):
            repository, number = f"{m['owner']}/{m['repo']}", int(m["number"])
            if method == "GET":
                items = sorted(self.comments_on(repository, number), key=lambda c: c["id"])
                return _page(items, query, f"{self.url}{path}")
            if method == "POST":
                if self.read_only:
                    return _error(403, READ_ONLY_MESSAGE)
                return 201, self._new_comment(repository, number, str(payload["body"])), {}
        if m := _COMMENT.match(path):
            comment = self.comments.get(int(m["id"]))
            if comment is None:
                return _error(404, "Not Found")
            if method == "GET":
                return 200, comment, {}
            if self.read_only:
                return _error(403, READ_ONLY_MESSAGE)
            if method == "PATCH":
                comment.update(body=str(payload["body"]), updated_at=_timestamp())
                return 200, comment, {}
            if method == "DELETE":
                del self.comments[comment["id"]]
                return 204, None, {}
        if (m := _PULL.match(path)) and method == "GET":
            pull = self.pulls.get((f"{m['owner']}/{m['repo']}", int(m["number"])))
            return (200, pull, {}) if pull is not None else _error(404, "Not Found")
        if (m := _COMMIT_PULLS.match(path)) and method == "GET":
            # The pull requests a commit belongs to: here, those merged as that commit.
            repository = f"{m['owner']}/{m['repo']}"
            items = [
                p
                for (repo, _), p in sorted(self.pulls.items())
                if repo == repository and p.get("merge_commit_sha") == m["sha"]
            ]
            return _page(items, query, f"{self.url}{path}")
        if path == "/user" and method == "GET":
            if self.user is None:  # an Actions or app token has no user behind it
                return _error(403, READ_ONLY_MESSAGE)
            profile = openapi_example(
                "private-user-response-with-public-and-private-profile-information"
            )
            profile.update(login=self.user, id=self._identity["id"], user_view_type="private")
            return 200, profile, {}
        if (m := _CHECK_RUNS.match(path)) and method == "POST":
            if self.read_only or not self.checks:
                return _error(403, READ_ONLY_MESSAGE)
            return 201, self._new_check_run(f"{m['owner']}/{m['repo']}", payload), {}
        if m := _CHECK_RUN.match(path):
            run = self.check_runs.get(int(m["id"]))
            if run is None:
                return _error(404, "Not Found")
            if method == "PATCH":
                if self.read_only or not self.checks:
                    return _error(403, READ_ONLY_MESSAGE)
                self._update_check_run(run, payload)
            return 200, run, {}
        return _error(404, "Not Found")

    def _new_check_run(self, repository: str, payload: dict[str, Any]) -> dict[str, Any]:
        run_id = next(self._ids)
        run = openapi_example("check-run-example-of-completed-conclusion")
        now = _timestamp()
        run.update(
            id=run_id,
            node_id=f"CR_kwDO{run_id}",
            name=payload["name"],
            head_sha=payload["head_sha"],
            url=f"{self.url}/repos/{repository}/check-runs/{run_id}",
            html_url=f"https://github.com/{repository}/runs/{run_id}",
            details_url=payload.get("details_url"),
            external_id=payload.get("external_id"),
            status="queued",
            conclusion=None,
            started_at=payload.get("started_at", now),
            completed_at=None,
            pull_requests=[],
            output={
                "title": None,
                "summary": None,
                "text": None,
                "annotations_count": 0,
                "annotations_url": f"{self.url}/repos/{repository}/check-runs/{run_id}/annotations",
            },
        )
        self.check_runs[run_id] = run
        self.check_run_annotations[run_id] = []
        self._update_check_run(run, payload)
        return run

    def _update_check_run(self, run: dict[str, Any], payload: dict[str, Any]) -> None:
        """As GitHub does: a conclusion completes the run; annotations are appended."""
        for key in ("name", "details_url", "external_id", "status"):
            if key in payload:
                run[key] = payload[key]
        if "conclusion" in payload:
            run.update(conclusion=payload["conclusion"], status="completed")
            run["completed_at"] = payload.get("completed_at", _timestamp())
        output = payload.get("output")
        if output:
            for key in ("title", "summary", "text"):
                if key in output:
                    run["output"][key] = output[key]
            annotations = self.check_run_annotations[run["id"]]
            annotations.extend(output.get("annotations", []))
            run["output"]["annotations_count"] = len(annotations)

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    github: GitHubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        server = self.github
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        request = ExchangeRequest(self.command, split.path, split.query, headers, raw or None)
        problems = [f"{self.command} {split.path}: {p}" for p in request_violations(request)]
        try:
            payload = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            payload = None
            problems.append(f"{self.command} {split.path}: body is not JSON")

        body: Any
        with server._lock:
            auth = self.headers.get("Authorization")
            fault = server.take_fault(self.command, split.path)
            if auth not in (f"token {server.token}", f"Bearer {server.token}"):
                status, body, extra = _error(401, "Bad credentials")
            elif fault is not None:
                if fault.deleted_first and (m := _COMMENT.match(split.path)):
                    server.comments.pop(int(m["id"]), None)
                if fault.apply and not problems:
                    server.handle(self.command, split.path, dict(parse_qsl(split.query)), payload)
                status, body, extra = fault.status, fault.body, dict(fault.headers)
            elif problems:
                status, body, extra = _error(422, "Validation Failed")
            else:
                status, body, extra = server.handle(
                    self.command, split.path, dict(parse_qsl(split.query)), payload
                )
            server.requests.append(
                RecordedRequest(
                    self.command, split.path, split.query, payload, status, time.monotonic(), auth
                )
            )
            server.violations.extend(problems)

        data = b"" if body is None else json.dumps(body).encode()
        if fault is not None and fault.raw is not None:
            data = fault.raw
            extra.setdefault("Content-Type", "text/html; charset=utf-8")
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        out = Headers(
            {
                "Content-Type": "application/json; charset=utf-8",
                "X-GitHub-Api-Version-Selected": "2022-11-28",
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": str(max(0, 5000 - len(server.requests))),
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
                "X-RateLimit-Used": str(len(server.requests)),
                "X-RateLimit-Resource": "core",
                **extra,
            }
        )
        if status == 204:
            del out["Content-Type"]
        # Faults and 401s are GitHub's generic errors, which operations do not list.
        if fault is None and not problems and status != 401:
            response = ExchangeResponse(status, data, out.get("Content-Type", ""), out)
            with server._lock:
                server.violations.extend(
                    f"answer to {self.command} {split.path}: {p}"
                    for p in response_violations(request, response)
                    # Any operation may answer GitHub's generic 403/404 error, listed or not
                    # (POST check-runs lists only 201, yet refuses a token without checks).
                    if not (status in (403, 404) and p.startswith("ResponseNotFound"))
                )
        self.send_response(status)
        for key, value in out.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _page(
    items: list[dict[str, Any]], query: dict[str, str], url: str
) -> tuple[int, Any, dict[str, str]]:
    per_page = min(int(query.get("per_page", "30")), 100)
    page = max(int(query.get("page", "1")), 1)
    last = max(1, -(-len(items) // per_page))
    links = []
    # Links point at the server that answered, as GitHub's do.
    base = f"{url}?per_page={per_page}&page="
    if page < last:
        links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
    if page > 1:
        links += [f'<{base}{page - 1}>; rel="prev"', f'<{base}1>; rel="first"']
    headers = {"Link": ", ".join(links)} if links else {}
    return 200, items[(page - 1) * per_page : page * per_page], headers


def _error(status: int, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"message": message, "documentation_url": DOCS, "status": str(status)}, {}


def _bot_user(template: dict[str, Any]) -> dict[str, Any]:
    bot = copy.deepcopy(template)
    bot.update(login="github-actions[bot]", id=41898282, node_id="MDM6Qm90NDE4OTgyODI=", type="Bot")
    return bot


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
