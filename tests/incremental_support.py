"""The oracle of incremental evaluation: a warm check must find exactly what a full one does.

`reuse_against_full` evaluates a project once (what a first check stores), then the edited
project twice: reusing the stored findings, and from nothing (`evaluate_context`). The two
results must be equal; it returns how many relations the warm evaluation re-ran.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from floe_ci.governance.evaluate import (
    CheckOptions,
    build_context,
    evaluate_context,
    evaluate_reusing,
)
from floe_ci.governance.rules.base import ColumnLineage, RuleContext

OPTIONS = CheckOptions(config_file="floe.yaml")
PROJECT_KEY = "test"


def same_files(file: str) -> str:
    return "unchanged"


def context_of(
    ctx: RuleContext, manifest: Mapping[str, Any], lineage: ColumnLineage | None = None
) -> RuleContext:
    """`ctx` rebuilt on another manifest (and lineage), with the same floe.yaml and files."""
    return build_context(
        ctx.spec,
        manifest,
        lineage if lineage is not None else ctx.lineage,
        OPTIONS,
        ctx.locate_column,
        ctx.locate_spec,
        package_roots=ctx.package_roots,
    )


def reuse_against_full(before: RuleContext, after: RuleContext) -> int:
    """Relations re-evaluated after the edit; asserts the warm result equals a full one."""
    _, first = evaluate_reusing(before, OPTIONS, PROJECT_KEY, {}, same_files)
    warm, done = evaluate_reusing(after, OPTIONS, PROJECT_KEY, first.relations, same_files)
    full = evaluate_context(after, OPTIONS)
    assert [f.model_dump() for f in warm.findings] == [f.model_dump() for f in full.findings]
    assert warm == full
    return done.evaluated


def edited(manifest: Mapping[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A deep copy of the manifest with `edit` applied."""
    changed = copy.deepcopy(dict(manifest))
    edit(changed)
    return changed


def set_floe(
    manifest: dict[str, Any], node_id: str, column: str, floe: dict[str, Any] | None
) -> None:
    """Set (or, with None, remove) a column's `floe` meta where dbt writes it: in the
    column's `meta` and `config.meta`; the column is added when the node has none."""
    section = "sources" if node_id.startswith("source.") else "nodes"
    columns = manifest[section][node_id].setdefault("columns", {})
    entry = columns.setdefault(column, {"name": column, "meta": {}, "config": {"meta": {}}})
    for meta in (
        entry.setdefault("meta", {}),
        entry.setdefault("config", {}).setdefault("meta", {}),
    ):
        if floe is None:
            meta.pop("floe", None)
        else:
            meta["floe"] = floe
