"""The action as users get it: the image `bash .ci/image` builds from the Dockerfile, run the way
the Actions runner runs a Docker action (the checkout mounted at /github/workspace, the event
and the file-command files in their own mounts, inputs as INPUT_* variables with action.yml's
defaults, the host's network), against the local GitHub server with a real `pull_request`
payload.

The repository is real, as in tests/e2e/test_action_review.py: a bare `origin` mounted in the
container (a file:// URL stands in for github.com), a `git clone --depth 1` of the pull
request's head as the workspace (actions/checkout's default), and a base branch that moved on
after the pull request branched off; with no `base-ref` the action fetches the merge base
itself. Both are owned by uid 1001, as the runner's own checkout is.

The image is built once per session and cached by .ci/image by the digest of what it is built
from; a cold build takes a few minutes, a cached one a fraction of a second."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from floe_ci.integrations.github.client import STICKY_MARKER
from tests.conftest import copy_example
from tests.git_support import git
from tests.github_server import ACTIONS_BOT, GitHubServer, webhook_example
from tests.github_server.material import REPO_ROOT

pytestmark = pytest.mark.e2e
REPO = "floe-test/shop"
PR_NUMBER = 7
RUNNER_UID = 1001  # GitHub-hosted runners' uid: the checkout and the file commands are its own
# .ci/image builds into root's image store (through sudo on a CI runner's account).
BUILDAH = [*([] if os.geteuid() == 0 else ["sudo", "-n"]), "buildah", "--storage-driver", "vfs"]
# Where the bare origin is mounted: the workspace's `origin` remote points there.
ORIGIN_IN_CONTAINER = "/srv/origin/shop.git"
STAGING = Path("shop/models/staging/_staging.yml")
BIRTH_DATE = "      - name: birth_date\n        data_type: date\n"
BIRTH_DATE_META = (
    "        meta:\n"
    "          floe: {classification: pii, pii_type: birth_date, sensitivity: high}\n"
)
SIGNED_UP = "      - name: signed_up_on\n        data_type: date\n"


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
    origin: Path
    base_sha: str
    head_sha: str
    merge_base: str


def _edit(root: Path, relative: Path | str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert old in text, f"{relative} lacks {old!r}"
    path.write_text(text.replace(old, new, 1))


def _commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> PullRequest:
    """origin: main B0 - B1 - B2 - B3 (B1 classifies `signed_up_on`, then two unrelated
    commits), and the pull request B0 - H1 - H2: H1 declassifies `birth_date`, drops
    `stg_customers.country` (which the marts read) and the `financial` policy (so the check
    fails with errors). The workspace is a depth-1 clone of H2 whose `origin` is the URL the
    bare repository has inside the container."""
    src = tmp_path_factory.mktemp("src")
    git(src, "init", "-q", "-b", "main")
    copy_example(src / "shop")
    (src / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    b0 = _commit(src, "B0")
    _edit(src, STAGING, SIGNED_UP, SIGNED_UP + BIRTH_DATE_META)
    _commit(src, "B1: signed_up_on is personal data")
    for n in (2, 3):
        (src / "NOTES.md").write_text(f"note {n}\n")
        _commit(src, f"B{n}")
    base = git(src, "rev-parse", "HEAD")
    git(src, "checkout", "-q", "-b", "change", b0)
    _edit(src, STAGING, BIRTH_DATE + BIRTH_DATE_META, BIRTH_DATE)
    _edit(src, STAGING, "      - name: country\n        data_type: varchar\n", "")
    _edit(src, "shop/models/staging/stg_customers.sql", "    country,\n", "")
    spec = src / "shop" / "floe.yaml"
    financial = re.search(r"\n    financial:\n(?:      .*\n)+", spec.read_text())
    assert financial is not None
    _edit(src, spec.relative_to(src), financial.group(0), "\n")
    _commit(src, "H1: the change")
    (src / "CHANGELOG.md").write_text("changed\n")
    head = _commit(src, "H2")

    origin = tmp_path_factory.mktemp("origin") / "shop.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(origin)], check=True)
    workspace = tmp_path_factory.mktemp("checkout") / "repo"
    clone = ["git", "clone", "-q", "--depth", "1", "--branch", "change", origin.as_uri()]
    subprocess.run([*clone, str(workspace)], check=True)
    assert git(workspace, "rev-parse", "--is-shallow-repository") == "true"
    assert git(workspace, "rev-parse", "HEAD") == head
    git(workspace, "remote", "set-url", "origin", f"file://{ORIGIN_IN_CONTAINER}")
    # Owned by the container's user, as a GitHub-hosted runner's checkout is: git refuses a
    # repository that another user owns ("dubious ownership"), the bare origin included.
    _chown_tree(workspace, RUNNER_UID)
    _chown_tree(origin, RUNNER_UID)
    return PullRequest(workspace, origin, base, head, b0)


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
    payload["pull_request"]["head"].update(sha=pr.head_sha, ref="change")
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
    """One step `uses: floe/action@v1` with action.yml's default inputs, as the runner starts
    it (the runner sets every input, an empty base-ref too)."""
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
        "INPUT_BASE-REF": "",
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
        command += ["-v", f"{pr.origin}:{ORIGIN_IN_CONTAINER}:ro"]
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


@dataclass
class Discussion:
    """The pull request's comments before the runs: a reviewer's, and one by its author
    (mallory) that carries our marker and claims a pass: never to be edited or trusted."""

    server: GitHubServer
    spoof: int
    spoofed: dict[str, Any]


@pytest.fixture
def discussion() -> Iterator[Discussion]:
    with GitHubServer(token="ghs_" + "imageTokenValue" * 3) as running:
        running.add_comment(REPO, PR_NUMBER, "Looks good, one question.", user="reviewer")
        spoof = running.add_comment(
            REPO, PR_NUMBER, f"{STICKY_MARKER}\n✅ floe-ci: passed, trust me", user="mallory"
        )
        yield Discussion(running, spoof, copy.deepcopy(running.comments[spoof]))


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
    image: str, pull_request: PullRequest, discussion: Discussion, tmp_path: Path
) -> None:
    server = discussion.server
    first = run_in_image(image, pull_request, server, tmp_path, "3001")
    second = run_in_image(image, pull_request, server, tmp_path, "3002")

    assert server.violations == [], "\n".join(server.violations)
    for run in (first, second):
        assert "Traceback" not in run.stderr, run.stderr
        # No base-ref: the merge base of the event's base.sha and the head, fetched into the
        # depth-1 clone from origin.
        assert f"reviewing against {pull_request.merge_base[:12]}" in run.stdout, run.stdout
        assert run.code == 1, run.stdout + run.stderr  # the verdict's code: errors fail
        assert run.outputs["verdict"] == "failed"
        assert int(run.outputs["findings-count"]) >= 1
        assert "floe-ci: failed" in run.summary

    # One comment of ours, created by the first run and edited by the second; the reviewer's
    # and mallory's, marker and all, untouched.
    assert [r.status for r in server.seen("POST", r"/issues/\d+/comments$")] == [201]
    assert [r.status for r in server.seen("PATCH", "/issues/comments/")] == [200]
    assert server.seen("DELETE", "/issues/comments/") == []
    assert server.comments[discussion.spoof] == discussion.spoofed
    comments = server.comments_on(REPO, PR_NUMBER)
    assert len(comments) == 3
    ours = [c for c in comments if c["user"]["login"] == ACTIONS_BOT]
    assert len(ours) == 1 and STICKY_MARKER in ours[0]["body"]
    body = ours[0]["body"]
    assert "runs/3002/" in body and "runs/3001/" not in body
    assert first.outputs["comment-url"] == second.outputs["comment-url"] == ours[0]["html_url"]
    # The review against the merge base: the declassification and the breaking change ...
    assert "floe-ci: failed" in body and "FLOE101" in body
    assert "FLOE501" in body and "birth_date" in body
    assert "FLOE502" in body and "country" in body
    # ... and not the base branch's later classification, which a comparison with its tip
    # would have reported as the pull request declassifying `signed_up_on`.
    assert "signed_up_on" not in body
    assert f"https://github.com/{REPO}/blob/{pull_request.head_sha}/shop/models/" in body
    assert "birth_date" in second.summary

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
    # The fetch left the checkout's config as it was: no token, no extra header.
    config = (pull_request.workspace / ".git" / "config").read_text()
    assert server.token not in config and "extraheader" not in config

    # The token is masked first and appears nowhere else.
    for run in (first, second):
        lines = (run.stdout + run.stderr).splitlines()
        assert lines[0] == f"::add-mask::{server.token}"
        assert [line for line in lines if server.token in line] == [lines[0]]
        assert server.token not in run.summary + json.dumps(run.outputs)
