"""git for the pull-request review: resolve a revision, check a commit out as a worktree.

`git worktree add` puts the base commit under `.floe/cache/base/<sha>/` once; a checkout of a
commit never changes, so it is reused until the base moves. Only the most recently used
checkouts are kept (KEEP_BASES): a CI cache would otherwise grow by a whole checkout of the
project every time the base moves.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from floe_ci.confinement import confine
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import ensure_folder
from floe_ci.integrations.git.trusted_state import is_checkout_of, is_registered_worktree

_DONE = ".floe-base-complete"  # written last; its time says when the checkout was last used
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
KEEP_BASES = 3  # the base in use and the two used before it


def git(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> str:
    """`git ARGS` in `cwd`; its output, stripped. Raises GitError with git's message."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=None if env is None else dict(env),
        )
    except FileNotFoundError:
        raise FloeUsageError.single("git", "git is not installed; --base needs it") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {args[0]}` did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        raise GitError(result.stderr.strip() or result.stdout.strip())
    return result.stdout.strip()


class GitError(Exception):
    """git failed; callers turn it into a located FloeUsageError."""


def resolve_commit(ref: str, cwd: Path) -> str:
    try:
        return git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except GitError:
        raise FloeUsageError.single(
            ref,
            f"`{ref}` is not a commit in this repository",
            hint="in GitHub Actions check out with `fetch-depth: 0` (or fetch the base branch) "
            "so the base revision exists; locally try `--base origin/main`",
        ) from None


def repository_top(folder: Path, config_file: str) -> Path:
    """The top folder of the git repository holding `folder`."""
    try:
        return Path(git(["rev-parse", "--show-toplevel"], folder))
    except GitError:
        raise FloeUsageError.single(
            config_file, "--base needs floe.yaml inside a git repository"
        ) from None


def checkout(top: Path, cache: Path, sha: str) -> Path:
    final = cache / sha
    # Trusted only when git made it, or (restored from a CI cache) when its files are the
    # commit's by content: a folder committed under .floe/ is neither.
    if (final / _DONE).is_file() and (
        is_registered_worktree(top, final, sha) or is_checkout_of(top, final, sha)
    ):
        _mark_used(final / _DONE)
        return final
    ensure_folder(cache, "the base revision's checkout")
    confine(final, None, "the base revision's checkout")  # before deleting a stale one
    if final.exists():  # an interrupted earlier attempt
        shutil.rmtree(final)
    git(["worktree", "prune"], top)
    try:
        git(["worktree", "add", "--detach", "--force", str(final), sha], top)
    except GitError as exc:
        raise FloeUsageError.single(
            str(final), f"cannot check out the base revision {sha[:12]}: {exc}"
        ) from None
    (final / _DONE).write_text(sha + "\n")
    _mark_used(final / _DONE)
    prune_checkouts(top, cache, KEEP_BASES)
    return final


def prune_checkouts(top: Path, cache: Path, keep: int) -> list[Path]:
    """Delete the complete base checkouts under `cache` but the `keep` most recently used;
    the removed ones. A folder being checked out (no marker yet), a link or anything not
    named by a commit is left alone."""
    used: list[tuple[int, Path]] = []
    for entry in cache.iterdir():
        if not _SHA.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            used.append(((entry / _DONE).stat().st_mtime_ns, entry))
        except OSError:
            continue
    used.sort(reverse=True)
    removed = [entry for _time, entry in used[keep:]]
    for entry in removed:
        confine(entry, None, "an old base revision's checkout")
        shutil.rmtree(entry)
    if removed:
        git(["worktree", "prune"], top)
    return removed


def _mark_used(marker: Path) -> None:
    # The clock's own nanoseconds: a file system's times move in ticks of milliseconds, and
    # two uses within one tick would tie. A read-only cache still works, pruned by older times.
    now = time.time_ns()
    with contextlib.suppress(OSError):
        os.utime(marker, ns=(now, now))
