"""What floe-ci does, and says, when git tracks its state (integrations/git/trusted_state).

A check runs on private state (app/state_guard); `compile` parses the project again rather
than trusting a committed manifest or record of its inputs, and keeps its artifacts where
they are asked for (they name the manifest, which must outlive the run).
"""

from __future__ import annotations

import sys
from pathlib import Path

from floe_ci.integrations.git.trusted_state import untrusted_state


def reparse_if_committed(config_path: Path) -> bool:
    """Whether git tracks floe-ci's state beside `config_path` (said on standard error)."""
    committed = untrusted_state(config_path.resolve().parent)
    if committed:
        warn_committed(committed, "the project is parsed again")
    return bool(committed)


def warn_committed(committed: list[str], consequence: str) -> None:
    """One line on standard error: what git tracks, what floe-ci does instead, the fix."""
    shown = ", ".join(committed[:3]) + (
        f" and {len(committed) - 3} more" if len(committed) > 3 else ""
    )
    sys.stderr.write(
        f"floe-ci: git tracks floe-ci's state ({shown}); it is not trusted: {consequence}. "
        "Add `.floe/` to .gitignore and remove it from git (`git rm -r --cached .floe`).\n"
    )
