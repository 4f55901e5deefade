"""`--base REF`: the base revision is checked out once per commit and compared for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.app.review import base_snapshot, snapshot_of
from floe_ci.errors import FloeUsageError
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.plan.build import build_plan
from tests.conftest import PARSED_MANIFEST, copy_example
from tests.git_support import git

pytestmark = pytest.mark.integration


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    copy_example(root / "pipelines" / "shop")
    (root / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def test_base_is_checked_out_once_and_compared(repo: Path) -> None:
    project = repo / "pipelines" / "shop"
    marts = project / "models" / "marts" / "_marts.yml"
    marts.write_text(
        marts.read_text().replace(
            "        meta:\n          floe: {classification: pii, pii_type: name, "
            "sensitivity: medium}\n",
            "",
        )
    )
    base = base_snapshot(project / "floe.yaml", "main", CheckOptions())
    sha = git(repo, "rev-parse", "main")
    checkout = project / ".floe" / "cache" / "base" / sha
    assert (checkout / "pipelines" / "shop" / PARSED_MANIFEST).is_file()
    assert base.ref == f"main ({sha[:12]})"

    manifest = checkout / "pipelines" / "shop" / PARSED_MANIFEST
    built = manifest.stat().st_mtime_ns
    again = base_snapshot(project / "floe.yaml", "main", CheckOptions())
    assert manifest.stat().st_mtime_ns == built, "the cached base is not parsed again"

    plan = build_plan(again, snapshot_of(project / "floe.yaml", "working tree"))
    assert [c.direction for c in plan.policy.classifications] == ["removed"]
    assert git(repo, "status", "--porcelain", "--", "pipelines/shop/models") != ""


def test_unknown_base_ref_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(FloeUsageError) as caught:
        base_snapshot(repo / "pipelines" / "shop" / "floe.yaml", "no-such-branch", CheckOptions())
    assert "fetch-depth: 0" in str(caught.value)


def test_base_without_floe_yaml(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    copy_example(repo / "pipelines" / "new")
    with pytest.raises(FloeUsageError) as caught:
        base_snapshot(repo / "pipelines" / "new" / "floe.yaml", "main", CheckOptions())
    assert "does not exist at main" in str(caught.value)


def test_only_the_most_recently_used_base_checkouts_are_kept(tmp_path: Path) -> None:
    """A CI cache keeps `.floe/cache/base/`: without pruning it grows by a checkout of the
    whole project each time the base moves."""
    from floe_ci.integrations.git.worktree import KEEP_BASES, checkout

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commits = []
    for number in range(KEEP_BASES + 2):
        (root / "README.md").write_text(f"revision {number}\n")
        git(root, "add", "-A")
        git(root, "commit", "-qm", f"revision {number}")
        commits.append(git(root, "rev-parse", "HEAD"))
    cache = root / ".floe" / "cache" / "base"
    unrelated = cache / "notes"
    first, second, *others = commits
    for sha in (first, second, *others[: KEEP_BASES - 2]):
        checkout(root, cache, sha)
    unrelated.mkdir()
    checkout(root, cache, first)  # used again: now the most recent of those
    checkout(root, cache, others[-2])
    checkout(root, cache, others[-1])
    kept = sorted(p.name for p in cache.iterdir() if p.name != "notes")
    assert len(kept) == KEEP_BASES
    assert first in kept and others[-1] in kept and second not in kept
    assert unrelated.is_dir()
    listed = git(root, "worktree", "list", "--porcelain")
    assert second not in listed and others[-1] in listed
    assert (cache / first / "README.md").read_text() == "revision 0\n"
