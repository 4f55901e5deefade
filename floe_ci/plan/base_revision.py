"""The base revision of a pull request, checked out and compiled once per commit.

`git worktree add` puts the base commit under `.floe/cache/base/<sha>/`; its dbt manifest
and lineage cache are produced there on first use and reused afterwards, so a CI job that
restores `.floe/cache/` (actions/cache) compiles the base only when the base moved.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from floe_ci.errors import FloeUsageError
from floe_ci.governance.check import CheckOptions, collect_check
from floe_ci.plan.collect import snapshot_from_run
from floe_ci.plan.snapshot import PipelineSnapshot

_DONE = ".floe-base-complete"


def _git(args: list[str], cwd: Path) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
        )
    except FileNotFoundError:
        raise FloeUsageError.single("git", "git is not installed; --base needs it") from None
    if result.returncode != 0:
        raise _GitError(result.stderr.strip() or result.stdout.strip())
    return result.stdout.strip()


class _GitError(Exception):
    """git failed; callers turn it into a located FloeUsageError."""


def resolve_commit(ref: str, cwd: Path) -> str:
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except _GitError:
        raise FloeUsageError.single(
            ref,
            f"`{ref}` is not a commit in this repository",
            hint="in GitHub Actions check out with `fetch-depth: 0` (or fetch the base branch) "
            "so the base revision exists; locally try `--base origin/main`",
        ) from None


def base_snapshot(config_path: Path, ref: str, options: CheckOptions) -> PipelineSnapshot:
    """Compile and check the pipeline as it was at `ref` (same options as the head)."""
    config_file = options.config_file
    folder = config_path.resolve().parent
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], folder))
    except _GitError:
        raise FloeUsageError.single(
            config_file, "--base needs floe.yaml inside a git repository"
        ) from None
    sha = resolve_commit(ref, folder)
    relative = config_path.resolve().relative_to(top)
    checkout = _checkout(top, folder / ".floe" / "cache" / "base", sha)
    base_config = checkout / relative
    if not base_config.is_file():
        raise FloeUsageError.single(
            config_file,
            f"{relative.as_posix()} does not exist at {ref} ({sha[:12]})",
            hint="the pull request that introduces floe.yaml has no base to compare: run "
            "`floe-ci check` without --base",
        )
    # The checkout of a commit does not change: its manifest and findings are reused as is.
    run = collect_check(base_config, options, fixed_revision=sha)
    return snapshot_from_run(run, f"{ref} ({sha[:12]})")


def _checkout(top: Path, cache: Path, sha: str) -> Path:
    final = cache / sha
    if (final / _DONE).is_file():
        return final
    cache.mkdir(parents=True, exist_ok=True)
    if final.exists():  # an interrupted earlier attempt
        shutil.rmtree(final)
    _git(["worktree", "prune"], top)
    try:
        _git(["worktree", "add", "--detach", "--force", str(final), sha], top)
    except _GitError as exc:
        raise FloeUsageError.single(
            str(final), f"cannot check out the base revision {sha[:12]}: {exc}"
        ) from None
    (final / _DONE).write_text(sha + "\n")
    return final
