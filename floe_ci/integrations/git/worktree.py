"""git for the pull-request review: resolve a revision, check a commit out as a worktree.

`git worktree add` puts the base commit under `.floe/cache/base/<sha>/` once; a checkout of a
commit never changes, so it is reused until the base moves.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from floe_ci.confinement import confine
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import ensure_folder
from floe_ci.integrations.git.trusted_state import is_checkout_of, is_registered_worktree

_DONE = ".floe-base-complete"


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
    return final
