"""GitHub Actions workflow commands as text: `::name props::message`, masks, annotations.

Pure: each function returns the lines; writing them to the log is the caller's business
(`floe_ci.integrations.github.runner`). Messages and properties are escaped as @actions/core
escapes them, so that text taken from a repository (a file name, a finding) can never start
a workflow command of its own on a new line.

Both the `--format github` renderer and the action annotate through `annotation_lines`:

    >>> annotation_lines([Annotation("error", "no policy", "floe.yaml", 3)])
    ['::error file=floe.yaml,line=3::no policy']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

# GitHub shows at most 10 annotations of each level per step; the rest are silently dropped.
MAX_ANNOTATIONS_PER_LEVEL = 10
# The line that counts the annotations left out is itself a notice, so it needs a slot.
SUMMARY_LEVEL = "notice"


def escape_data(value: str) -> str:
    """Escaping of a command's message (after `::`), as in @actions/core."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escaping of a command's property value (`file=`, `title=`), as in @actions/core."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(
    name: str, message: str, properties: Mapping[str, str | int | None] | None = None
) -> str:
    """One workflow command; properties whose value is None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (properties or {}).items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def add_mask_lines(value: str) -> list[str]:
    """`::add-mask::` for each line of a secret: the runner masks line by line."""
    return [f"::add-mask::{line.strip()}" for line in value.splitlines() if line.strip()]


@dataclass(frozen=True)
class Annotation:
    level: str  # "error" | "warning" | "notice"
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str | None = None

    def command(self) -> str:
        props = {"file": self.file, "line": self.line, "col": self.col, "title": self.title}
        return command(self.level, self.message, props)


# Given the count of annotations left out by level (in the order first left out), the
# annotation that tells the reader so, or None when there is nothing to tell.
Summary = Callable[[Mapping[str, int]], Annotation | None]


def hidden_summary(hidden: Mapping[str, int]) -> Annotation | None:
    """The action's line for the annotations left out: `3 more error(s) not annotated ...`."""
    if not hidden:
        return None
    counts = ", ".join(f"{n} more {level}(s)" for level, n in sorted(hidden.items()))
    return Annotation(
        SUMMARY_LEVEL,
        f"{counts} not annotated (GitHub shows {MAX_ANNOTATIONS_PER_LEVEL} per level); "
        "see the job summary",
    )


def annotation_lines(
    annotations: Iterable[Annotation], summary: Summary = hidden_summary
) -> list[str]:
    """The annotations in their order, at most MAX_ANNOTATIONS_PER_LEVEL of each level (one
    notice fewer: the summary line is a notice), then the summary line, if `summary` has one."""
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    lines = []
    for item in annotations:
        cap = MAX_ANNOTATIONS_PER_LEVEL - (item.level == SUMMARY_LEVEL)
        if shown.get(item.level, 0) >= cap:
            hidden[item.level] = hidden.get(item.level, 0) + 1
            continue
        shown[item.level] = shown.get(item.level, 0) + 1
        lines.append(item.command())
    closing = summary(hidden)
    if closing is not None:
        lines.append(closing.command())
    return lines
