"""A check whose state git tracks runs on private state (integrations/git/trusted_state).

floe-ci's caches and dbt's manifest are never committed by floe-ci; when git tracks any of
them, someone else put them there. The check then re-parses the project and keeps its caches
in a private temporary folder for this run, and says so once on standard error (`compile`
re-parses too: app/committed_state).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from floe_ci.app.committed_state import warn_committed
from floe_ci.fsutil import project_lock
from floe_ci.integrations.git.trusted_state import untrusted_state


def private_state_if_committed(config_path: Path, state_dir: Path) -> tuple[Path, bool]:
    """(the state folder to use, whether the committed state was distrusted)."""
    committed = untrusted_state(config_path.resolve().parent)
    if not committed:
        return state_dir, False
    private = Path(tempfile.mkdtemp(prefix="floe-state-"))
    atexit.register(shutil.rmtree, private, True)
    warn_committed(committed, "the project is parsed again and the caches start empty")
    return private, True


R = TypeVar("R")


def locked_by_project(function: Callable[..., R]) -> Callable[..., R]:
    """Run `function(config_path, ...)` holding the lock of that project's `.floe/`."""

    @wraps(function)
    def locked(config_path: Path, *args: Any, **kwargs: Any) -> R:
        from floe_ci.app.compile import state_dir_for

        with project_lock(state_dir_for(config_path)):
            return function(config_path, *args, **kwargs)

    return locked
