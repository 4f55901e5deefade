"""`floe run`: compile, materialize every asset through Dagster in-process, govern, report.

Dagster runs with an ephemeral instance (nothing persisted); dbt's own console output goes
to `.floe/logs/run.log` and the user sees one line per finished dbt node instead.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_ci.app.progress import step, write_out
from floe_ci.app.run_summary import RunSummary
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.opentelemetry.tracing import span, traced_command

RUN_LOG = Path(".floe") / "logs" / "run.log"
# dbt's target folder of every `floe run`: its partial_parse.msgpack, written with the run's
# profile, spares the next run's `dbt build` a full parse (about a third of a small run).
RUN_TARGET = Path(".floe") / "cache" / "run-target"


@dataclass
class RunOutcome:
    success: bool
    summary: RunSummary
    governance_lines: list[str]
    dagster_run_id: str | None = None


def run_pipeline(
    config: Path,
    *,
    environment: str | None = None,
    select: str | None = None,
    exclude: str | None = None,
) -> RunOutcome:
    """Run the pipeline of `config` and print its summary; never raises for failed models."""
    from floe_ci.app.spec_file import load_spec

    spec = load_spec(config, str(config)).spec
    with traced_command(
        spec.observability, pipeline=spec.name, command="run", environment=environment or "local"
    ):
        return _run(config, environment, select, exclude)


def _run(
    config: Path, environment: str | None, select: str | None, exclude: str | None
) -> RunOutcome:
    from floe_ci.app.compile import artifacts_json, compile_pipeline, default_artifacts_path
    from floe_ci.fsutil import write_atomic
    from floe_ci.governance.enforcement import governance_category
    from floe_ci.integrations.warehouse.enforce import apply_runtime_governance

    started = time.monotonic()
    with span("floe.compile"), step("compile"):
        artifacts = compile_pipeline(config, display=str(config))
        write_atomic(default_artifacts_path(config), artifacts_json(artifacts))
    category = governance_category(artifacts, environment)
    root = config.resolve().parent
    name = artifacts.metadata.pipeline_name
    _say(f"▶ floe run `{name}` ({artifacts.compute.target.value}, {category})")

    summary = RunSummary(stream=sys.stdout)
    result = _materialize(artifacts, root, summary, select, exclude)
    success = bool(result.success) and not summary.failures

    lines: list[str] = []
    if success:
        with span("floe.governance", category=category), step("governance"):
            report = apply_runtime_governance(
                artifacts, root, category=category, relations=summary.relations_built()
            )
        lines = report.lines()
        for line in lines:
            _say(line)
    elapsed = time.monotonic() - started
    checks = _check_tally(result)
    mark = "✓" if success else "✗"
    _say(
        f"{mark} floe run `{name}`: {summary.totals()}{checks} in {elapsed:.1f}s "
        f"(Dagster run {result.run_id[:8]}; dbt output: {RUN_LOG})"
    )
    if not success and not summary.failures:
        for message in _step_errors(result):
            _say(f"  {message}", err=True)
        _say(f"  the Dagster run failed; dbt output: {root / RUN_LOG}", err=True)
    return RunOutcome(success, summary, lines, result.run_id)


def _say(text: str, *, err: bool = False) -> None:
    """A line for the user, never mixed into the live progress line."""
    write_out(sys.stderr if err else sys.stdout, text + "\n")


def _materialize(
    artifacts: Any, root: Path, summary: RunSummary, select: str | None, exclude: str | None
) -> Any:
    from floe_ci.integrations.extras import require_extra

    require_extra("dagster", "runtime", "`floe run`")
    with step("dagster", "loading Dagster"):
        from dagster import DagsterInstance, materialize

        from floe_ci.integrations.dagster.asset_factory import build_pipeline

        pipeline = build_pipeline(
            artifacts,
            root,
            extra_observers=lambda _run, _target: [summary],
            target_path=root / RUN_TARGET,
        )
    selection = None
    if select or exclude:
        selection = pipeline.selection(select, exclude)
        if not pipeline.selects_anything(selection):
            raise FloeUsageError.single(
                "--select",
                f"`{select or '*'}`"
                + (f" minus `{exclude}`" if exclude else "")
                + " selects no dbt model, seed or snapshot",
                hint="use dbt selection syntax, e.g. `customers`, `stg_orders+`, `tag:daily`",
            )
    log_path = root / RUN_LOG
    from floe_ci.confinement import confine
    from floe_ci.fsutil import ensure_folder

    ensure_folder(log_path.parent, "the run's log")
    confine(log_path, None, "the run's log")  # opened for writing: a link would be followed
    # dagster-dbt echoes every dbt log line on stdout; keep it in the log file instead.
    # Dagster's console logger would print a stack for a failed dbt model; floe reports
    # failures itself (per node, and the step's error when no node failed).
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    with (
        _dagster_logs_stay_in_dagster(),
        span("floe.materialize"),
        step("dbt_build", "dbt build through Dagster", unit="nodes") as build,
        log_path.open("w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
    ):
        summary.on_finished = build.update
        return materialize(
            [pipeline.dbt_assets],
            resources=pipeline.resources,
            instance=DagsterInstance.ephemeral(),
            selection=selection,
            raise_on_error=False,
            run_config=quiet,
            tags={"floe/pipeline": artifacts.metadata.pipeline_name},
        )


@contextlib.contextmanager
def _dagster_logs_stay_in_dagster() -> Iterator[None]:
    """dbt's snowplow tracker calls logging.basicConfig() on import, so Dagster's INFO
    records would reach standard error through the root logger; keep them in Dagster."""
    logger = logging.getLogger("dagster")
    before = logger.propagate
    logger.propagate = False
    try:
        yield
    finally:
        logger.propagate = before


def _check_tally(result: Any) -> str:
    evaluations = result.get_asset_check_evaluations()
    if not evaluations:
        return ""
    failed = sum(1 for e in evaluations if not e.passed)
    return f"; {len(evaluations)} asset checks" + (f" ({failed} failed)" if failed else " passed")


def _step_errors(result: Any) -> list[str]:
    """The first line of each failed Dagster step's error."""
    messages = []
    for event in result.get_step_failure_events():
        error = getattr(event.event_specific_data, "error", None)
        text = str(getattr(error, "message", "") or "").strip()
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        messages.append(f"{event.step_key}: {first or 'failed'}")
    return messages
