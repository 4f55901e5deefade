"""dbt node lifecycle events, parsed from dbt's structured events: the one place that does.

dbt reports a run as events. Two ways reach floe-ci:
- dagster-dbt runs `dbt --log-format json`; every line is an event (`parse_dbt_event`). The
  ones that matter for lineage, tracing and run summaries are the start line and the result
  line of each node, and the error dbt repeats after the run for each failed node.
- the in-process dbtRunner (runner.py) hands each event to callbacks as a protobuf message
  (`parse_runner_event`, `selected_node_count`): the progress bar of `floe-ci run` reads
  `NodeStart`, `NodeFinished` (whose result carries the error at once) and `ConcurrencyLine`.
Both give plain `NodeEvent` values; observers (OpenLineage emitter, span recorder, run
summary, progress bar) can be tested without Dagster or dbt.
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
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


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
        return self.status.lower() in FAILED_STATUSES

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
    if not node.get("unique_id"):
        return None
    if name == _ERROR_EVENT:
        status = str(node.get("node_status") or "error")
        return _node_event("error", node, status=status, message=str(info.get("msg") or ""))
    if name in _START_EVENTS:
        return _node_event("start", node, status="started")
    status = str(node.get("node_status") or data.get("status") or "")
    if name == "LogSkipResult":
        status = "skipped"
    return _node_event(
        "finish",
        node,
        status=status,
        execution_time=data.get("execution_time"),
        message=str(info.get("msg") or ""),
    )


def parse_runner_event(message: Any) -> NodeEvent | None:
    """The node event of one dbtRunner callback message (`NodeStart`, `NodeFinished`).

    A finished node's `message` is dbt's error for a failure (the result's message, e.g.
    "Runtime Error in model x ..."), not the log's summary line.
    """
    name = message.info.name
    if name not in ("NodeStart", "NodeFinished"):
        return None  # checked before converting: a run fires hundreds of events per node
    raw = _runner_dict(message)
    data = raw.get("data") or {}
    node = data.get("node_info") or {}
    if not node.get("unique_id"):
        return None
    if name == "NodeStart":
        return _node_event("start", node, status="started")
    run = data.get("run_result") or {}
    return _node_event(
        "finish",
        node,
        status=str(run.get("status") or node.get("node_status") or ""),
        execution_time=run.get("execution_time"),
        message=str(run.get("message") or ""),
    )


def selected_node_count(message: Any) -> int | None:
    """How many nodes a run will execute, from dbtRunner's `ConcurrencyLine`; else None."""
    if message.info.name != "ConcurrencyLine":
        return None
    count = (_runner_dict(message).get("data") or {}).get("node_count")
    return count if isinstance(count, int) else None


def _runner_dict(message: Any) -> dict[str, Any]:
    """A callback's protobuf message as the dict dbt writes to a JSON log line."""
    from dbt_common.events.functions import msg_to_dict  # dbt is loaded: a run is going on

    return msg_to_dict(message)


def _node_event(
    phase: Literal["start", "finish", "error"],
    node: Mapping[str, Any],
    *,
    status: str,
    execution_time: object = None,
    message: str = "",
) -> NodeEvent:
    unique_id = str(node["unique_id"])
    relation = node.get("node_relation") or {}
    return NodeEvent(
        phase=phase,
        unique_id=unique_id,
        name=node.get("node_name") or unique_id.split(".")[-1],
        resource_type=node.get("resource_type") or unique_id.split(".")[0],
        status=status,
        # dbt fills the times in as the node runs: a start event has no finish time yet
        started_at=None if phase == "error" else _timestamp(node.get("node_started_at")),
        finished_at=_timestamp(node.get("node_finished_at")) if phase == "finish" else None,
        execution_time=float(execution_time) if isinstance(execution_time, int | float) else None,
        message=message,
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
