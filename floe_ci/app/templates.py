"""The report templates of `reports/` (the pull-request comment), read from the checkout or
from FLOE_REPORTS_DIR (which the action's image sets)."""

from __future__ import annotations

import os
import string
from functools import cache
from pathlib import Path

from floe_ci.errors import FloeUsageError

COMMENT_TEMPLATE = "pr-comment.md"


def reports_dir() -> Path:
    """`reports/` of the checkout (or FLOE_REPORTS_DIR, which the Docker image sets)."""
    configured = os.environ.get("FLOE_REPORTS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "reports"


@cache
def comment_template(directory: Path | None = None) -> string.Template:
    """`reports/pr-comment.md`, the frame of the pull-request comment."""
    path = (directory or reports_dir()) / COMMENT_TEMPLATE
    try:
        return string.Template(path.read_text(encoding="utf-8"))
    except OSError:
        raise FloeUsageError.single(
            str(path),
            "the pull-request comment template is missing",
            hint="set FLOE_REPORTS_DIR to the folder holding floe-ci's reports/ templates",
        ) from None
