"""`floe-ci action` as the runner starts it: the installed entry point in a subprocess, inputs
as INPUT_* variables, a real webhook payload as GITHUB_EVENT_PATH, and the local GitHub server
(which checks every request against GitHub's OpenAPI description) as GITHUB_API_URL.

On a `pull_request` event the action reviews against the merge base of the event's base
commit and the head (tests/e2e/test_action_review.py); here the base is the checkout's own
commit, so the review finds no change and the rules' findings decide."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from floe_ci.report.pr_comment import STICKY_MARKER
from tests.conftest import copy_example
from tests.github_server import Fault, GitHubServer, webhook_example

pytestmark = pytest.mark.e2e
REPO = "floe-test/shop"
PR_NUMBER = 42
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
FLOE_CI = Path(sys.executable).parent / "floe-ci"
CUBE_SECRET = "cube-api-secret-value-7731"


GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


def commit_all(root: Path, message: str) -> str:
    subprocess.run([*GIT, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-q", "-m", message], check=True)
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout whose pipeline has a classification without a policy (so the check fails),
    committed, with a bare `origin` (as a runner's checkout of github.com has)."""
    root = tmp_path_factory.mktemp("workspace")
    project = copy_example(root / "shop")
    spec = project / "floe.yaml"
    text = spec.read_text()
    financial = re.search(r"\n    financial:\n(?:      .*\n)+", text)
    assert financial is not None
    spec.write_text(text.replace(financial.group(0), "\n"))
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    commit_all(root, "the pull request's head, also its base")
    origin = tmp_path_factory.mktemp("origin") / "shop.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(root), str(origin)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", origin.as_uri()], check=True)
    return root


