"""Which lines of the head side a pull request's diff shows, per file (for review comments:
GitHub accepts a comment only on a line inside a hunk of the pull request's diff)."""

from __future__ import annotations

import re
from pathlib import Path

from floe_ci.integrations.git.worktree import GitError, git

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@", re.MULTILINE)


def head_lines_in_diff(top: Path, base: str, paths: list[str]) -> dict[str, set[int]]:
    """Path (repository-relative) -> the 1-based head lines inside the diff's hunks (added
    and context lines, three of context as GitHub shows), for the given paths only."""
    shown: dict[str, set[int]] = {}
    for path in paths:
        try:
            text = git(["diff", "--no-color", "--unified=3", base, "HEAD", "--", path], top)
        except GitError:
            continue
        lines: set[int] = set()
        for match in _HUNK.finditer(text):
            start, count = int(match["start"]), int(match["count"] or "1")
            lines.update(range(start, start + count))
        shown[path] = lines
    return shown
