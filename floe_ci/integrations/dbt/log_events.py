"""dbt node lifecycle events, parsed from dbt's structured (JSON) log lines.

dagster-dbt runs `dbt --log-format json`; every line is an event. The ones that matter for
lineage, tracing and run summaries are the start line and the result line of each node.
Observers (OpenLineage emitter, span recorder, run summary) receive these as plain values,
so they can be tested without Dagster or dbt.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

log = logging.getLogger(__name__)

# dbt's result events, one per finished node, by resource kind.
_RESULT_EVENTS = frozenset(
    {"LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult", "LogSkipResult"}
)
_START_EVENTS = frozenset({"LogStartLine", "NodeStart"})
# Sent after the run for each node that failed, with dbt's error message.
_ERROR_EVENT = "RunResultError"
# Statuses dbt reports for a node that did not produce its output.
_FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True)
class NodeEvent:
    """One dbt node starting or finishing."""

    phase: Literal["start", "finish", "error"]
    unique_id: str
    name: str
    resource_type: str
    status: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    execution_time: float | None = None
    message: str = ""
    relation: Mapping[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status.lower() in _FAILED_STATUSES

    @property
    def skipped(self) -> bool:
        return self.status.lower() == "skipped"

    @property
    def produces_dataset(self) -> bool:
        """Models, seeds and snapshots write a relation; tests only read."""
        return self.resource_type in {"model", "seed", "snapshot"}


class NodeObserver(Protocol):
    """Something that wants to know when dbt nodes start and finish.

    An observer may also define `node_error(event)`: dbt's error message for a failed
    node, which dbt reports after the run.
    """

    def node_started(self, event: NodeEvent) -> None: ...

    def node_finished(self, event: NodeEvent) -> None: ...


def parse_dbt_event(raw: Mapping[str, Any]) -> NodeEvent | None:
    """The node event carried by one dbt JSON log line, or None for any other line."""
    info = raw.get("info") or {}
    name = info.get("name")
    if name not in _START_EVENTS and name not in _RESULT_EVENTS and name != _ERROR_EVENT:
        return None
    data = raw.get("data") or {}
    node = data.get("node_info") or {}
    unique_id = node.get("unique_id")
    if not unique_id:
        return None
    relation = node.get("node_relation") or {}
    if name == _ERROR_EVENT:
        return NodeEvent(
            phase="error",
            unique_id=unique_id,
            name=node.get("node_name") or unique_id.split(".")[-1],
            resource_type=node.get("resource_type") or unique_id.split(".")[0],
            status=str(node.get("node_status") or "error"),
            message=str(info.get("msg") or ""),
            relation={k: str(v) for k, v in relation.items() if v},
        )
    if name in _START_EVENTS:
        return NodeEvent(
            phase="start",
            unique_id=unique_id,
            name=node.get("node_name") or unique_id.split(".")[-1],
            resource_type=node.get("resource_type") or unique_id.split(".")[0],
            status="started",
            started_at=_timestamp(node.get("node_started_at")),
            relation={k: str(v) for k, v in relation.items() if v},
        )
    status = str(node.get("node_status") or data.get("status") or "")
    if name == "LogSkipResult":
        status = "skipped"
    elapsed = data.get("execution_time")
    return NodeEvent(
        phase="finish",
        unique_id=unique_id,
        name=node.get("node_name") or unique_id.split(".")[-1],
        resource_type=node.get("resource_type") or unique_id.split(".")[0],
        status=status,
        started_at=_timestamp(node.get("node_started_at")),
        finished_at=_timestamp(node.get("node_finished_at")),
        execution_time=float(elapsed) if isinstance(elapsed, int | float) else None,
        message=str(info.get("msg") or ""),
        relation={k: str(v) for k, v in relation.items() if v},
    )


def notify(observers: Iterable[NodeObserver], event: NodeEvent) -> None:
    """Tell every observer; an observer that breaks is logged, never fatal to the run."""
    for observer in observers:
        try:
            if event.phase == "start":
                observer.node_started(event)
            elif event.phase == "finish":
                observer.node_finished(event)
            else:
                on_error = getattr(observer, "node_error", None)
                if callable(on_error):
                    on_error(event)
        except Exception as exc:  # an observer must never fail the pipeline
            log.warning("%s failed on %s: %s", type(observer).__name__, event.unique_id, exc)


def _timestamp(value: object) -> datetime | None:
    """dbt writes naive UTC ISO timestamps (and "" when unknown)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
