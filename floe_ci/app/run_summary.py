"""What a run did, node by node: printed live as dbt finishes each node, then summed up."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from floe_ci.app.progress import write_out
from floe_ci.integrations.dbt.log_events import NodeEvent

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MARKS = {"success": "✓", "pass": "✓", "skipped": "-", "warn": "!"}


@dataclass
class RunSummary:
    """A NodeObserver that remembers every finished node and reports it on `stream`."""

    stream: TextIO | None = None
    finished: list[NodeEvent] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # unique_id -> dbt's error message

    running: dict[str, NodeEvent] = field(default_factory=dict)  # started, not finished yet
    on_finished: Callable[[int], None] | None = None  # nodes finished so far (progress)

    def node_started(self, event: NodeEvent) -> None:
        self.running[event.unique_id] = event

    def node_finished(self, event: NodeEvent) -> None:
        self.running.pop(event.unique_id, None)
        self.finished.append(event)
        if self.on_finished is not None:
            self.on_finished(len(self.finished))
        if self.stream is not None:
            write_out(self.stream, node_line(event) + "\n")

    def node_error(self, event: NodeEvent) -> None:
        self.errors[event.unique_id] = event.message
        if self.stream is not None:
            write_out(self.stream, f"    {event.name}: {first_line(event.message)}\n")

    @property
    def failures(self) -> list[NodeEvent]:
        return [e for e in self.finished if e.failed]

    def of_type(self, *resource_types: str) -> list[NodeEvent]:
        return [e for e in self.finished if e.resource_type in resource_types]

    def relations_built(self) -> dict[str, str]:
        """Model name -> dbt relation name (`"db"."schema"."alias"`) of models built OK."""
        built = {}
        for event in self.of_type("model"):
            rel = event.relation
            if event.failed or event.skipped or not rel.get("schema"):
                continue
            parts = [rel.get("database"), rel.get("schema"), rel.get("alias") or event.name]
            built[event.name] = ".".join('"' + p.replace('"', '""') + '"' for p in parts if p)
        return built

    def totals(self) -> str:
        """`4 models, 2 seeds, 12 tests; 1 failed` style tally."""
        kinds: dict[str, int] = {}
        for event in self.finished:
            kinds[event.resource_type] = kinds.get(event.resource_type, 0) + 1
        text = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(kinds.items()))
        failed = len(self.failures)
        skipped = sum(1 for e in self.finished if e.skipped)
        extra = [f"{failed} failed"] if failed else []
        extra += [f"{skipped} skipped"] if skipped else []
        # Started but never finished: the run was interrupted or dbt died mid-node.
        extra += [f"{len(self.running)} unfinished"] if self.running else []
        return (text or "no nodes") + (f"; {', '.join(extra)}" if extra else "")


def node_line(event: NodeEvent) -> str:
    mark = "✗" if event.failed else _MARKS.get(event.status.lower(), "·")
    seconds = f"{event.execution_time:6.2f}s" if event.execution_time is not None else " " * 7
    line = f"  {mark} {event.resource_type:<8} {event.name:<40} {event.status:<8} {seconds}"
    return line.rstrip()


def first_line(message: str) -> str:
    """The first meaningful line of a dbt message, without colours, at most 300 characters.

    dbt's errors start with a header such as `Runtime Error in model orders (...)`; the
    cause is on the next line, so both are kept.
    """
    lines = [ln.strip() for ln in _ANSI.sub("", message).splitlines() if ln.strip()]
    return " - ".join(lines[:2])[:300]
