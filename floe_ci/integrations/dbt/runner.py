"""The one way floe-ci runs dbt in-process: dbt's programmatic `dbtRunner`.

Every invocation (`dbt parse` for a review, `dbt parse` with the deployment profile,
`dbt compile` in a child process, `dbt build/run/test/seed/compile` for a run) shares the
same flags: the project and profile folders, the target, no version check, and dbt's log
written to a file (`--log-level none` keeps dbt silent on the terminal, `--log-level-file
info` keeps a log to point the user at). A `DbtInvocation` names what differs::

    from floe_ci.integrations.dbt.runner import DbtInvocation, invoke

    outcome = invoke(
        DbtInvocation("parse", project_dir, profiles_dir, "parse", log_dir),
        callbacks=[on_event],  # optional: dbt's structured events as they happen
    )
    if not outcome.success:
        raise SomeError(outcome.error or outcome.last_log_error())

dbt is imported inside `invoke`: it costs about 1.5 s, and most commands never run it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from floe_ci.errors import FloeUsageError

# dbt phones home for version checks and usage statistics unless told not to.
OFFLINE_ENV: Mapping[str, str] = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def offline_environment() -> None:
    """Tell dbt in this process not to phone home, unless the user already chose."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


@dataclass(frozen=True)
class DbtInvocation:
    """One dbt command and the folders it works in; `args()` is dbt's argument list.

    `flags` come right after the common flags (e.g. `--no-write-json`), then `--select`,
    `--exclude` and `extra` (a caller's own arguments, passed through as given).
    """

    command: str
    project_dir: Path
    profiles_dir: Path
    target: str
    log_dir: Path
    target_path: Path | None = None  # dbt's target/ folder, when not the project's own
    flags: Sequence[str] = ()
    select: Sequence[str] = ()
    exclude: Sequence[str] = ()
    extra: Sequence[str] = ()

    def args(self) -> list[str]:
        args = [
            *self.command.split(),  # `docs generate` is two words
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            "--target",
            self.target,
        ]
        if self.target_path is not None:
            args += ["--target-path", str(self.target_path)]
        args += ["--no-version-check", *self.flags]
        args += ["--log-path", str(self.log_dir), "--log-level", "none"]
        args += ["--log-level-file", "info"]
        for flag, values in (("--select", self.select), ("--exclude", self.exclude)):
            if values:
                args += [flag, *values]
        return args + list(self.extra)

    def absolute(self) -> DbtInvocation:
        """The same invocation with absolute folders (dbt then runs in the project's)."""
        return replace(
            self,
            project_dir=self.project_dir.resolve(),
            profiles_dir=self.profiles_dir.resolve(),
            log_dir=self.log_dir.resolve(),
            target_path=None if self.target_path is None else self.target_path.resolve(),
        )

    @property
    def log_file(self) -> Path:
        return self.log_dir / "dbt.log"

    def target_folder(self) -> Path:
        """Where dbt writes its target files: `--target-path`, else dbt_target_folder."""
        if self.target_path is not None:
            return self.target_path
        return dbt_target_folder(self.project_dir)

    def to_json(self) -> dict[str, Any]:
        """The invocation as JSON values, for a child process (compile_job.py)."""
        return {
            "command": self.command,
            "project_dir": str(self.project_dir),
            "profiles_dir": str(self.profiles_dir),
            "target": self.target,
            "log_dir": str(self.log_dir),
            "target_path": None if self.target_path is None else str(self.target_path),
            "flags": list(self.flags),
            "select": list(self.select),
            "exclude": list(self.exclude),
            "extra": list(self.extra),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DbtInvocation:
        target_path = data.get("target_path")
        return cls(
            command=str(data["command"]),
            project_dir=Path(data["project_dir"]),
            profiles_dir=Path(data["profiles_dir"]),
            target=str(data["target"]),
            log_dir=Path(data["log_dir"]),
            target_path=None if target_path is None else Path(target_path),
            flags=tuple(data.get("flags") or ()),
            select=tuple(data.get("select") or ()),
            exclude=tuple(data.get("exclude") or ()),
            extra=tuple(data.get("extra") or ()),
        )


@dataclass
class DbtOutcome:
    """What `dbtRunner().invoke` returned, with the reason of a failure in words.

    `result` is dbt's own result object (a RunExecutionResult for commands that execute
    nodes, the Manifest for parse), for callers that read its nodes.
    """

    success: bool
    result: Any
    exception: BaseException | None
    log_file: Path

    @property
    def error(self) -> str | None:
        """dbt's exception message, stripped; None when dbt raised nothing."""
        return str(self.exception).strip() if self.exception is not None else None

    def last_log_error(self) -> str:
        """The last line of dbt's log that mentions an error (else its last line).

        For failures dbt reports only in its log, e.g. a parse error in a model file.
        """
        if not self.log_file.is_file():
            return "dbt reported no reason"
        text = self.log_file.read_text(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        return (errors or lines or ["dbt reported no reason"])[-1]


def confine_dbt_writes(invocation: DbtInvocation) -> None:
    """Before dbt runs: its log and target folders lead nowhere out of the project (a
    committed `target -> ~/.ssh` link would have dbt write its manifest, compiled SQL and
    partial_parse.msgpack there). floe-ci's folders are confined to the project holding
    their `.floe/`, dbt's own `target/` to the dbt project."""
    from floe_ci.confinement import confine, state_root

    log_root = state_root(invocation.log_dir) or invocation.project_dir
    confine(invocation.log_dir, log_root, "dbt's log")
    target = invocation.target_folder()
    if state_root(target) is not None:  # a folder of floe-ci's own under `.floe/`
        confine(target, None, "dbt's target files")
    else:
        confine(
            target,
            invocation.project_dir,
            "dbt's target files",
            "delete the link (`rm {link}`) so that dbt makes a folder there, or set "
            "`target-path` in dbt_project.yml to a folder inside the project",
        )


def invoke(
    invocation: DbtInvocation,
    *,
    callbacks: Sequence[Callable[[Any], None]] = (),
    release: bool = False,
    manifest: Any = None,
) -> DbtOutcome:
    """Run one dbt command in this process; a failing command returns, it does not raise.

    `callbacks` receive dbt's structured events (EventMsg) as they are fired.
    `release` closes dbt-duckdb's database afterwards (see `release_duckdb`): for runs on
    a real DuckDB file that this process or another opens next. `manifest` (the Manifest
    a `parse` in this process returned) spares dbt parsing the project again.
    """
    offline_environment()
    from dbt.cli.main import dbtRunner  # heavy (about 1.5 s): import only when running dbt

    from floe_ci.integrations.dbt.fast_artifacts import install

    install()  # manifest.json through the C JSON encoder: same bytes, faster

    from floe_ci.redaction import placeholders_in_process

    args = invocation.absolute().args()
    confine_dbt_writes(invocation)
    if not invocation.project_dir.is_dir():
        missing = FileNotFoundError(
            f"the dbt project folder {invocation.project_dir} does not exist"
        )
        return DbtOutcome(False, None, missing, invocation.log_file)
    # `dbt parse` connects to nothing: it runs on placeholders, so that nothing it writes
    # (its log, partial_parse.msgpack, the manifest) holds a secret value. (`docs generate`
    # for --compile-target connects to the user's warehouse: it needs the real values.)
    hidden = (
        placeholders_in_process() if invocation.command == "parse" else contextlib.nullcontext()
    )
    try:
        # In the project's folder, as users run dbt: a profile's relative DuckDB path
        # (`path: dev.duckdb`) means the file in the project, wherever floe-ci was started.
        with hidden, contextlib.chdir(invocation.project_dir):
            outcome = dbtRunner(manifest=manifest, callbacks=list(callbacks)).invoke(args)
    finally:
        if release:
            release_duckdb()
    return DbtOutcome(
        success=bool(outcome.success),
        result=outcome.result,
        exception=outcome.exception,
        log_file=invocation.log_file,
    )


# target folder -> the Manifest a `parse` in this process returned for it (--compile-target)
_PARSED: dict[Path, Any] = {}


def dbt_target_folder(project_dir: Path) -> Path:
    """Where dbt writes its target files without `--target-path`: DBT_TARGET_PATH, else
    the project's `target-path` (dbt_project.yml), relative to the project."""
    configured = os.environ.get("DBT_TARGET_PATH")
    if not configured:
        from floe_ci.integrations.dbt.project import read_project

        try:
            configured = read_project(project_dir, str(project_dir)).target_path
        except FloeUsageError:  # dbt reports a project it cannot read itself
            configured = "target"
    return project_dir / configured


def remember_parse(target_path: Path, manifest: Any) -> None:
    """Keep the Manifest of a parse in this process, for later commands on the same
    project and target (they then skip dbt's parse: `invoke(..., manifest=...)`)."""
    if manifest is not None:
        _PARSED[target_path.resolve()] = manifest


def parsed_in_process(target_path: Path) -> Any | None:
    return _PARSED.get(target_path.resolve())


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open after an in-process run.

    dbt-duckdb holds one database instance per process (a class attribute) beyond the end of
    the invocation; while it is open, the file stays locked against other processes and
    cannot be opened here with another configuration (e.g. read-only).
    """
    module = sys.modules.get("dbt.adapters.duckdb.connections")
    manager = getattr(module, "DuckDBConnectionManager", None) if module else None
    if manager is None:
        return  # dbt-duckdb never loaded: nothing is open
    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None
