"""Fixes as GitHub suggested changes: the edit of a properties file, turned into
"replace line L with these lines" on the head revision (pure: texts in, suggestions out).

An insertion after line L becomes a suggestion on L that keeps L and adds the new lines;
a one-line replacement, a suggestion on that line. Edits of new files, or of lines outside
the pull request's diff, cannot be suggestions: the summary lists them instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LineSuggestion:
    path: str  # repository-relative
    line: int  # 1-based, in the head revision
    replacement: str  # the lines that replace it, joined by newlines


def line_suggestions(path: str, before: str, after: str) -> list[LineSuggestion]:
    """The single-line suggestions that turn `before` (the head's text) into `after`."""
    if not before:
        return []
    old, new = before.splitlines(), after.splitlines()
    found: list[LineSuggestion] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "insert":
            if i1 > 0:
                found.append(LineSuggestion(path, i1, "\n".join([old[i1 - 1], *new[j1:j2]])))
            else:
                found.append(LineSuggestion(path, 1, "\n".join([*new[j1:j2], old[0]])))
        elif tag == "replace" and i2 - i1 == 1:
            found.append(LineSuggestion(path, i1 + 1, "\n".join(new[j1:j2])))
    return _merged(found)


def _merged(found: list[LineSuggestion]) -> list[LineSuggestion]:
    """Two edits anchored on one line (an insertion after a replaced value) become one."""
    by_line: dict[tuple[str, int], LineSuggestion] = {}
    for suggestion in found:
        key = (suggestion.path, suggestion.line)
        if key in by_line:
            earlier = by_line[key]
            tail = suggestion.replacement.split("\n", 1)
            extra = tail[1] if len(tail) > 1 else ""
            text = earlier.replacement + ("\n" + extra if extra else "")
            by_line[key] = LineSuggestion(suggestion.path, suggestion.line, text)
        else:
            by_line[key] = suggestion
    return list(by_line.values())


def split_by_diff(
    suggestions: Sequence[LineSuggestion], shown: Mapping[str, set[int]], limit: int
) -> tuple[list[LineSuggestion], list[LineSuggestion]]:
    """(at most `limit` suggestions on lines the diff shows, the rest for the summary)."""
    postable = [s for s in suggestions if s.line in shown.get(s.path, set())]
    rest = [s for s in suggestions if s not in postable[:limit]]
    return postable[:limit], rest


def summary_section(rest: Sequence[LineSuggestion], posted: int) -> str:
    """Markdown for the job summary: the fixes not offered as suggested changes."""
    if not rest and not posted:
        return ""
    lines = ["### floe-ci: suggested fixes", ""]
    if posted:
        lines.append(f"{posted} fix(es) are suggested changes on the pull request's diff.")
    if rest:
        lines += [
            "",
            f"{len(rest)} more (outside the diff, or over the limit); `floe-ci fix` applies "
            "them all:",
            "",
        ]
        for suggestion in rest:
            lines += [f"- `{suggestion.path}:{suggestion.line}`", "", "  ```yaml"]
            lines += [f"  {ln}" for ln in suggestion.replacement.splitlines()]
            lines += ["  ```"]
    return "\n".join(lines) + "\n"
