"""The `orchestration` block of floe.yaml, mapped to what Dagster will run (pure, no Dagster).

Each schedule and sensor gets its own asset job over its dbt selection. Job names carry the
kind so a schedule and a sensor may share a name in floe.yaml without clashing in Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from floe_ci.spec.models import (
    AssetSensorConfig,
    FileSensorConfig,
    OrchestrationConfig,
    ScheduleConfig,
)


@dataclass(frozen=True)
class ScheduleSpec:
    """A cron schedule that materializes a dbt selection."""

    name: str
    job_name: str
    cron: str
    timezone: str
    select: str
    exclude: str | None
    running: bool  # Dagster's default status: enabled schedules start RUNNING
    where: str  # the floe.yaml key path, for error messages


@dataclass(frozen=True)
class SensorSpec:
    """A sensor that materializes a dbt selection when a file or an upstream asset changes."""

    kind: Literal["file", "asset"]
    name: str
    job_name: str
    select: str
    minimum_interval_seconds: int
    watched_path: Path | None  # file sensors: absolute path being watched
    asset_key: tuple[str, ...] | None  # asset sensors: the upstream asset's key
    where: str


@dataclass(frozen=True)
class FileCheck:
    """What a file sensor decided on one tick."""

    run: bool
    cursor: str | None
    run_key: str | None
    reason: str


def schedule_spec(index: int, schedule: ScheduleConfig) -> ScheduleSpec:
    return ScheduleSpec(
        name=schedule.name,
        job_name=f"{schedule.name}_schedule_job",
        cron=schedule.cron,
        timezone=schedule.timezone,
        select=schedule.select,
        exclude=schedule.exclude,
        running=schedule.enabled,
        where=f"orchestration.schedules[{index}]",
    )


def sensor_spec(
    index: int, sensor: FileSensorConfig | AssetSensorConfig, project_root: Path
) -> SensorSpec:
    where = f"orchestration.sensors[{index}]"
    if isinstance(sensor, FileSensorConfig):
        return SensorSpec(
            kind="file",
            name=sensor.name,
            job_name=f"{sensor.name}_sensor_job",
            select=sensor.select,
            minimum_interval_seconds=sensor.minimum_interval_seconds,
            watched_path=(project_root / sensor.path).resolve(),
            asset_key=None,
            where=where,
        )
    return SensorSpec(
        kind="asset",
        name=sensor.name,
        job_name=f"{sensor.name}_sensor_job",
        select=sensor.select,
        minimum_interval_seconds=sensor.minimum_interval_seconds,
        watched_path=None,
        asset_key=asset_key_parts(sensor.asset),
        where=where,
    )


def plan_orchestration(
    config: OrchestrationConfig, project_root: Path
) -> tuple[list[ScheduleSpec], list[SensorSpec]]:
    """Schedules and sensors to build, in floe.yaml order."""
    schedules = [schedule_spec(i, s) for i, s in enumerate(config.schedules)]
    sensors = [sensor_spec(i, s, project_root) for i, s in enumerate(config.sensors)]
    return schedules, sensors


def asset_key_parts(key: str) -> tuple[str, ...]:
    """`raw/orders` -> ("raw", "orders"); empty segments are dropped."""
    return tuple(part for part in key.strip().split("/") if part)


def check_file(path: Path, cursor: str | None) -> FileCheck:
    """Run when the watched file exists and its modification time moved past the cursor.

    The cursor is the file's mtime in nanoseconds: a file rewritten with new content gets a
    new mtime and a new run; a tick that sees the same file again does nothing.
    """
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        return FileCheck(False, cursor, None, f"{path} does not exist yet")
    except OSError as exc:
        return FileCheck(False, cursor, None, f"cannot read {path}: {exc.strerror}")
    if cursor is not None and cursor.isdigit() and mtime_ns <= int(cursor):
        return FileCheck(False, cursor, None, f"{path} unchanged since the last run")
    return FileCheck(True, str(mtime_ns), f"{path.name}@{mtime_ns}", f"{path} changed")
