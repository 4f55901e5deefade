"""Validate generated Cube models with Cube's own compiler (Node), and build Cube's SQL.

Needs `node` and Cube's packages (`@cubejs-backend/server` and `duckdb-driver` 1.7.x,
installed by `.ci/tools/cube.sh` into `<repo>/.tools/cube`, or anywhere named by
FLOE_CUBE_TOOLS). `validate_models.js` beside this file runs the compiler and answers JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CUBE_TOOLS_ENV = "FLOE_CUBE_TOOLS"
SCRIPT = Path(__file__).with_name("validate_models.js")
REPO_TOOLS = Path(__file__).resolve().parents[3] / ".tools" / "cube"
TIMEOUT_SECONDS = 120
_HEADERS = {"Compile errors:", "Errors:"}


@dataclass(frozen=True)
class CubeToolchain:
    node: str
    modules: Path  # the node_modules folder holding @cubejs-backend/*


@dataclass(frozen=True)
class PreAggregationCheck:
    """One pre-aggregation as Cube's compiler sees it under a tenant security context."""

    id: str  # `cube.name`
    cube: str
    name: str
    used: bool  # Cube answers the pre-aggregation's own query from it
    error: str | None = None  # Cube refused it (its refresh key, its references)
    query: dict[str, Any] | None = None  # that query, after cube.js's queryRewrite
    sql: tuple[str, list[Any]] | None = None
    table_names: tuple[str, ...] = ()
    # the statements that build it: (`CREATE TABLE <table> AS SELECT ...`, params)
    load_sql: tuple[tuple[str, list[Any]], ...] = ()


@dataclass
class CubeValidation:
    ok: bool
    errors: list[str] = field(default_factory=list)
    cubes: list[dict[str, Any]] = field(default_factory=list)
    sql: tuple[str, list[Any]] | None = None
    query: dict[str, Any] | None = None
    # cube -> members Cube shows the token (access policies applied); needs `config`
    visible: dict[str, list[str]] = field(default_factory=dict)
    pre_aggregations: list[PreAggregationCheck] = field(default_factory=list)


def find_toolchain(environ: Mapping[str, str] | None = None) -> CubeToolchain | None:
    """node + Cube's compiler, or None when either is missing."""
    env = os.environ if environ is None else environ
    node = shutil.which("node")
    base = Path(env[CUBE_TOOLS_ENV]) if env.get(CUBE_TOOLS_ENV) else REPO_TOOLS
    modules = base / "node_modules"
    if node is None or not (modules / "@cubejs-backend" / "schema-compiler").is_dir():
        return None
    return CubeToolchain(node, modules)


def missing_toolchain_hint() -> str:
    return (
        "install node and Cube's compiler with `bash .ci/tools/cube.sh` "
        f"(or set {CUBE_TOOLS_ENV} to a folder with node_modules/@cubejs-backend)"
    )


def validate_models(
    toolchain: CubeToolchain,
    model_dir: Path,
    *,
    query: Mapping[str, Any] | None = None,
    config: Path | None = None,
    security_context: Mapping[str, Any] | None = None,
    dialect: str = "duckdb",
    check_pre_aggregations: bool = False,
) -> CubeValidation:
    """Compile the models in `model_dir` as Cube does; with `query`, the SQL Cube would run.

    `config` (a cube.js) is checked with Cube's options validation and its queryRewrite is
    applied to `query` with `security_context`, as the Cube server would. With
    `check_pre_aggregations`, each pre-aggregation's refresh key and use (see
    PreAggregationCheck), in `dialect` (duckdb or postgres).
    """
    args = [toolchain.node, str(SCRIPT), str(model_dir.resolve())]
    if query is not None:
        args += ["--query", json.dumps(dict(query))]
    if config is not None:
        args += ["--config", str(config.resolve())]
    if security_context is not None:
        args += ["--security-context", json.dumps(dict(security_context))]
    args += ["--dialect", dialect]
    if check_pre_aggregations:
        args.append("--pre-aggregations")
    env = {**os.environ, "NODE_PATH": str(toolchain.modules), "CUBEJS_TELEMETRY": "false"}
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return CubeValidation(False, [f"Cube's compiler did not finish in {TIMEOUT_SECONDS}s"])
    answer = _last_json_line(done.stdout)
    if answer is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return CubeValidation(False, [f"Cube's compiler failed (exit {done.returncode}): {tail}"])
    errors = [e for e in (str(x).strip() for x in answer.get("errors", [])) if e not in _HEADERS]
    sql = answer.get("sql")
    return CubeValidation(
        ok=bool(answer.get("ok")),
        errors=errors,
        cubes=list(answer.get("cubes") or []),
        sql=(str(sql[0]), list(sql[1])) if sql else None,
        query=answer.get("query"),
        visible={str(k): [str(m) for m in v] for k, v in (answer.get("visible") or {}).items()},
        pre_aggregations=[_pre_aggregation(p) for p in answer.get("preAggregations") or []],
    )


def _pre_aggregation(entry: Mapping[str, Any]) -> PreAggregationCheck:
    sql = entry.get("sql")
    return PreAggregationCheck(
        id=str(entry["id"]),
        cube=str(entry["cube"]),
        name=str(entry["name"]),
        used=bool(entry.get("used")),
        error=str(entry["error"]) if entry.get("error") else None,
        query=entry.get("query"),
        sql=(str(sql[0]), list(sql[1])) if sql else None,
        table_names=tuple(str(t) for t in entry.get("tableNames") or []),
        load_sql=tuple((str(q[0]), list(q[1])) for q in entry.get("loadSql") or [] if q),
    )


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    """Cube prints warnings on stdout too; the answer is the last JSON line."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None
