"""GitHub Actions workflow commands and environment files, written the way the runner parses them.

Messages are escaped so that text taken from a repository (a file name, a finding) can never
start a workflow command of its own on a new line.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# GitHub shows at most 10 annotations of each level per step; the rest are silently dropped.
MAX_ANNOTATIONS_PER_LEVEL = 10
# A step's summary is capped at 1 MiB by the runner; stay clearly below.
MAX_SUMMARY_BYTES = 1_000_000


def escape_data(value: str) -> str:
    """Escaping of a command's message (after `::`), as in @actions/core."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escaping of a command's property value (`file=`, `title=`), as in @actions/core."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(
    name: str, message: str, properties: Mapping[str, str | int | None] | None = None
) -> str:
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


def annotation_lines(annotations: Iterable[Annotation]) -> list[str]:
    """Annotation commands, at most MAX_ANNOTATIONS_PER_LEVEL per level, then one summary line."""
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    lines = []
    for item in annotations:
        if shown.get(item.level, 0) >= MAX_ANNOTATIONS_PER_LEVEL:
            hidden[item.level] = hidden.get(item.level, 0) + 1
            continue
        shown[item.level] = shown.get(item.level, 0) + 1
        props = {"file": item.file, "line": item.line, "col": item.col, "title": item.title}
        lines.append(command(item.level, item.message, props))
    if hidden:
        counts = ", ".join(f"{n} more {level}(s)" for level, n in sorted(hidden.items()))
        lines.append(
            command(
                "notice", f"{counts} not annotated (GitHub shows 10 per level); see the job summary"
            )
        )
    return lines


def output_block(name: str, value: str) -> str:
    """One `name<<DELIM` block for $GITHUB_OUTPUT, safe for multi-line values."""
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            break
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def write_outputs(values: Mapping[str, str], path: str | None = None) -> bool:
    """Append step outputs to $GITHUB_OUTPUT; False when not running in Actions."""
    target = path or os.environ.get("GITHUB_OUTPUT")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as handle:
        for name, value in values.items():
            handle.write(output_block(name, value))
    return True


def append_summary(markdown: str, path: str | None = None) -> bool:
    """Append Markdown to $GITHUB_STEP_SUMMARY (capped); False when not running in Actions."""
    target = path or os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    data = markdown.encode("utf-8")
    if len(data) > MAX_SUMMARY_BYTES:
        note = "\n\n> The summary was cut at 1 MB; the full report is in the run's artifact.\n"
        data = (
            data[: MAX_SUMMARY_BYTES - len(note)].decode("utf-8", "ignore").encode() + note.encode()
        )
    existing = Path(target).stat().st_size if Path(target).exists() else 0
    with open(target, "ab") as handle:
        if existing:
            handle.write(b"\n")
        handle.write(data)
    return True


def emit(lines: Iterable[str], stream: TextIO) -> None:
    for line in lines:
        stream.write(line + "\n")
    stream.flush()