def head_of(root: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


def parse_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it (`name<<DELIMITER` blocks)."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        body = []
        for value_line in lines:
            if value_line == delimiter:
                break
            body.append(value_line)
        values[name] = "\n".join(body)
    return values


def pr_event(tmp: Path, base_sha: str | None = None, head_sha: str = HEAD_SHA) -> Path:
    """A real `pull_request` payload about REPO#PR_NUMBER; `base_sha` is the base branch's
    commit (else the example's own, which no test repository has)."""
    payload = webhook_example("pull_request", "synchronize")
    owner, name = REPO.split("/")
    payload["number"] = payload["pull_request"]["number"] = PR_NUMBER
    payload["pull_request"]["head"]["sha"] = head_sha
    if base_sha is not None:
        payload["pull_request"]["base"]["sha"] = base_sha
    for side in ("head", "base"):
        payload["pull_request"][side]["repo"].update(full_name=REPO, name=name)
    payload["repository"].update(full_name=REPO, name=name)
    payload["repository"]["owner"]["login"] = owner
    path = tmp / "event.json"
    path.write_text(json.dumps(payload))
    return path


def run_action(
    workspace: Path,
    server: GitHubServer,
    tmp: Path,
    run_id: str,
    *,
    base_sha: str | None = None,
    head_sha: str = HEAD_SHA,
    **inputs: str,
) -> Run:
    """`floe-ci action` on a `pull_request` event whose base is `base_sha` (default: the
    checkout's HEAD, so the default review finds no change)."""
    summary, outputs = tmp / f"summary-{run_id}.md", tmp / f"output-{run_id}.txt"
    summary.touch()
    outputs.touch()
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("INPUT_", "GITHUB_"))
    }
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(pr_event(tmp, base_sha or head_of(workspace), head_sha)),
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_SHA": head_sha,
            "GITHUB_RUN_ID": run_id,
            "GITHUB_API_URL": server.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "FLOE_GITHUB_BACKOFF": "0.05",
            # Named by the example's floe.yaml (`api_secret_ref`): must be masked.
            "CUBE_API_SECRET": CUBE_SECRET,
            # Exactly as a Docker action receives inputs: upper case, hyphens kept.
            "INPUT_COMMAND": "check",
            "INPUT_CONFIG": "floe.yaml",
            "INPUT_WORKING-DIRECTORY": "shop",
            "INPUT_FAIL-ON": "error",
            "INPUT_COMMENT": "true",
            "INPUT_GITHUB-TOKEN": server.token,
        }
    )
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    done = subprocess.run(
        [str(FLOE_CI), "action"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=workspace,  # the runner starts a Docker action in GITHUB_WORKSPACE
    )
    return Run(
        done.returncode,
        done.stdout,
        done.stderr,
        summary.read_text(),
        parse_outputs(outputs.read_text()),
    )


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with GitHubServer(token="ghs_" + "e2eTokenValue" * 3) as running:
        running.add_comment(REPO, PR_NUMBER, "Please also update the docs.", user="reviewer")
        yield running


def test_two_runs_leave_exactly_one_comment_updated_in_place(
    workspace: Path, server: GitHubServer, tmp_path: Path
) -> None:
    first = run_action(workspace, server, tmp_path, "1001")
    second = run_action(workspace, server, tmp_path, "1002")

    assert server.violations == [], "\n".join(server.violations)
    for run in (first, second):
        assert run.code == 1, run.stderr  # the verdict: unpoliced classification errors
        assert "Traceback" not in run.stderr
        assert run.outputs["verdict"] == "failed"
        assert int(run.outputs["findings-count"]) >= 2
    ours = [c for c in server.comments_on(REPO, PR_NUMBER) if STICKY_MARKER in c["body"]]
    assert len(ours) == 1
    assert len(server.comments_on(REPO, PR_NUMBER)) == 2  # and the reviewer's
    assert [r.status for r in server.seen("POST", "/comments$")] == [201]
    assert [r.status for r in server.seen("PATCH", "/issues/comments/")] == [200]
    body = ours[0]["body"]
    assert "runs/1002/" in body and "runs/1001/" not in body  # the second run's text
    assert first.outputs["comment-url"] == second.outputs["comment-url"] == ours[0]["html_url"]
    assert "floe-ci: failed" in body and "FLOE101" in body

    # Annotations on the exact file and line, the summary, and the files for artifacts.
    assert re.search(
        r"^::error file=shop/models/staging/_staging\.yml,line=\d+", second.stdout, re.M
    )
    # A pull request is reviewed: the summary is the review comment, in full.
    assert "floe-ci: failed" in second.summary and "FLOE101" in second.summary
    # The token may not write check runs (403): the annotations stay workflow commands.
    assert [r.status for r in server.seen("POST", "/check-runs$")] == [403, 403]
    assert "check run" not in first.stdout + second.stdout
    # Paths relative to the workspace: later steps run outside the action's container.
    assert second.outputs["artifacts-path"] == "shop/.floe/github"
    artifacts = workspace / second.outputs["artifacts-path"]
    assert (artifacts / "pr-number").read_text().strip() == str(PR_NUMBER)
    report = json.loads((workspace / second.outputs["report-path"]).read_text())
    assert report["pipeline"] == "shop"
    sarif = json.loads((workspace / second.outputs["sarif-path"]).read_text())
    assert sarif["version"] == "2.1.0"

    # The token: masked first, and never printed or written anywhere else.
    for run in (first, second):
        lines = (run.stdout + run.stderr).splitlines()
        assert lines[0] == f"::add-mask::{server.token}"
        assert [line for line in lines if server.token in line] == [lines[0]]
        assert [line for line in lines if CUBE_SECRET in line] == [f"::add-mask::{CUBE_SECRET}"]
        assert server.token not in run.summary + json.dumps(run.outputs)
    assert server.token not in "".join(p.read_text() for p in artifacts.iterdir())


def test_a_read_only_token_leaves_the_verdict_in_the_summary_and_exits_by_the_verdict(
    workspace: Path, tmp_path: Path
) -> None:
    with GitHubServer(read_only=True) as server:
        run = run_action(workspace, server, tmp_path, "2001")
    assert server.violations == [], "\n".join(server.violations)
    assert run.code == 1, run.stderr  # the findings' exit code, not a crash
    assert "Traceback" not in run.stderr
    warning = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert warning and "may not comment" in warning[0] and "fork" in warning[0]
    assert "floe-ci: failed" in run.summary and "FLOE101" in run.summary
    assert "The pull-request comment was not posted" in run.summary
    assert run.outputs["verdict"] == "failed" and run.outputs["comment-url"] == ""
    assert server.comments == {}


def test_a_502_on_comment_creation_is_retried(
    workspace: Path, server: GitHubServer, tmp_path: Path
) -> None:
    server.inject(Fault("POST", r"/issues/\d+/comments$", 502, {"message": "Server Error"}))
    run = run_action(workspace, server, tmp_path, "3001", fail_on="never")
    assert server.violations == [], "\n".join(server.violations)
    assert run.code == 0, run.stderr  # fail-on never
    assert [r.status for r in server.seen("POST", "/comments$")] == [502, 201]
    assert run.outputs["verdict"] == "passed"
    assert run.outputs["comment-url"].startswith("https://github.com/floe-test/shop/pull/42#")


def test_the_second_stage_posts_the_first_stages_comment(
    workspace: Path, server: GitHubServer, tmp_path: Path
) -> None:
    # Stage 1 (pull_request from a fork, read-only token) left its files; download them.
    first = run_action(workspace, server, tmp_path, "4001")
    artifact = tmp_path / "floe-pr"
    shutil.copytree(workspace / first.outputs["artifacts-path"], artifact)
    payload = webhook_example("workflow_run", "completed")
    payload["workflow_run"].update(pull_requests=[], head_sha=HEAD_SHA)
    payload["repository"]["full_name"] = REPO
    event = tmp_path / "workflow_run.json"
    event.write_text(json.dumps(payload))
    pull = webhook_example("pull_request", "synchronize")["pull_request"]
    pull.update(number=PR_NUMBER)
    pull["head"]["sha"] = HEAD_SHA
    server.add_pull(REPO, pull)
    for comment_id in list(server.comments):  # as if stage 1 could not comment
        if STICKY_MARKER in server.comments[comment_id]["body"]:
            del server.comments[comment_id]

    run = _stage_two(workspace, server, tmp_path, event, artifact)
    assert run.code == 0, run.stderr
    assert server.violations == [], "\n".join(server.violations)
    ours = [c for c in server.comments_on(REPO, PR_NUMBER) if STICKY_MARKER in c["body"]]
    # Rendered by stage 2 from stage 1's report.json: the same comment but for the footer,
    # which names the run that posted it.
    first_comment = (artifact / "comment.md").read_text()
    assert len(ours) == 1

    def without_footer(body: str) -> list[str]:
        return [line for line in body.splitlines() if not line.startswith("<sub>floe-ci ")]

    assert without_footer(ours[0]["body"]) == without_footer(first_comment)
    assert len(without_footer(first_comment)) == len(first_comment.splitlines()) - 1
    assert run.outputs["verdict"] == "failed"

    # A forged number: the pull request's head is not the commit stage 1 ran on.
    pull["head"]["sha"] = "f" * 40
    server.add_pull(REPO, pull)
    run = _stage_two(workspace, server, tmp_path, event, artifact)
    assert run.code == 0
    assert "no comment posted" in run.stdout
    assert len(server.seen("PATCH", "/issues/comments/")) == 0


def _stage_two(
    workspace: Path, server: GitHubServer, tmp: Path, event: Path, artifact: Path
) -> Run:
    summary, outputs = tmp / "summary-2.md", tmp / "output-2.txt"
    summary.write_text("")
    outputs.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env.update(
        GITHUB_WORKSPACE=str(tmp),
        GITHUB_EVENT_NAME="workflow_run",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY=REPO,
        GITHUB_API_URL=server.url,
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
        INPUT_COMMAND="comment",
        **{"INPUT_WORKING-DIRECTORY": artifact.name, "INPUT_GITHUB-TOKEN": server.token},
    )
    done = subprocess.run(
        [str(FLOE_CI), "action"], env=env, capture_output=True, text=True, timeout=120
    )
    return Run(
        done.returncode,
        done.stdout,
        done.stderr,
        summary.read_text(),
        parse_outputs(outputs.read_text()),
    )


def test_other_commands_run_with_the_config(
    workspace: Path, server: GitHubServer, tmp_path: Path
) -> None:
    run = run_action(workspace, server, tmp_path, "7001", command="validate")
    assert run.code == 0, run.stderr
    assert "is valid: pipeline `shop`" in run.stdout
    assert server.requests == []


def test_a_bad_input_is_a_usage_error(
    workspace: Path, server: GitHubServer, tmp_path: Path
) -> None:
    run = run_action(workspace, server, tmp_path, "5001", fail_on="sometimes")
    assert run.code == 2
    assert "Traceback" not in run.stderr
    assert "input `fail-on`: `sometimes` is not one of error, warning, never" in run.stderr
    run = run_action(workspace, server, tmp_path, "5002", command="rm -rf /")
    assert run.code == 2
    assert "input `command`: `rm -rf /` is not one of check, comment, " in run.stderr


def test_a_broken_floe_yaml_is_annotated_and_exits_2(
    workspace: Path, server: GitHubServer, tmp_path: Path
) -> None:
    broken = workspace / "broken"
    if not broken.exists():
        copy_example(broken)
        spec = broken / "floe.yaml"
        spec.write_text(spec.read_text().replace("consumption:", "consumtion:"))
    run = run_action(workspace, server, tmp_path, "6001", working_directory="broken")
    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert re.search(
        r"^::error file=broken/floe\.yaml,line=\d+,col=\d+::unknown key `consumtion`",
        run.stdout,
        re.M,
    )
    assert run.outputs["verdict"] == "error"
    assert "configuration error" in run.summary
    assert server.comments_on(REPO, PR_NUMBER)[0]["user"]["login"] == "reviewer"


def _reviewed_checkout(root: Path, edits: dict[str, tuple[str, str]]) -> tuple[Path, str]:
    """A git checkout of the example (committed: the base) with `edits` in its working tree."""
    copy_example(root / "shop")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(root)]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    base = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    for relative, (old, new) in edits.items():
        path = root / "shop" / relative
        text = path.read_text()
        assert old in text, f"{relative} lacks {old!r}"
        path.write_text(text.replace(old, new))
    return root, base


