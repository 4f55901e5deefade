"""The runner's channels for a step: the log (workflow commands), $GITHUB_OUTPUT and
$GITHUB_STEP_SUMMARY. Only the I/O lives here; the commands' text is
`floe_ci.report.workflow_commands`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from floe_ci.report.workflow_commands import add_mask_lines, command

# A step's summary is capped at 1 MiB by the runner; stay clearly below.
MAX_SUMMARY_BYTES = 1_000_000


@dataclass(frozen=True)
class Step:
    """One step's channels, as the environment names them: a step outside Actions (no
    GITHUB_OUTPUT, no GITHUB_STEP_SUMMARY) only logs."""

    log: TextIO
    output_file: str | None = None
    summary_file: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], log: TextIO) -> Step:
        return cls(log, env.get("GITHUB_OUTPUT") or None, env.get("GITHUB_STEP_SUMMARY") or None)

    def emit(self, lines: Iterable[str]) -> None:
        emit(lines, self.log)

    def command(
        self, name: str, message: str, properties: Mapping[str, str | int | None] | None = None
    ) -> None:
        emit([command(name, message, properties)], self.log)

    def mask(self, values: Iterable[str]) -> None:
        """`::add-mask::` each value: the runner hides it in every line printed afterwards."""
        emit([line for value in values for line in add_mask_lines(value)], self.log)

    def outputs(self, values: Mapping[str, str]) -> None:
        if self.output_file:
            write_outputs(values, self.output_file)

    def summary(self, markdown: str) -> None:
        if self.summary_file:
            append_summary(markdown, self.summary_file)


def emit(lines: Iterable[str], stream: TextIO) -> None:
    """Write lines to the log now (flushed: the runner reads commands as they come)."""
    for line in lines:
        stream.write(line + "\n")
    stream.flush()


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
