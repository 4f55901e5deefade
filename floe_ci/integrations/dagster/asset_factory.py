"""Dagster Definitions from CompiledArtifacts: dbt models as assets, dbt tests as asset checks,
schedules and sensors from `orchestration`, the dbt resource from the compute target.

The assets run `dbt build` through dagster-dbt's DbtCliResource (a `dbt` subprocess on the
profile generated from floe.yaml). Every dbt node's start and result line is also handed to
the run's observers: OpenLineage events, OpenTelemetry spans, and any the caller adds (the
`floe run` summary).

No `from __future__ import annotations` here: Dagster inspects the asset function's
`context` annotation at definition time and rejects a string.
"""

import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset_sensor,
    define_asset_job,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster_dbt import DbtCliResource, build_dbt_asset_selection, dbt_assets
from packaging.version import Version

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dagster.orchestration import (
    ScheduleSpec,
    SensorSpec,
    check_file,
    plan_orchestration,
)
from floe_ci.integrations.dbt.log_events import NodeObserver, notify, parse_dbt_event
from floe_ci.integrations.dbt.profiles import (
    dbt_project_dir,
    make_database_folder,
    profile_target,
    write_profiles,
)

# Builds the observers of one asset execution: (dagster run id, dbt target path) -> observers.
ObserverFactory = Callable[[str, Path], Sequence[NodeObserver]]

DBT_RESOURCE_KEY = "dbt"


@dataclass
class FloePipeline:
    """Everything Dagster needs to run the pipeline; `definitions()` bundles it."""

    dbt_assets: AssetsDefinition
    resources: dict[str, Any]
    jobs: list[UnresolvedAssetJobDefinition] = field(default_factory=list)
    schedules: list[ScheduleDefinition] = field(default_factory=list)
    sensors: list[SensorDefinition] = field(default_factory=list)

    def definitions(self) -> Definitions:
        return Definitions(
            assets=[self.dbt_assets],
            resources=self.resources,
            jobs=self.jobs,
            schedules=self.schedules,
            sensors=self.sensors,
        )

    def selects_anything(self, selection: AssetSelection) -> bool:
        graph = Definitions(assets=[self.dbt_assets], resources=self.resources)
        return bool(selection.resolve(graph.resolve_asset_graph()))

    def selection(self, select: str | None, exclude: str | None = None) -> AssetSelection:
        """The assets (and their checks) a dbt selection picks, e.g. `stg_orders+`."""
        return build_dbt_asset_selection(
            [self.dbt_assets], dbt_select=select or "fqn:*", dbt_exclude=exclude
        )


def create_definitions(artifacts: CompiledArtifacts, project_root: Path) -> Definitions:
    """Dagster Definitions for the pipeline; `project_root` is the folder holding floe.yaml."""
    return build_pipeline(artifacts, project_root).definitions()


def build_pipeline(
    artifacts: CompiledArtifacts,
    project_root: Path,
    *,
    extra_observers: ObserverFactory | None = None,
    target_path: Path | None = None,
) -> FloePipeline:
    """Assets, resources, jobs, schedules and sensors for the pipeline.

    `target_path`: one dbt target folder for every run (`floe run`, one run at a time), so
    that dbt's partial_parse.msgpack from the last run is reused; None gives each run a
    folder of its own (dagster-dbt's default, for a server that runs several at once)."""
    root = project_root.resolve()
    manifest = _manifest_path(artifacts, root)
    observers = _observer_factory(artifacts, root, extra_observers)
    assets = _dbt_assets(artifacts, manifest, observers, target_path)
    pipeline = FloePipeline(dbt_assets=assets, resources=create_resources(artifacts, root))
    schedules, sensors = plan_orchestration(artifacts.orchestration, root)
    for spec in schedules:
        job = _selection_job(pipeline, spec.job_name, spec.select, spec.exclude, spec.where)
        pipeline.jobs.append(job)
        pipeline.schedules.append(_schedule(spec, job))
    for sensor_spec in sensors:
        job = _selection_job(
            pipeline, sensor_spec.job_name, sensor_spec.select, None, sensor_spec.where
        )
        pipeline.jobs.append(job)
        pipeline.sensors.append(_sensor(sensor_spec, job))
    return pipeline


class FloeDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without two costs of every run that floe never uses.

    - `dbt --version` in a subprocess (a whole dbt start, 2-3 s on 2 cores): the dbt beside
      this Python is the dbt-core installed with it, whose version the metadata gives.
    - A dbt adapter opened in this process before each run (loading the profile and the
      project, about as long again): dagster-dbt uses it only to fetch row counts and
      column metadata, which floe's assets do not ask for.
    """

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return Version(metadata.version("dbt-core"))
        return super()._cli_version  # another dbt: ask it (`dbt --version`)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def create_resources(artifacts: CompiledArtifacts, project_root: Path) -> dict[str, Any]:
    """The dbt CLI resource, on the profile generated from the compute target."""
    make_database_folder(artifacts, project_root)
    profiles_dir = write_profiles(artifacts, project_root)
    return {
        DBT_RESOURCE_KEY: FloeDbtCliResource(
            project_dir=str(dbt_project_dir(artifacts, project_root)),
            profiles_dir=str(profiles_dir),
            target=profile_target(artifacts),
            dbt_executable=dbt_executable(),
        )
    }


def dbt_executable() -> str:
    """The `dbt` next to this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise FloeUsageError.single(
            "dbt",
            "the `dbt` command was not found next to Python nor on PATH",
            hint="install floe-ci with its dependencies (pip install floe-ci) in this "
            "environment, or put dbt on PATH",
        )
    return found