@pytest.fixture(scope="module")
def declassifying_checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Only one column's classification is removed: dbt's state:modified would not notice."""
    return _reviewed_checkout(
        tmp_path_factory.mktemp("declassify"),
        {
            "models/staging/_staging.yml": (
                "      - name: birth_date\n        data_type: date\n        meta:\n"
                "          floe: {classification: pii, pii_type: birth_date, sensitivity: high}\n",
                "      - name: birth_date\n        data_type: date\n",
            )
        },
    )


@pytest.fixture(scope="module")
def column_dropping_checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`stg_customers.country` is dropped; the marts and their Cube cubes read it."""
    return _reviewed_checkout(
        tmp_path_factory.mktemp("drop"),
        {
            "models/staging/stg_customers.sql": ("    country,\n", ""),
            "models/staging/_staging.yml": (
                "      - name: country\n        data_type: varchar\n",
                "",
            ),
        },
    )


def test_a_declassification_is_reviewed_and_fails_with_fail_on_warning(
    declassifying_checkout: tuple[Path, str], server: GitHubServer, tmp_path: Path
) -> None:
    root, base = declassifying_checkout
    run = run_action(root, server, tmp_path, "8001", base_ref=base, fail_on="warning")
    assert server.violations == [], "\n".join(server.violations)
    assert run.code == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert run.outputs["verdict"] == "failed"
    (comment,) = [c for c in server.comments_on(REPO, PR_NUMBER) if STICKY_MARKER in c["body"]]
    body = comment["body"]
    # The comment's wording is the report's (tests/unit/test_pr_comment*.py): here, only
    # that the review reached it.
    assert "FLOE501" in body and "stg_customers" in body and "birth_date" in body
    assert "pii" in body


def test_a_dropped_column_used_downstream_is_breaking_and_names_models_and_cubes(
    column_dropping_checkout: tuple[Path, str], server: GitHubServer, tmp_path: Path
) -> None:
    root, base = column_dropping_checkout
    run = run_action(root, server, tmp_path, "9001", base_ref=base, fail_on="warning")
    assert server.violations == [], "\n".join(server.violations)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == 1 and run.outputs["verdict"] == "failed"
    (comment,) = [c for c in server.comments_on(REPO, PR_NUMBER) if STICKY_MARKER in c["body"]]
    body = comment["body"]
    assert "FLOE502" in body and "breaking" in body
    assert "stg_customers" in body and "country" in body
    # The models and the Cube cubes that read the column are named.
    assert "`customers`" in body and "`orders`" in body and "cube" in body.lower()
