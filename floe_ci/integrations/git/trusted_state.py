"""Nothing committed is floe-ci's state: committed caches and manifests are not trusted.

A pull request can commit `.floe/` (a forged lineage cache, a base checkout with a forged
result, floe-ci's parse of the project from before its change, which git writes last, so it
looks fresh). floe-ci's own state is never in git: what git tracks there was put by someone
else, and the check then re-parses and starts with empty caches. dbt's `target/` is not
floe-ci's state: a check never reads it (it parses into `.floe/cache/parse-target/`), so a
committed one changes nothing. A base checkout under
`.floe/cache/base/<sha>/` is trusted only when git itself registered it as a worktree at
that commit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# What floe-ci (and dbt for it: its parse, partial parse and input digest) writes beside
# floe.yaml.
STATE_PATHS = (".floe",)


def committed_state(folder: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """The state paths under `folder` that git tracks (none outside a repository)."""
    paths = [*STATE_PATHS, *extra]
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--", *paths],
            cwd=folder,
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired, NotADirectoryError):
        return []
    if done.returncode != 0:
        return []  # not a repository: nothing is committed
    return [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]


def is_registered_worktree(top: Path, folder: Path, sha: str) -> bool:
    """Whether git registered `folder` as a worktree of `top`'s repository, at `sha`."""
    try:
        done = subprocess.run(
            ["git", "worktree", "list", "--porcelain"],
            cwd=top,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        return False
    wanted = folder.resolve()
    for block in done.stdout.split("\n\n"):
        lines = dict(line.split(" ", 1) for line in block.splitlines() if " " in line)
        if lines.get("worktree") and Path(lines["worktree"]).resolve() == wanted:
            return lines.get("HEAD") == sha
    return False


def untrusted_state(config_folder: Path) -> list[str]:
    """floe-ci's state that git tracks: what is under `.floe/` beside floe.yaml."""
    return committed_state(config_folder)


def is_checkout_of(top: Path, folder: Path, sha: str) -> bool:
    """Whether `folder` holds exactly the files of commit `sha` (by their git hashes) and
    none of them is tracked by `top`'s own index (a folder committed under `.floe/`).

    For a base checkout restored from a CI cache, which git no longer knows as a worktree."""
    try:
        relative = folder.resolve().relative_to(top.resolve())
    except ValueError:
        relative = None
    if relative is not None and committed_state(top, (relative.as_posix(),)):
        return False
    try:
        listed = subprocess.run(
            ["git", "ls-tree", "-r", "-z", sha],
            cwd=top, capture_output=True, check=True, timeout=300,
        ).stdout.decode("utf-8", "surrogateescape")  # fmt: skip
        blobs = {}
        for entry in filter(None, listed.split("\0")):
            meta, path = entry.split("\t", 1)
            mode, kind, digest = meta.split()
            if kind == "blob":
                blobs[path] = (mode, digest)
        regular = [p for p, (mode, _) in blobs.items() if mode != "120000"]
        for path in regular:
            if (folder / path).is_symlink() or not (folder / path).is_file():
                return False
        hashed = subprocess.run(
            ["git", "hash-object", "--no-filters", "--stdin-paths"],
            cwd=folder, input="\n".join(regular).encode("utf-8", "surrogateescape"),
            capture_output=True, check=True, timeout=600,
        ).stdout.decode().split()  # fmt: skip
    except (OSError, subprocess.SubprocessError, ValueError):
        return False
    if hashed != [blobs[p][1] for p in regular]:
        return False
    links = [p for p, (mode, _) in blobs.items() if mode == "120000"]
    return all((folder / p).is_symlink() for p in links)