def asset_name(artifacts: CompiledArtifacts) -> str:
    """A valid Dagster op name for the pipeline's dbt assets."""
    return artifacts.metadata.pipeline_name.replace("-", "_") + "_dbt_models"


def _manifest_path(artifacts: CompiledArtifacts, root: Path) -> Path:
    if artifacts.dbt_manifest_path is None:
        raise FloeUsageError.single(
            "floe.yaml",
            "the pipeline has no dbt project, so there is nothing for Dagster to run",
            hint="add `transforms: [{type: dbt, path: .}]` to floe.yaml and compile again",
        )
    manifest = (root / artifacts.dbt_manifest_path).resolve()
    if not manifest.is_file():
        raise FloeUsageError.single(
            str(manifest),
            "the dbt manifest named in the compiled artifacts does not exist",
            hint="run `floe compile` again to re-create it",
        )
    return manifest


def _observer_factory(
    artifacts: CompiledArtifacts, root: Path, extra: ObserverFactory | None
) -> ObserverFactory:
    def observers(run_id: str, target_path: Path) -> Sequence[NodeObserver]:
        from floe_ci.integrations.openlineage.emitter import lineage_observer
        from floe_ci.integrations.opentelemetry.tracing import node_span_observer

        found: list[NodeObserver] = []
        lineage = lineage_observer(artifacts, root, run_id, target_path)
        if lineage is not None:
            found.append(lineage)
        spans = node_span_observer()
        if spans is not None:
            found.append(spans)
        if extra is not None:
            found.extend(extra(run_id, target_path))
        return found

    return observers


def _dbt_assets(
    artifacts: CompiledArtifacts,
    manifest: Path,
    observers: ObserverFactory,
    target_path: Path | None = None,
) -> AssetsDefinition:
    @dbt_assets(manifest=manifest, name=asset_name(artifacts))
    def _models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        invocation = dbt.cli(["build"], context=context, target_path=target_path)
        watching = observers(context.run.run_id, Path(invocation.target_path))
        try:
            for event in invocation.stream_raw_events():
                node_event = parse_dbt_event(event.raw_event)
                if node_event is not None:
                    notify(watching, node_event)
                yield from event.to_default_asset_events(
                    manifest=invocation.manifest,
                    dagster_dbt_translator=invocation.dagster_dbt_translator,
                    context=context,
                    target_path=invocation.target_path,
                    project=invocation.project,
                )
        finally:
            for observer in watching:
                close = getattr(observer, "close", None)
                if callable(close):
                    close()

    return _models


def _selection_job(
    pipeline: FloePipeline, job_name: str, select: str, exclude: str | None, where: str
) -> UnresolvedAssetJobDefinition:
    selection = pipeline.selection(select, exclude)
    if not pipeline.selects_anything(selection):
        raise FloeUsageError.single(
            "floe.yaml",
            f"`{where}.select` `{select}`"
            + (f" (exclude `{exclude}`)" if exclude else "")
            + " selects no dbt model, seed or snapshot",
            hint="use dbt selection syntax over the project's models, e.g. `stg_orders+`, "
            "`tag:daily` or `*`",
        )
    return define_asset_job(name=job_name, selection=selection)


def _schedule(spec: ScheduleSpec, job: UnresolvedAssetJobDefinition) -> ScheduleDefinition:
    return ScheduleDefinition(
        name=spec.name,
        cron_schedule=spec.cron,
        execution_timezone=spec.timezone,
        job=job,
        default_status=(
            DefaultScheduleStatus.RUNNING if spec.running else DefaultScheduleStatus.STOPPED
        ),
        description=f"floe.yaml {spec.where}: dbt `{spec.select}` at `{spec.cron}`",
    )


def _sensor(spec: SensorSpec, job: UnresolvedAssetJobDefinition) -> SensorDefinition:
    if spec.kind == "file":
        assert spec.watched_path is not None
        watched = spec.watched_path

        @sensor(
            name=spec.name,
            job=job,
            minimum_interval_seconds=spec.minimum_interval_seconds,
            default_status=DefaultSensorStatus.RUNNING,
            description=f"floe.yaml {spec.where}: dbt `{spec.select}` when {watched} changes",
        )
        def _file_sensor(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
            check = check_file(watched, context.cursor)
            if not check.run:
                yield SkipReason(check.reason)
                return
            context.update_cursor(check.cursor)
            yield RunRequest(run_key=check.run_key, tags={"floe/sensor": spec.name})

        return _file_sensor

    assert spec.asset_key is not None

    @asset_sensor(
        asset_key=AssetKey(list(spec.asset_key)),
        name=spec.name,
        job=job,
        minimum_interval_seconds=spec.minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"floe.yaml {spec.where}: dbt `{spec.select}` after "
        f"{'/'.join(spec.asset_key)} is materialized",
    )
    def _asset_sensor(context: SensorEvaluationContext, asset_event: Any) -> RunRequest:
        return RunRequest(run_key=context.cursor, tags={"floe/sensor": spec.name})

    return _asset_sensor
