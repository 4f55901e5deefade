"""`dbt compile` of selected models, in a child process, for the models Python cannot render.

A child process because (measured at 5,000 models): dbt spends ~5 s loading its state even
for one selected model, and the objects it leaves behind slow the parent's garbage
collector for the rest of the run; in a child it runs on the second core while the parent
analyses the other models, and its memory is returned when it exits. `--no-write-json`
skips writing a 5,000-node manifest twice (~15 s): the compiled SQL is read from the run's
results instead. The child writes `{unique_id: compiled_code}`, dbt's message for each
node that failed, and an error as JSON.

With `columns` (relation -> columns, from dbt's catalog.json: `check --catalog`), the
child answers `adapter.get_columns_in_relation` from them instead of the in-memory DuckDB,
which knows no table: macros such as `dbt_utils.star` or Fivetran's `fill_staging_columns`
then compile as they would against the warehouse.

    python -m floe_ci.integrations.dbt.compile_job REQUEST.json RESPONSE.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_ci.fsutil import write_atomic
from floe_ci.integrations.dbt.runner import (
    OFFLINE_ENV,
    DbtInvocation,
    confine_dbt_writes,
    invoke,
)
from floe_ci.redaction import placeholder_environment


@dataclass
class DbtCompileJob:
    """A running `dbt compile` child; `result()` waits for it."""

    process: subprocess.Popen[bytes]
    response: Path
    log: Path

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def result(self) -> tuple[dict[str, str], str | None, dict[str, str]]:
        """(SQL by unique_id, the run's error, dbt's message by unique_id that failed)."""
        _out, err = self.process.communicate()
        try:
            data = json.loads(self.response.read_bytes())
        except (OSError, ValueError):
            tail = err.decode(errors="replace").strip().splitlines()[-3:]
            reason = "dbt compile did not finish: " + (" ".join(tail) or f"see {self.log}")
            return {}, reason, {}
        compiled = data.get("compiled") or {}
        errors = data.get("errors") or {}
        return (
            {str(k): str(v) for k, v in compiled.items()},
            data.get("error"),
            {str(k): str(v) for k, v in errors.items()},
        )


def start_dbt_compile(
    project_dir: Path,
    profiles_dir: Path,
    target_dir: Path,
    log_dir: Path,
    selectors: list[str],
    *,
    target: str = "parse",
    columns: dict[str, list[list[str]]] | None = None,
) -> DbtCompileJob:
    """Start the child; `target` names the profile's target, `columns` maps
    `schema.identifier` (lower case) to [name, type] pairs answered for that relation."""
    request = target_dir / "compile-request.json"
    response = target_dir / "compile-response.json"
    invocation = DbtInvocation(
        "compile",
        project_dir,
        profiles_dir,
        target,
        log_dir,
        target_path=target_dir,
        flags=("--no-write-json", "--no-populate-cache"),
        select=selectors,
    )
    confine_dbt_writes(invocation)  # the child's dbt writes there: checked before it starts
    response.unlink(missing_ok=True)
    write_atomic(request, json.dumps({"invocation": invocation.to_json(), "columns": columns}))
    process = subprocess.Popen(
        [sys.executable, "-m", "floe_ci.integrations.dbt.compile_job", str(request), str(response)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # On floe-ci's own in-memory profile dbt connects to nothing: placeholders for the
        # secrets, so that its log and compile folder hold none.
        env={
            **(placeholder_environment(os.environ) if target == "parse" else os.environ),
            **OFFLINE_ENV,
        },
        cwd=project_dir,  # a profile's relative DuckDB path is relative to where dbt runs
    )
    return DbtCompileJob(process, response, invocation.log_file)


@dataclass
class InProcessCompile:
    """`dbt compile` in this process on the Manifest its parse left (runner.remember_parse):
    no dbt to load and no project to parse again, where a child would do both (seconds) to
    compile the few models the in-process renderers leave. Runs when its result is asked
    for, as a child's result is waited for."""

    invocation: DbtInvocation
    manifest: Any
    log: Path

    def cancel(self) -> None:
        self.manifest = None

    def result(self) -> tuple[dict[str, str], str | None, dict[str, str]]:
        if self.manifest is None:
            return {}, "dbt compile was cancelled", {}
        restore = _answer_columns_from({}, fall_back=True)  # the warehouse answers
        try:
            data = _compile(self.invocation, self.manifest)
        finally:
            restore()
        return data["compiled"], data["error"], data["errors"]


def _compile(invocation: DbtInvocation, manifest: Any = None) -> dict[str, Any]:
    outcome = invoke(invocation, manifest=manifest)
    compiled: dict[str, str] = {}
    errors: dict[str, str] = {}
    for item in getattr(outcome.result, "results", None) or []:
        node = getattr(item, "node", None)
        code = getattr(node, "compiled_code", None)
        if node is not None and isinstance(code, str):
            compiled[str(node.unique_id)] = code
        elif node is not None and getattr(item, "message", None):
            errors[str(node.unique_id)] = " ".join(str(item.message).split())
    error = outcome.error
    if not outcome.success and error is None:
        error = "dbt compile reported failures"
    return {"compiled": compiled, "error": error, "errors": errors}


def compile_in_process(
    invocation: DbtInvocation, columns: dict[str, list[list[str]]], manifest: Any = None
) -> tuple[dict[str, str], str | None, dict[str, str]]:
    """`dbt compile` in this process with `adapter.get_columns_in_relation` answered from
    `columns` for the relations it names, from the warehouse for the others (a second,
    small compile: dbt is loaded already and reuses the parse, where a child would load
    both again). Returns what DbtCompileJob.result does."""
    restore = _answer_columns_from(columns, fall_back=True)
    try:
        data = _compile(invocation, manifest)
    finally:
        restore()
    return data["compiled"], data["error"], data["errors"]


def _answer_columns_from(
    columns: dict[str, list[list[str]]], *, fall_back: bool = False
) -> Callable[[], None]:
    """Make the adapters answer `get_columns_in_relation` from `columns`; relations not
    there get no columns, or (`fall_back`) the adapter's own answer. Returns the undo."""
    import importlib

    undo: list[Callable[[], None]] = []
    for module, name in _ADAPTERS:
        try:
            adapter = getattr(importlib.import_module(module), name)
        except ImportError:  # that adapter is not installed
            continue
        own = adapter.__dict__.get("get_columns_in_relation")
        inherited = adapter.get_columns_in_relation

        def answer(self: Any, relation: Any, _inherited: Any = inherited) -> list[Any]:
            key = f"{relation.schema}.{relation.identifier}".lower()
            if key in columns or not fall_back:
                return [self.Column.create(n, dtype or "text") for n, dtype in columns.get(key, [])]
            return list(_inherited(self, relation))

        adapter.get_columns_in_relation = answer
        undo.append(_restorer(adapter, own))

    def restore_all() -> None:
        for step in undo:
            step()

    return restore_all


_ADAPTERS = (
    ("dbt.adapters.duckdb.impl", "DuckDBAdapter"),
    ("dbt.adapters.postgres.impl", "PostgresAdapter"),
)


def _restorer(adapter: Any, own: Any) -> Callable[[], None]:
    def restore() -> None:
        if own is None:
            del adapter.get_columns_in_relation
        else:
            adapter.get_columns_in_relation = own

    return restore


def main(argv: list[str]) -> int:
    request, response = Path(argv[0]), Path(argv[1])
    data = json.loads(request.read_bytes())
    invocation = DbtInvocation.from_json(data["invocation"])
    if data.get("columns") is not None:
        _answer_columns_from(data["columns"])
    write_atomic(response, json.dumps(_compile(invocation)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
