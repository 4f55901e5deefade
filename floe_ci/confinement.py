"""Writes that stay in the project: no symbolic link inside it may send them elsewhere.

A pull request can commit a link (`target -> ~/.ssh`, `.floe/cache -> /etc`); floe-ci and
the dbt it launches would then create folders, copy files and delete stale ones at the
link's destination. Every folder floe-ci writes into, or hands to dbt to write into, is
checked here first: a link whose destination is inside the project is fine, one that
leaves it is a located usage error naming the link, its destination and the fix.

The project of a path is the folder holding its `.floe/` (floe-ci's state), or the dbt
project's folder for dbt's own `target/`; a path outside the project (a temporary folder,
a report the user sends elsewhere) is the user's choice and is not checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from floe_ci.errors import FloeUsageError

STATE_FOLDER = ".floe"


def link_out_of(path: Path, root: Path) -> tuple[Path, Path] | None:
    """The first symbolic link on `path` at or below `root` whose destination leaves
    `root`, with that destination; None when every step stays inside (or `path` is not
    under `root` at all)."""
    absolute = Path(os.path.abspath(path))
    top = Path(os.path.abspath(root))
    if not absolute.is_relative_to(top):
        return None
    inside = top.resolve()
    current = top
    for part in absolute.relative_to(top).parts:
        current = current / part
        if current.is_symlink():
            destination = current.resolve()
            if not destination.is_relative_to(inside):
                return current, destination
    return None


def state_root(path: Path) -> Path | None:
    """The project folder of a path under `.floe/` (the folder that holds `.floe/`)."""
    parts = Path(os.path.abspath(path)).parts
    if STATE_FOLDER not in parts:
        return None
    return Path(*parts[: parts.index(STATE_FOLDER)])


def confine(path: Path, root: Path | None, what: str, fix: str | None = None) -> None:
    """Refuse to write `what` at `path` when a link on its way out of `root` (by default
    the project of its `.floe/`) sends it outside. `path` itself counts: a folder. `fix`
    may name the link as `{link}`."""
    root = root if root is not None else state_root(path)
    if root is None:
        return
    found = link_out_of(path, root)
    if found is None:
        return
    link, destination = found
    raise FloeUsageError.single(
        str(path),
        f"refusing to write {what} through a symbolic link out of the project: "
        f"{link} -> {destination}",
        hint=(
            fix or "floe-ci generates what is there: delete the link (`rm {link}`) and run again"
        ).replace("{link}", str(link)),
    )
