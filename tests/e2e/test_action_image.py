"""The action as users get it: the image `bash .ci/image` builds from the Dockerfile, run the way
the Actions runner runs a Docker action (the checkout mounted at /github/workspace, the event
and the file-command files in their own mounts, inputs as INPUT_* variables, the host's
network), against the local GitHub server with a real `pull_request` payload.

The image is built once per session and cached by .ci/image by the digest of what it is built
from; a cold build takes a few minutes, a cached one a fraction of a second."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from floe_ci.integrations.github.client import STICKY_MARKER
from tests.conftest import copy_example
from tests.git_support import git
from tests.github_server import GitHubServer, webhook_example
from tests.github_server.material import REPO_ROOT

pytestmark = pytest.mark.e2e
REPO = "floe-test/shop"
PR_NUMBER = 7
RUNNER_UID = 1001  # GitHub-hosted runners' uid: the checkout and the file commands are its own
# .ci/image builds into root's image store (through sudo on a CI runner's account).
BUILDAH = [*([] if os.geteuid() == 0 else ["sudo", "-n"]), "buildah", "--storage-driver", "vfs"]
CLASSIFIED_CARD = "        meta:\n          floe: {classification: financial, sensitivity: high}\n"


@pytest.fixture(scope="session")
def image() -> str:
    """The image reference printed by .ci/image (built here if its content changed)."""
    done = subprocess.run(
        ["bash", str(REPO_ROOT / ".ci" / "image")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0 and shutil.which("buildah") is None:
        pytest.skip(f"buildah could not be installed: {done.stderr.strip()[-500:]}")
    assert done.returncode == 0, done.stderr[-4000:]
    reference = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"localhost/floe-ci:[0-9a-f]{16}", reference), done.stdout
    return reference


@dataclass
class PullRequest:
    workspace: Path
    base_sha: str
    head_sha: str


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> PullRequest:
    """A checkout at the head of a pull request that declassifies stg_orders.card_last4 and
    drops the `financial` policy (so the check fails with errors), over a base on main."""
    root = tmp_path_factory.mktemp("checkout")
    git(root, "init", "-q", "-b", "main")
    project = copy_example(root / "shop")
    (root / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    base_sha = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "-b", "feature")
    staging = project / "models" / "staging" / "_staging.yml"
    staging.write_text(staging.read_text().replace(CLASSIFIED_CARD, "", 1))
    spec = project / "floe.yaml"
    financial = re.search(r"\n    financial:\n(?:      .*\n)+", spec.read_text())
    assert financial is not None
    spec.write_text(spec.read_text().replace(financial.group(0), "\n"))
    git(root, "commit", "-qam", "declassify card_last4")
    head_sha = git(root, "rev-parse", "HEAD")
    _chown_tree(root, RUNNER_UID)
    return PullRequest(root, base_sha, head_sha)


def _chown_tree(root: Path, uid: int) -> None:
    if os.geteuid() != 0:
        return  # on a GitHub-hosted runner the tests already run as uid 1001
    for folder, dirs, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, uid, uid)


def pull_request_event(pr: PullRequest) -> dict[str, object]:
    payload = webhook_example("pull_request", "synchronize")
    owner, name = REPO.split("/")
    payload["number"] = payload["pull_request"]["number"] = PR_NUMBER
    payload["pull_request"]["head"].update(sha=pr.head_sha, ref="feature")
    payload["pull_request"]["base"].update(sha=pr.base_sha, ref="main")
    for side in ("head", "base"):
        payload["pull_request"][side]["repo"].update(full_name=REPO, name=name)
    payload["repository"].update(full_name=REPO, name=name)
    payload["repository"]["owner"]["login"] = owner
    return payload


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


def run_in_image(image: str, pr: PullRequest, server: GitHubServer, tmp: Path, run_id: str) -> Run:
    """One step `uses: floe/action@v1` with `base-ref: main`, as the runner starts it."""
    mounts = {name: tmp / run_id / name for name in ("workflow", "file_commands", "home")}
    for folder in mounts.values():
        folder.mkdir(parents=True)
    (mounts["workflow"] / "event.json").write_text(json.dumps(pull_request_event(pr)))
    summary = mounts["file_commands"] / f"step_summary_{run_id}"
    outputs = mounts["file_commands"] / f"set_output_{run_id}"
    summary.touch()
    outputs.touch()
    _chown_tree(tmp / run_id, RUNNER_UID)
    env = {
        "CI": "true",
        "HOME": "/github/home",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": pr.head_sha,
        "GITHUB_REF": f"refs/pull/{PR_NUMBER}/merge",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_API_URL": server.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary.name}",
        "GITHUB_OUTPUT": f"/github/file_commands/{outputs.name}",
        "FLOE_GITHUB_BACKOFF": "0.05",
        # The inputs with action.yml's defaults, upper case with hyphens kept, as the runner
        # sets them for a Docker action.
        "INPUT_COMMAND": "check",
        "INPUT_CONFIG": "floe.yaml",
        "INPUT_BASE-REF": "main",
        "INPUT_FAIL-ON": "error",
        "INPUT_COMMENT": "true",
        "INPUT_GITHUB-TOKEN": server.token,
        "INPUT_WORKING-DIRECTORY": "shop",
    }
    container = subprocess.run(
        [*BUILDAH, "from", "--pull-never", "--quiet", image],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        command = [*BUILDAH, "run", "--isolation", "chroot"]
        command += ["-v", f"{pr.workspace}:/github/workspace"]
        for name, folder in mounts.items():
            command += ["-v", f"{folder}:/github/{name}"]
        command += ["--workingdir", "/github/workspace"]
        for key, value in env.items():
            command += ["-e", f"{key}={value}"]
        done = subprocess.run(
            [*command, container, "--", "floe-ci", "action"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        subprocess.run([*BUILDAH, "rm", container], capture_output=True)
    return Run(
        done.returncode,
        done.stdout,
        done.stderr,
        summary.read_text(),
        parse_outputs(outputs.read_text()),
    )


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with GitHubServer(token="ghs_" + "imageTokenValue" * 3) as running:
        running.add_comment(REPO, PR_NUMBER, "Looks good, one question.", user="reviewer")
        yield running


def test_the_image_runs_the_action_as_uid_1001_with_only_the_action_dependencies(
    image: str,
) -> None:
    config = json.loads(
        subprocess.run(
            [*BUILDAH, "inspect", "--type", "image", image],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )["OCIv1"]["config"]
    assert config["Entrypoint"] == ["floe-ci", "action"]
    assert config["User"] == str(RUNNER_UID)
    container = subprocess.run(
        [*BUILDAH, "from", "--pull-never", "--quiet", image],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    probe = (
        "import importlib.util as u; "
        "print(*(n for n in ('dbt.adapters.duckdb', 'dbt.adapters.postgres', 'cube_dbt', "
        "'opentelemetry.sdk', 'github', 'dagster', 'dagster_webserver', 'pyiceberg') "
        "if u.find_spec(n.split('.')[0]) and u.find_spec(n)))"
    )
    try:
        done = subprocess.run(
            [
                *BUILDAH,
                "run",
                "--isolation",
                "chroot",
                container,
                "--",
                "sh",
                "-c",
                f'id -u && git --version && helm version --short && python3 -c "{probe}"',
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        subprocess.run([*BUILDAH, "rm", container], capture_output=True)
    assert done.returncode == 0, done.stderr
    uid, git_version, helm_version, modules = done.stdout.splitlines()
    assert uid == str(RUNNER_UID)
    assert git_version.startswith("git version 2.") and helm_version.startswith("v4.")
    assert modules.split() == [
        "dbt.adapters.duckdb",
        "dbt.adapters.postgres",
        "cube_dbt",
        "opentelemetry.sdk",
        "github",
    ]


def test_a_pull_request_gets_one_comment_with_the_review_updated_by_the_next_run(
    image: str, pull_request: PullRequest, server: GitHubServer, tmp_path: Path
) -> None:
    first = run_in_image(image, pull_request, server, tmp_path, "3001")
    second = run_in_image(image, pull_request, server, tmp_path, "3002")

    assert server.violations == [], "\n".join(server.violations)
    for run in (first, second):
        assert "Traceback" not in run.stderr, run.stderr
        assert run.code == 1, run.stdout + run.stderr  # the verdict's code: errors fail
        assert run.outputs["verdict"] == "failed"
        assert int(run.outputs["findings-count"]) >= 1
        assert "floe-ci: failed" in run.summary
    ours = [c for c in server.comments_on(REPO, PR_NUMBER) if STICKY_MARKER in c["body"]]
    assert len(ours) == 1
    assert len(server.comments_on(REPO, PR_NUMBER)) == 2  # and the reviewer's, untouched
    assert [r.status for r in server.seen("POST", "/comments$")] == [201]
    assert [r.status for r in server.seen("PATCH", "/issues/comments/")] == [200]
    body = ours[0]["body"]
    assert "runs/3002/" in body and "runs/3001/" not in body
    assert first.outputs["comment-url"] == second.outputs["comment-url"] == ours[0]["html_url"]
    # The review against the base: the declassified column, and the policy's errors.
    assert "floe-ci: failed" in body and "FLOE101" in body
    assert "card_last4" in body and "declassification" in body.lower()
    assert "card_last4" in second.summary

    # Written in the mounted checkout, by uid 1001, at paths relative to the workspace (later
    # steps run outside the container).
    assert second.outputs["artifacts-path"] == "shop/.floe/github"
    artifacts = pull_request.workspace / second.outputs["artifacts-path"]
    assert (artifacts / "pr-number").read_text().strip() == str(PR_NUMBER)
    report_path = pull_request.workspace / second.outputs["report-path"]
    assert json.loads(report_path.read_text())["pipeline"] == "shop"
    if os.geteuid() == 0:
        assert report_path.stat().st_uid == RUNNER_UID
    sarif = json.loads((pull_request.workspace / second.outputs["sarif-path"]).read_text())
    assert sarif["version"] == "2.1.0"

    # The token is masked first and appears nowhere else.
    for run in (first, second):
        lines = (run.stdout + run.stderr).splitlines()
        assert lines[0] == f"::add-mask::{server.token}"
        assert [line for line in lines if server.token in line] == [lines[0]]
        assert server.token not in run.summary + json.dumps(run.outputs)
