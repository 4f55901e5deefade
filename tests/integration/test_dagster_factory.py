"""The Dagster asset factory on the example: assets, checks, schedules, sensors, resources,
and the definitions module as Dagster itself loads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    DefaultScheduleStatus,
    Definitions,
    RunRequest,
    SkipReason,
    build_sensor_context,
)

from floe_ci.app.compile import artifacts_json, compile_pipeline, default_artifacts_path
from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dagster import create_definitions
from floe_ci.integrations.dagster.asset_factory import DBT_RESOURCE_KEY, build_pipeline
from floe_ci.spec.models import AssetSensorConfig, ScheduleConfig
from tests.conftest import PARSED_MANIFEST, copy_example

pytestmark = pytest.mark.integration

MODELS = {"stg_customers", "stg_orders", "customers", "orders"}
SEEDS = {"raw_customers", "raw_orders"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[CompiledArtifacts, Path]:
    root = copy_example(tmp_path_factory.mktemp("factory") / "shop")
    artifacts = compile_pipeline(root / "floe.yaml")
    write_atomic(default_artifacts_path(root / "floe.yaml"), artifacts_json(artifacts))
    return artifacts, root


@pytest.fixture(scope="module")
def defs(compiled: tuple[CompiledArtifacts, Path]) -> Definitions:
    artifacts, root = compiled
    return create_definitions(artifacts, root)


def _keys(names: set[str]) -> set[AssetKey]:
    return {AssetKey([name]) for name in names}


def test_every_model_and_seed_is_an_asset_and_dbt_tests_are_checks(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    assert set(graph.get_all_asset_keys()) == _keys(MODELS | SEEDS)
    checks = set(graph.asset_check_keys)
    assert len(checks) == 12  # the example's data tests
    assert AssetCheckKey(AssetKey(["customers"]), "unique_customers_customer_id") in checks
    assert (
        AssetCheckKey(
            AssetKey(["stg_orders"]),
            "relationships_stg_orders_customer_id__customer_id__ref_stg_customers_",
        )
        in checks
    )
    # dependencies come from dbt's refs
    assert graph.get(AssetKey(["customers"])).parent_keys == _keys({"stg_customers", "stg_orders"})


def test_schedules_select_the_dbt_selection(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    nightly = defs.resolve_schedule_def("nightly_build")
    hourly = defs.resolve_schedule_def("hourly_orders")
    assert (hourly.cron_schedule, hourly.execution_timezone) == ("15 * * * *", "UTC")
    assert nightly.default_status == DefaultScheduleStatus.RUNNING
    hourly_job = defs.resolve_job_def(hourly.job_name)
    nightly_job = defs.resolve_job_def(nightly.job_name)
    assert hourly_job.asset_layer.selected_asset_keys == _keys(
        {"stg_orders", "orders", "customers"}
    )
    assert nightly_job.asset_layer.selected_asset_keys == set(graph.get_all_asset_keys())


def test_file_sensor_runs_once_per_new_export(
    defs: Definitions, compiled: tuple[CompiledArtifacts, Path]
) -> None:
    _, root = compiled
    sensor = defs.resolve_sensor_def("new_orders_export")
    job = defs.resolve_job_def(sensor.job_name)
    assert job.asset_layer.selected_asset_keys == _keys({"stg_orders", "orders", "customers"})
    instance = DagsterInstance.ephemeral()

    def tick(cursor: str | None) -> tuple[list[RunRequest], SkipReason | None, str | None]:
        context = build_sensor_context(instance=instance, cursor=cursor)
        result = sensor.evaluate_tick(context)
        return list(result.run_requests or []), result.skip_message, result.cursor

    export = root / "exports" / "orders.csv"
    runs, skip, cursor = tick(None)
    assert runs == [] and skip is not None and "does not exist" in skip
    export.parent.mkdir()
    export.write_text("id\n1\n")
    runs, _, cursor = tick(None)
    assert len(runs) == 1 and cursor == str(export.stat().st_mtime_ns)
    assert runs[0].tags["floe/sensor"] == "new_orders_export"
    runs, skip, same = tick(cursor)
    assert runs == [] and same == cursor


def test_asset_sensor_fires_on_the_upstream_materialization(
    compiled: tuple[CompiledArtifacts, Path],
) -> None:
    artifacts, root = compiled
    changed = artifacts.model_copy(deep=True)
    changed.orchestration.sensors = [
        AssetSensorConfig(type="asset", name="after_raw", asset="raw/orders", select="orders")
    ]
    defs = create_definitions(changed, root)
    sensor = defs.resolve_sensor_def("after_raw")
    assert defs.resolve_job_def(sensor.job_name).asset_layer.selected_asset_keys == _keys(
        {"orders"}
    )
    instance = DagsterInstance.ephemeral()
    with build_sensor_context(
        instance=instance, definitions=defs, sensor_name="after_raw"
    ) as context:
        assert list(sensor.evaluate_tick(context).run_requests or []) == []
        instance.report_runless_asset_event(AssetMaterialization(AssetKey(["raw", "orders"])))
        runs = list(sensor.evaluate_tick(context).run_requests or [])
    assert len(runs) == 1 and runs[0].tags["floe/sensor"] == "after_raw"


def test_a_selection_that_matches_nothing_is_a_usage_error(
    compiled: tuple[CompiledArtifacts, Path],
) -> None:
    artifacts, root = compiled
    changed = artifacts.model_copy(deep=True)
    changed.orchestration.schedules = [
        ScheduleConfig(name="typo", cron="0 * * * *", select="custmers")
    ]
    with pytest.raises(FloeUsageError, match=r"orchestration.schedules\[0\].select.*custmers"):
        build_pipeline(changed, root)


def test_dbt_resource_comes_from_the_compute_target(
    compiled: tuple[CompiledArtifacts, Path],
) -> None:
    artifacts, root = compiled
    resource = build_pipeline(artifacts, root).resources[DBT_RESOURCE_KEY]
    profiles = Path(resource.profiles_dir)
    assert profiles == root / ".floe" / "profiles"
    text = (profiles / "profiles.yml").read_text()
    assert "type: duckdb" in text and str(root / "target" / "shop.duckdb") in text
    assert resource.target == "floe"
    assert Path(resource.dbt_executable).is_file()
    assert Path(resource.project_dir) == root


def _validate_definitions_module(cwd: Path, env_extra: dict[str, str]) -> str:
    env = {**os.environ, "DO_NOT_TRACK": "1", **env_extra}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [
            sys.executable, "-m", "dagster", "definitions", "validate",
            "-m", "floe_ci.app.definitions",
        ],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def test_dagster_loads_the_definitions_module_from_artifacts(
    compiled: tuple[CompiledArtifacts, Path], tmp_path: Path
) -> None:
    _, root = compiled
    artifacts_path = default_artifacts_path(root / "floe.yaml")
    output = _validate_definitions_module(tmp_path, {"FLOE_ARTIFACTS_PATH": str(artifacts_path)})
    assert "floe_ci.app.definitions" in output and "valid" in output.lower()


def test_definitions_module_compiles_floe_yaml_without_artifacts(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    assert not (root / ".floe" / "artifacts.json").exists()
    _validate_definitions_module(root, {})
    assert (root / PARSED_MANIFEST).is_file()  # compiled on the fly
