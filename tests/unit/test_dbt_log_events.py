"""dbtRunner's callback messages read by the one dbt event parser (log_events.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dbt.events.types import ConcurrencyLine, MainReportVersion, NodeFinished, NodeStart
from dbt_common.events.base_types import msg_from_base_event

from floe_ci.integrations.dbt.log_events import parse_runner_event, selected_node_count

NODE = {
    "unique_id": "model.shop.orders",
    "node_name": "orders",
    "resource_type": "model",
    "node_status": "error",
    "node_started_at": "2024-05-01T10:00:00",
    "node_finished_at": "2024-05-01T10:00:02",
    "node_relation": {"database": "db", "schema": "main", "alias": "orders"},
}


def _message(event: Any) -> Any:
    return msg_from_base_event(event)


def test_a_finished_node_carries_dbts_error_message_at_once() -> None:
    result = {"status": "error", "message": "Runtime Error in model orders\n  Binder Error: x"}
    event = parse_runner_event(
        _message(NodeFinished(node_info=NODE, run_result={**result, "execution_time": 1.5}))
    )
    assert event is not None and event.phase == "finish"
    assert (event.unique_id, event.name, event.resource_type) == (
        "model.shop.orders",
        "orders",
        "model",
    )
    assert event.failed and event.status == "error"
    assert event.message == "Runtime Error in model orders\n  Binder Error: x"
    assert event.execution_time == 1.5
    assert event.finished_at == datetime(2024, 5, 1, 10, 0, 2, tzinfo=UTC)
    assert event.relation == {"database": "db", "schema": "main", "alias": "orders"}


def test_a_started_node_and_a_successful_one() -> None:
    started = parse_runner_event(_message(NodeStart(node_info={**NODE, "node_status": "started"})))
    assert started is not None and started.phase == "start" and started.name == "orders"
    assert started.finished_at is None
    done = parse_runner_event(
        _message(NodeFinished(node_info=NODE, run_result={"status": "success", "message": "OK"}))
    )
    assert done is not None and not done.failed and done.status == "success"


def test_the_number_of_selected_nodes_and_other_events() -> None:
    count = _message(ConcurrencyLine(num_threads=4, target_name="dev", node_count=12))
    assert selected_node_count(count) == 12
    assert parse_runner_event(count) is None
    other = _message(MainReportVersion(version="1.11", log_version=3))
    assert parse_runner_event(other) is None and selected_node_count(other) is None
