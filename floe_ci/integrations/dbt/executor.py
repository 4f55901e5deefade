"""Run dbt commands in-process (dbtRunner) on the pipeline's generated profile.

Progress comes from dbt's own structured events (callbacks, read by log_events.py):
`ConcurrencyLine` gives the number of selected nodes, `NodeFinished` each node's status as
it completes, so failures are printed while the run goes on. dbt writes its log to
`<project_root>/.floe/logs/dbt.log`; nothing is printed by dbt itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.log_events import (
    FAILED_STATUSES,
    parse_runner_event,
    selected_node_count,
)
from floe_ci.integrations.dbt.profiles import (
    dbt_project_dir,
    make_database_folder,
    profile_target,
    write_profiles,
)
from floe_ci.integrations.dbt.runner import DbtInvocation, DbtOutcome, invoke

COMMANDS = ("build", "run", "test", "seed", "compile")
LOGS_SUBDIR = Path(".floe") / "logs"


@dataclass(frozen=True)
class NodeResult:
    """One dbt node's outcome in a run."""

    unique_id: str
    name: str
    resource_type: str
    status: str  # dbt's: success, error, skipped, pass, fail, warn, runtime error
    execution_time: float
    message: str | None = None
    relation: str | None = None  # "database"."schema"."alias" for nodes that build one

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass
class DbtRunResult:
    """What a dbt command did: overall success and one NodeResult per executed node."""

    command: str
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    log_path: Path | None = None
    error: str | None = None  # dbt's exception, when it stopped before running nodes
    elapsed: float = 0.0

    @property
    def failures(self) -> list[NodeResult]:
        return [node for node in self.nodes if node.failed]

    def counts(self) -> dict[str, int]:
        tally: dict[str, int] = {}
        for node in self.nodes:
            tally[node.status] = tally.get(node.status, 0) + 1
        return dict(sorted(tally.items()))

    def built(self, resource_type: str = "model") -> list[NodeResult]:
        """Nodes of a type that completed successfully (e.g. the models this run built)."""
        return [n for n in self.nodes if n.resource_type == resource_type and n.status == "success"]


class DbtExecutor:
    """dbt commands for the pipeline described by `artifacts`.

    `project_root` is the folder holding floe.yaml; the artifacts' paths are relative to it.
    """

    def __init__(
        self,
        artifacts: CompiledArtifacts,
        project_root: Path,
        *,
        console: Console | None = None,
    ) -> None:
        self.artifacts = artifacts
        self.project_root = project_root.resolve()
        self.project_dir = dbt_project_dir(artifacts, self.project_root)
        self.log_dir = self.project_root / LOGS_SUBDIR
        self.console = console or Console(stderr=True)

    def run_command(
        self,
        command: str,
        select: list[str] | None = None,
        exclude: list[str] | None = None,
        progress: bool = False,
        extra_args: list[str] | None = None,
    ) -> DbtRunResult:
        """Run one dbt command; a failed node makes `success` False, it does not raise.

        Raises FloeUsageError for an unknown command or a profile the adapter cannot load.
        """
        if command not in COMMANDS:
            raise FloeUsageError.single(
                "dbt",
                f"unknown dbt command `{command}`",
                hint="use one of: " + ", ".join(COMMANDS),
            )
        make_database_folder(self.artifacts, self.project_root)
        invocation = DbtInvocation(
            command,
            self.project_dir,
            write_profiles(self.artifacts, self.project_root),
            profile_target(self.artifacts),
            self.log_dir,
            select=select or (),
            exclude=exclude or (),
            extra=extra_args or (),
        )
        tracker = _ProgressTracker(self.console, command, progress)
        with tracker:
            outcome = invoke(invocation, callbacks=[tracker.on_event], release=True)
        result = _result_from(command, outcome)
        if progress:
            tracker.summary(result)
        return result

    def build(self, **kwargs: Any) -> DbtRunResult:
        return self.run_command("build", **kwargs)

    def run(self, **kwargs: Any) -> DbtRunResult:
        return self.run_command("run", **kwargs)

    def test(self, **kwargs: Any) -> DbtRunResult:
        return self.run_command("test", **kwargs)

    def seed(self, **kwargs: Any) -> DbtRunResult:
        return self.run_command("seed", **kwargs)

    def compile(self, **kwargs: Any) -> DbtRunResult:
        return self.run_command("compile", **kwargs)


class _ProgressTracker:
    """Turns dbt events into a progress bar and immediate failure lines."""

    def __init__(self, console: Console, command: str, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task: Any = None
        self.command = command

    def __enter__(self) -> _ProgressTracker:
        if self.enabled:
            self.progress = Progress(
                TextColumn("[bold]dbt {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[current]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.command, total=None, current="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def on_event(self, message: Any) -> None:
        if self.progress is None:
            return
        count = selected_node_count(message)
        if count is not None:
            self.progress.update(self.task, total=count)
            return
        event = parse_runner_event(message)
        if event is None:
            return
        if event.phase == "start":
            self.progress.update(self.task, current=event.name)
            return
        self.progress.advance(self.task)
        if event.failed:
            lines = [line.strip() for line in event.message.splitlines()]
            reason = " - ".join([line for line in lines if line][:2]) or event.status
            self.progress.console.print(
                f"[red]FAIL[/red] {event.resource_type} {event.name}: {reason}", highlight=False
            )

    def summary(self, result: DbtRunResult) -> None:
        counts = ", ".join(f"{n} {status}" for status, n in result.counts().items())
        colour = "green" if result.success else "red"
        self.console.print(
            f"[{colour}]dbt {result.command}: {'OK' if result.success else 'FAILED'}[/{colour}]"
            f" ({counts or 'no nodes'}; {result.elapsed:.1f}s) - log: {result.log_path}"
        )
        if result.error:
            self.console.print(f"[red]{result.error}[/red]")


def _result_from(command: str, outcome: DbtOutcome) -> DbtRunResult:
    nodes: list[NodeResult] = []
    raw = outcome.result
    elapsed = float(getattr(raw, "elapsed_time", 0.0) or 0.0)
    for item in getattr(raw, "results", None) or []:
        node = item.node
        nodes.append(
            NodeResult(
                unique_id=str(node.unique_id),
                name=str(node.name),
                resource_type=str(node.resource_type),
                status=str(item.status),
                execution_time=float(item.execution_time or 0.0),
                message=item.message,
                relation=getattr(node, "relation_name", None),
            )
        )
    error = None if outcome.error is None else f"dbt {command} stopped: {outcome.error}"
    return DbtRunResult(
        command=command,
        success=outcome.success,
        nodes=nodes,
        log_path=outcome.log_file,
        error=error,
        elapsed=elapsed,
    )
