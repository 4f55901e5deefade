"""Review by default: a `pull_request` event and no `base-ref` review the head against the
merge base of the event's base commit and the head, as GitHub's "Files changed" does.

The repository is real: a bare `origin` (a file:// URL stands in for github.com), a
`git clone --depth 1` of the pull request's head as the workspace (actions/checkout's
default), a base branch that moved on after the pull request branched off, and a real
`pull_request` payload whose base.sha and head.sha are the test repository's commits."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.git.merge_base import auth_config, pull_request_base
from floe_ci.report.pr_comment import STICKY_MARKER
from tests.conftest import copy_example
from tests.e2e.test_action_entry import PR_NUMBER, REPO, commit_all, run_action
from tests.github_server import ACTIONS_BOT, GitHubServer

pytestmark = pytest.mark.e2e
STAGING = Path("shop/models/staging/_staging.yml")
BIRTH_DATE = "      - name: birth_date\n        data_type: date\n"
BIRTH_DATE_META = (
    "        meta:\n"
    "          floe: {classification: pii, pii_type: birth_date, sensitivity: high}\n"
)
SIGNED_UP = "      - name: signed_up_on\n        data_type: date\n"


def _edit(root: Path, relative: Path | str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert old in text, f"{relative} lacks {old!r}"
    path.write_text(text.replace(old, new, 1))


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """origin: main B0 - B1 - B2 - B3 (B1 classifies `signed_up_on`, then two unrelated
    commits), and the pull request B0 - H1 - H2 (H1 declassifies `birth_date` and drops
    `stg_customers.country`, which the marts read); the workspace is a depth-1 clone of H2."""
    src = tmp_path_factory.mktemp("src")
    copy_example(src / "shop")
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    b0 = commit_all(src, "B0")
    _edit(src, STAGING, SIGNED_UP, SIGNED_UP + BIRTH_DATE_META)
    commit_all(src, "B1: signed_up_on is personal data")
    for n in (2, 3):
        (src / "NOTES.md").write_text(f"note {n}\n")
        commit_all(src, f"B{n}")
    base = _git(src, "rev-parse", "HEAD")
    _git(src, "checkout", "-q", "-b", "change", b0)
    _edit(src, STAGING, BIRTH_DATE + BIRTH_DATE_META, BIRTH_DATE)
    _edit(src, STAGING, "      - name: country\n        data_type: varchar\n", "")
    _edit(src, "shop/models/staging/stg_customers.sql", "    country,\n", "")
    commit_all(src, "H1: the change")
    (src / "CHANGELOG.md").write_text("changed\n")
    head = commit_all(src, "H2")
    origin = tmp_path_factory.mktemp("origin") / "shop.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(origin)], check=True)
    workspace = tmp_path_factory.mktemp("checkout") / "repo"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "change",
            origin.as_uri(),
            str(workspace),
        ],
        check=True,
    )
    assert _git(workspace, "rev-parse", "--is-shallow-repository") == "true"
    return {"workspace": workspace, "base": base, "head": head, "merge_base": b0}


def test_a_pull_request_is_reviewed_against_its_merge_base_from_a_shallow_clone(
    repository: dict[str, Path | str], tmp_path: Path
) -> None:
    workspace = Path(repository["workspace"])
    base, head = str(repository["base"]), str(repository["head"])
    with GitHubServer(token="ghs_" + "reviewTokenValue" * 2, checks=True) as server:
        spoof = server.add_comment(
            REPO, PR_NUMBER, f"{STICKY_MARKER}\n✅ floe-ci: passed, trust me", user="mallory"
        )
        spoofed = dict(server.comments[spoof])
        runs = [
            run_action(workspace, server, tmp_path, run_id, base_sha=base, head_sha=head)
            for run_id in ("501", "502")
        ]
    assert server.violations == [], "\n".join(server.violations)
    for run in runs:
        assert "Traceback" not in run.stderr, run.stderr
        assert f"reviewing against {str(repository['merge_base'])[:12]}" in run.stdout
        assert run.code == (1 if run.outputs["verdict"] == "failed" else 0), run.stderr

    # One comment of ours, created once and edited by the second run, beside mallory's.
    assert [r.status for r in server.seen("POST", r"/issues/\d+/comments$")] == [201]
    assert [r.status for r in server.seen("PATCH", "/issues/comments/")] == [200]
    assert server.seen("DELETE", "/issues/comments/") == []
    assert server.comments[spoof] == spoofed  # never edited, deleted or trusted
    ours = [c for c in server.comments_on(REPO, PR_NUMBER) if c["id"] != spoof]
    assert len(ours) == 1 and ours[0]["user"]["login"] == ACTIONS_BOT
    body = ours[0]["body"]
    assert STICKY_MARKER in body and "runs/502/" in body
    assert runs[0].outputs["comment-url"] == runs[1].outputs["comment-url"] == ours[0]["html_url"]
    # The pull request's own changes: a declassification and a breaking change ...
    assert "FLOE501" in body and "birth_date" in body
    assert "FLOE502" in body and "country" in body
    # ... and not the base branch's later classification, as a comparison with its tip
    # would have shown (the pull request "declassifying" `signed_up_on`).
    assert "signed_up_on" not in body
    # Every location is a link to the head commit's blob, at its line.
    assert f"https://github.com/{REPO}/blob/{head}/shop/models/" in body
    assert "#L" in body

    # report.json carries the Plan.
    report = json.loads((workspace / runs[1].outputs["report-path"]).read_text())
    assert report["plan"] and "signed_up_on" not in json.dumps(report["plan"])
    assert "birth_date" in json.dumps(report["plan"])

    # The token may write check runs: every annotation went there, none to the log.
    check_runs = list(server.check_runs.values())
    assert len(check_runs) == 2 and {r["head_sha"] for r in check_runs} == {head}
    failed = runs[1].outputs["verdict"] == "failed"
    assert check_runs[1]["conclusion"] == ("failure" if failed else "neutral")
    annotations = server.check_run_annotations[check_runs[1]["id"]]
    assert any("birth_date" in a["message"] for a in annotations)
    assert all(a["path"].startswith("shop/") for a in annotations)
    assert check_runs[1]["output"]["annotations_count"] == len(annotations)
    assert not [line for line in runs[1].stdout.splitlines() if line.startswith("::error ")]
    assert f"check run with {len(annotations)} annotation" in runs[1].stdout

    # The token went to git in the environment only: not into the checkout's config.
    config = (workspace / ".git" / "config").read_text()
    assert server.token not in config and "extraheader" not in config


def test_base_ref_still_overrides_the_event(
    repository: dict[str, Path | str], tmp_path: Path
) -> None:
    workspace = Path(repository["workspace"])
    with GitHubServer() as server:
        # The event's base commit exists nowhere: only base-ref is used.
        run = run_action(
            workspace, server, tmp_path, "601", base_sha="e" * 40, base_ref="HEAD", comment="false"
        )
    assert "Traceback" not in run.stderr, run.stderr
    assert "reviewing against" not in run.stdout
    assert run.code == 0 and run.outputs["verdict"] == "passed", run.stdout + run.stderr


# -- the merge base, with git itself ---------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """origin: main with 6 commits after the fork point, a branch with 4; a depth-1 clone."""
    src = tmp_path / "src"
    src.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    (src / "f").write_text("0")
    fork = commit_all(src, "fork point")
    for n in range(6):
        (src / "main").write_text(str(n))
        base = commit_all(src, f"main {n}")
    _git(src, "checkout", "-q", "-b", "topic", fork)
    for n in range(4):
        (src / "topic").write_text(str(n))
        commit_all(src, f"topic {n}")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(origin)], check=True)
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "-b", "topic", origin.as_uri(), str(clone)],
        check=True,
    )
    return clone, origin, base, fork


@pytest.mark.parametrize("depths", [(10,), (1, 2), ()])
def test_the_merge_base_is_fetched_until_git_finds_it(
    history: tuple[Path, Path, str, str], depths: tuple[int, ...]
) -> None:
    clone, _, base, fork = history
    # (10,): one round; (1, 2): two rounds too shallow, then the whole history; (): at once.
    assert pull_request_base(clone, base, depths=depths) == fork
    assert pull_request_base(clone, base, depths=depths) == fork  # nothing left to fetch


def test_no_remote_or_a_bad_sha_is_a_usage_error_with_the_fix(
    history: tuple[Path, Path, str, str],
) -> None:
    clone, _, base, _ = history
    with pytest.raises(FloeUsageError, match="not a commit id"):
        pull_request_base(clone, "--upload-pack=touch /tmp/x")
    _git(clone, "remote", "remove", "origin")
    with pytest.raises(FloeUsageError, match="no remote `origin`") as caught:
        pull_request_base(clone, base)
    assert "fetch-depth: 0" in str(caught.value)


def test_the_token_reaches_git_for_an_https_remote_only_and_never_its_config(
    history: tuple[Path, Path, str, str],
) -> None:
    clone, _, _, _ = history
    token = "ghs_" + "gitTokenValue" * 3
    assert auth_config("file:///srv/shop.git", token, {}) == {}
    assert auth_config("http://github.example/o/r", token, {}) == {}  # never in clear text
    assert auth_config("git@github.com:o/r.git", token, {}) == {}
    assert auth_config("https://github.com/o/r", "", {}) == {}
    env = auth_config("https://x:y@github.com/o/r.git", token, {"GIT_CONFIG_COUNT": "1"})
    assert env["GIT_CONFIG_COUNT"] == "3"  # after the one already given
    # A header that actions/checkout persisted is reset, then ours is set: git reads it so.
    _git(clone, "config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic old")
    seen = subprocess.run(
        ["git", "-C", str(clone), "config", "--get-all", "http.https://github.com/.extraheader"],
        env={**os.environ, "GIT_CONFIG_KEY_0": "core.x", "GIT_CONFIG_VALUE_0": "y", **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    assert seen == ["AUTHORIZATION: basic old", "", f"AUTHORIZATION: basic {basic}"]
    assert token not in (clone / ".git" / "config").read_text()
