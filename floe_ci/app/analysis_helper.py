"""The helper process of a warm check's SQL analysis (app.sql_worker), started
before the check's own imports so that its import of sqlglot overlaps them, on the other core.

Only when `.floe/cache/lineage/` holds the last check's lineage: then few models are
analysed (a cold check analyses them all, and imports sqlglot once for that).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from floe_ci.lineage.builder import Analyser

# app.compile.STATE_DIR / cache / lineage / integrations.dbt.lineage.CACHE_FILE, spelled out:
# importing those modules is the work the helper is to overlap (a test keeps them equal)
LINEAGE_CACHE = Path(".floe", "cache", "lineage", "lineage-cache.json")


@contextmanager
def analysis_helper(config_path: Path) -> Iterator[Analyser | None]:
    """A started helper for the check of `config_path` (floe.yaml), stopped on exit; None
    for a cold check or when no process can be started (the check then analyses here)."""
    if not _worth_a_helper(config_path):
        yield None
        return
    from floe_ci.app.sql_worker import Worker

    try:
        worker = Worker()
    except Exception:  # no process to spare, or no way to start one: the check analyses here
        yield None
        return
    try:
        yield worker
    finally:
        worker.close()


def _worth_a_helper(config_path: Path) -> bool:
    """A warm check (the lineage cache exists), a second processor to run on, and an
    interpreter that can be started again (not an embedded or frozen one)."""
    if not sys.executable or getattr(sys, "frozen", False):
        return False
    if _usable_processors() < 2:
        return False  # on one processor the helper's import would only wait its turn
    try:
        return (config_path.resolve().parent / LINEAGE_CACHE).is_file()
    except OSError:  # a folder it may not look into: the check says so, with the file's name
        return False


def _usable_processors() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere all of them
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
