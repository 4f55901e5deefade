"""Compile again the models that read the columns of relations the warehouse lacks.

A model whose macro reads a relation's columns at compile time (Fivetran's
`fill_staging_columns`, `dbt_utils.star`) compiles to NULL columns, or none, when that
relation is not built in the warehouse it compiles against (a model that failed to build
there, or was never run). compiled_sql.py holds such models back (FLOE302 names the
relation); once the lineage knows the output columns of the relations they read, this
compiles them once more, in-process, with `adapter.get_columns_in_relation` answering those
relations from the lineage and the others from the warehouse. Rounds repeat while they
resolve something (a chain of such models), at most MAX_ROUNDS.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from floe_ci.dbt_manifest import Manifest
from floe_ci.fsutil import ensure_folder
from floe_ci.integrations.dbt.compile_job import compile_in_process
from floe_ci.integrations.dbt.compiled_sql import CompiledSql, Warehouse, relation_key, selector
from floe_ci.integrations.dbt.parse import write_parse_profile
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.integrations.dbt.runner import DbtInvocation, parsed_in_process

MAX_ROUNDS = 3


def compile_unbuilt(
    view: Manifest,
    project: DbtProject,
    work_dir: Path,
    compiled: CompiledSql,
    warehouse: Warehouse,
    columns_of: Callable[[str], list[str] | None],
) -> dict[str, tuple[str, str]]:
    """(fingerprint, SQL) by unique_id of the held-back models whose missing relations the
    lineage knows the columns of (`columns_of`), compiled with those columns."""
    ready: dict[str, str] = {}
    answers: dict[str, list[list[str]]] = {}
    for uid, (fingerprint, absent) in sorted(compiled.unbuilt.items()):
        known = {parent: columns_of(parent) for parent in absent}
        if all(known.values()):
            ready[uid] = fingerprint
            for parent, names in known.items():
                relation = view.node(parent)
                if relation is not None and names:
                    answers[relation_key(relation)] = [[name, ""] for name in names]
    if not ready:
        return {}
    target_dir = ensure_folder(work_dir / "dbt-compile-unbuilt", "dbt's compiled SQL")
    if warehouse.target is not None:
        profiles_dir, target = warehouse.profiles_dir or project.path, warehouse.target
        answers = {**answers}  # the others: the user's warehouse answers
    else:  # catalog.json only: the in-memory DuckDB, answered from the catalog as well
        profiles_dir, target = write_parse_profile(project, work_dir), "parse"
        answers = {**(warehouse.columns or {}), **answers}
    partial = project.path / project.target_path / "partial_parse.msgpack"
    if partial.is_file():  # the parse just made: dbt skips parsing again
        shutil.copy2(partial, target_dir / "partial_parse.msgpack")
    invocation = DbtInvocation(
        "compile",
        project.path,
        profiles_dir,
        target,
        work_dir / "logs",
        target_path=target_dir,
        flags=("--no-write-json", "--no-populate-cache"),
        select=sorted({selector(view.nodes[uid]) for uid in ready}),
    )
    parsed = parsed_in_process(project.path / project.target_path)
    sql, _error, _errors = compile_in_process(invocation, answers, parsed)
    return {uid: (ready[uid], sql[uid]) for uid in ready if uid in sql}
