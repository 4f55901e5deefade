"""The pure parts of the runtime: orchestration mapping, file-sensor cursor, dbt node events,
run summary, lineage naming and transport choice, OTLP URLs."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from floe_ci.app.run_summary import RunSummary, first_line, node_line
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dagster.orchestration import (
    asset_key_parts,
    check_file,
    plan_orchestration,
)
from floe_ci.integrations.dbt.log_events import NodeEvent, notify, parse_dbt_event
from floe_ci.integrations.openlineage.naming import dataset_name, dataset_namespace, job_name
from floe_ci.integrations.openlineage.transport import split_endpoint, transport_kind
from floe_ci.integrations.opentelemetry.tracing import span, traces_url, tracing_endpoint
from floe_ci.spec.models import ComputeTarget, ObservabilityConfig, OrchestrationConfig


def orchestration(**data: object) -> OrchestrationConfig:
    return OrchestrationConfig.model_validate(data)


def test_schedules_become_jobs_with_their_selection_and_status(tmp_path: Path) -> None:
    config = orchestration(
        schedules=[
            {"name": "nightly", "cron": "0 3 * * *", "select": "*", "timezone": "Europe/Berlin"},
            {
                "name": "orders",
                "cron": "15 * * * *",
                "select": "stg_orders+",
                "exclude": "orders",
                "enabled": False,
            },
        ]
    )
    schedules, sensors = plan_orchestration(config, tmp_path)
    assert sensors == []
    nightly, orders = schedules
    assert (nightly.name, nightly.job_name, nightly.cron, nightly.timezone) == (
        "nightly",
        "nightly_schedule_job",
        "0 3 * * *",
        "Europe/Berlin",
    )
    assert nightly.running is True and nightly.where == "orchestration.schedules[0]"
    assert (orders.select, orders.exclude, orders.running) == ("stg_orders+", "orders", False)


def test_sensors_map_file_paths_and_asset_keys(tmp_path: Path) -> None:
    config = orchestration(
        sensors=[
            {"type": "file", "name": "drop", "path": "exports/orders.csv", "select": "stg_orders+"},
            {"type": "asset", "name": "upstream", "asset": "raw/orders/", "select": "orders"},
        ]
    )
    _, (drop, upstream) = plan_orchestration(config, tmp_path)
    assert drop.kind == "file" and drop.watched_path == tmp_path.resolve() / "exports/orders.csv"
    assert drop.job_name == "drop_sensor_job" and drop.minimum_interval_seconds == 30
    assert upstream.kind == "asset" and upstream.asset_key == ("raw", "orders")
    assert upstream.watched_path is None and upstream.where == "orchestration.sensors[1]"


def test_a_schedule_and_a_sensor_may_share_a_name(tmp_path: Path) -> None:
    config = orchestration(
        schedules=[{"name": "orders", "cron": "0 * * * *"}],
        sensors=[{"type": "file", "name": "orders", "path": "x.csv"}],
    )
    (schedule,), (sensor,) = plan_orchestration(config, tmp_path)
    assert schedule.job_name != sensor.job_name


def test_asset_key_parts() -> None:
    assert asset_key_parts("raw/orders") == ("raw", "orders")
    assert asset_key_parts(" customers ") == ("customers",)


def test_file_check_runs_once_per_modification(tmp_path: Path) -> None:
    watched = tmp_path / "orders.csv"
    missing = check_file(watched, None)
    assert not missing.run and "does not exist" in missing.reason and missing.cursor is None

    watched.write_text("id\n1\n")
    first = check_file(watched, None)
    assert first.run and first.cursor == str(watched.stat().st_mtime_ns)
    assert first.run_key == f"orders.csv@{first.cursor}"

    again = check_file(watched, first.cursor)
    assert not again.run and "unchanged" in again.reason and again.cursor == first.cursor

    later = watched.stat().st_mtime_ns + 5_000_000_000
    os.utime(watched, ns=(later, later))
    changed = check_file(watched, first.cursor)
    assert changed.run and changed.cursor == str(later) and changed.run_key != first.run_key


def _raw(name: str, **data: object) -> dict[str, object]:
    node_info = {
        "unique_id": "model.shop.customers",
        "node_name": "customers",
        "resource_type": "model",
        "node_status": data.pop("node_status", "started"),
        "node_started_at": "2026-11-27T00:32:51.689808",
        "node_finished_at": data.pop("finished", ""),
        "node_relation": {"database": "shop", "schema": "main", "alias": "customers"},
    }
    return {
        "info": {"name": name, "msg": data.pop("msg", "")},
        "data": {"node_info": node_info, **data},
    }


def test_parse_dbt_start_and_result_lines() -> None:
    start = parse_dbt_event(_raw("LogStartLine"))
    assert start is not None and start.phase == "start" and start.produces_dataset
    assert start.started_at == datetime(2026, 11, 27, 0, 32, 51, 689808, tzinfo=UTC)
    assert start.relation == {"database": "shop", "schema": "main", "alias": "customers"}

    done = parse_dbt_event(
        _raw(
            "LogModelResult",
            node_status="error",
            status="ERROR",
            execution_time=0.25,
            finished="2026-11-27T00:32:52.000000",
            msg="Runtime Error in model customers",
        )
    )
    assert done is not None and done.phase == "finish" and done.failed
    assert done.status == "error" and done.execution_time == 0.25
    assert done.finished_at is not None and done.finished_at.tzinfo is UTC

    skipped = parse_dbt_event(_raw("LogSkipResult", node_status="skipped"))
    assert skipped is not None and skipped.skipped and not skipped.failed


def test_dbt_error_message_reaches_observers_that_want_it() -> None:
    error = parse_dbt_event(_raw("RunResultError", node_status="error", msg="Binder Error: x"))
    assert error is not None and error.phase == "error" and error.message == "Binder Error: x"
    summary = RunSummary()
    notify([summary], error)
    assert summary.errors == {"model.shop.customers": "Binder Error: x"}
    assert summary.finished == []


def test_other_dbt_lines_are_not_node_events() -> None:
    assert parse_dbt_event({"info": {"name": "MainReportVersion"}, "data": {}}) is None
    assert parse_dbt_event({"info": {"name": "LogStartLine"}, "data": {"node_info": {}}}) is None


class _Broken:
    def node_started(self, event: NodeEvent) -> None:
        raise RuntimeError("observer bug")

    def node_finished(self, event: NodeEvent) -> None:
        raise RuntimeError("observer bug")


def test_a_broken_observer_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    summary = RunSummary()
    event = NodeEvent(
        phase="finish",
        unique_id="seed.shop.raw",
        name="raw",
        resource_type="seed",
        status="success",
    )
    notify([_Broken(), summary], event)
    assert summary.finished == [event]
    assert "observer bug" in caplog.text


def test_run_summary_lines_totals_and_relations() -> None:
    events = [
        NodeEvent("finish", "seed.shop.raw", "raw", "seed", status="success", execution_time=0.3),
        NodeEvent(
            "finish",
            "model.shop.customers",
            "customers",
            "model",
            status="success",
            relation={"database": "shop", "schema": "main", "alias": "customers"},
        ),
        NodeEvent(
            "finish",
            "model.shop.orders",
            "orders",
            "model",
            status="error",
            message="\nRuntime Error\n  column x not found",
            relation={"schema": "main"},
        ),
        NodeEvent("finish", "test.shop.t", "t", "test", status="skipped"),
    ]
    summary = RunSummary()
    for event in events:
        summary.node_started(replace(event, phase="start"))
        summary.node_finished(event)
    assert summary.totals() == "2 models, 1 seed, 1 test; 1 failed, 1 skipped"
    summary.node_started(NodeEvent("start", "model.shop.late", "late", "model"))
    assert summary.totals().endswith("1 skipped, 1 unfinished")
    assert summary.relations_built() == {"customers": '"shop"."main"."customers"'}
    assert [e.name for e in summary.failures] == ["orders"]
    assert node_line(events[2]).startswith("  ✗ model    orders")
    assert first_line("\x1b[31mRuntime Error in model orders\x1b[0m\n  column x\nmore") == (
        "Runtime Error in model orders - column x"
    )
    assert "0.30s" in node_line(events[0])


def test_dataset_namespaces_follow_openlineage_naming(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    assert dataset_namespace(ComputeTarget.DUCKDB, {"path": str(db)}) == f"duckdb://{db}"
    assert dataset_namespace(ComputeTarget.POSTGRES, {"host": "db", "port": 5433}) == (
        "postgres://db:5433"
    )
    assert dataset_namespace(ComputeTarget.REDSHIFT, {"host": "rs"}) == "redshift://rs:5439"
    assert dataset_namespace(ComputeTarget.BIGQUERY, {}) == "bigquery"
    # An env_var() reference is never copied into a namespace.
    assert (
        dataset_namespace(ComputeTarget.SNOWFLAKE, {"account": "{{ env_var('ACCOUNT') }}"})
        == "snowflake://unknown-account"
    )
    assert dataset_name("shop", "main", "orders") == "shop.main.orders"
    assert dataset_name(None, "main", "orders") == "main.orders"
    assert job_name("model.shop.customers") == "shop.customers"


def test_transport_choice_and_endpoint_split() -> None:
    assert transport_kind(ObservabilityConfig()) is None
    assert transport_kind(ObservabilityConfig(lineage_endpoint="http://m:5000")) == "http"
    assert transport_kind(ObservabilityConfig(lineage_transport="file")) == "file"
    assert (
        transport_kind(ObservabilityConfig(lineage=False, lineage_endpoint="http://m:5000")) is None
    )
    assert split_endpoint("http://m:5000") == ("http://m:5000", "api/v1/lineage")
    assert split_endpoint("https://m/api/v1/lineage/") == ("https://m", "api/v1/lineage")
    with pytest.raises(FloeUsageError, match="not an http"):
        split_endpoint("marquez:5000")


def test_tracing_endpoint_and_noop_span() -> None:
    assert traces_url("http://c:4318") == "http://c:4318/v1/traces"
    assert traces_url("http://c:4318/v1/traces/") == "http://c:4318/v1/traces"
    assert tracing_endpoint(ObservabilityConfig()) is None
    assert (
        tracing_endpoint(ObservabilityConfig(otlp_endpoint="http://c:4318", traces=False)) is None
    )
    with span("compile", pipeline="shop") as current:
        assert current is None  # tracing is off: nothing recorded, nothing exported
