"""Per-model changes between base and head: SQL, config, materialization and columns.

Two rules keep the column changes honest on real projects:
- a model whose lineage is unresolved (in base or head) has only its declared YAML columns,
  which lag behind its SQL (a column that just gained documentation is not new): the model
  is marked `declared_columns` and no column is reported added, removed or renamed on that
  basis alone;
- a rename is followed downstream: models are compared parents first, and a child column
  that passes on a column renamed in this change under its new name is the same rename,
  reported once, at its origin, with the chain of `model.column` it went through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from floe_ci.dbt_manifest import ManifestNode
from floe_ci.governance.rules.base import ModelFacts
from floe_ci.plan.changes import Category, ColumnChange, ModelChange
from floe_ci.plan.snapshot import PipelineSnapshot

Column = tuple[str, str]  # (node_id, lower-case column name)


@dataclass
class RenameTracker:
    """The renames found so far (parents first), and which of them follow an upstream one."""

    new_name: dict[Column, str] = field(default_factory=dict)  # (node, old) -> new column
    shown_as: dict[Column, str] = field(default_factory=dict)  # (node, old) -> "model.new"
    follows: dict[Column, Column] = field(default_factory=dict)  # (child, old) -> upstream

    def origin(self, column: Column) -> Column:
        while column in self.follows:
            column = self.follows[column]
        return column

    def chains(self) -> dict[Column, list[str]]:
        """Each origin rename -> the `model.column` that carry it on, parents first."""
        chains: dict[Column, list[str]] = {}
        for follower in self.follows:  # insertion order is parents first
            chains.setdefault(self.origin(follower), []).append(self.shown_as[follower])
        return chains


def diff_models(base: PipelineSnapshot, head: PipelineSnapshot) -> list[ModelChange]:
    renames = RenameTracker()
    changes: dict[str, ModelChange] = {}
    for node_id in _parents_first(base, head):
        before, after = base.models.get(node_id), head.models.get(node_id)
        if before is None and after is not None:
            changes[node_id] = _added(after, head)
        elif after is None and before is not None:
            changes[node_id] = _removed(before, base)
        elif before is not None and after is not None:
            change = _modified(before, after, base, head, renames)
            if change is not None:
                changes[node_id] = change
    chains = renames.chains()
    collapsed = (_collapse_followed(changes[n], renames, chains) for n in sorted(changes))
    return [change for change in collapsed if change is not None]


def _parents_first(base: PipelineSnapshot, head: PipelineSnapshot) -> list[str]:
    """Every model of base and head, each after the models it reads (head's DAG first)."""
    ids = sorted(set(base.models) | set(head.models))
    known = set(ids)
    graph: dict[str, list[str]] = {}
    for node_id in ids:
        model = head.models.get(node_id) or base.models[node_id]
        graph[node_id] = [p for p in model.parents if p in known]
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError:  # base and head disagree on an edge's direction: order does not matter
        return ids


def _collapse_followed(
    change: ModelChange, renames: RenameTracker, chains: dict[Column, list[str]]
) -> ModelChange | None:
    """Drop the renames that only follow an upstream one; give origins their chain."""
    columns = []
    for column in change.columns:
        key = (change.node_id, (column.renamed_from or "").lower())
        if column.kind != "renamed":
            columns.append(column)
        elif key in renames.follows:
            continue
        elif key in chains:
            columns.append(column.model_copy(update={"renamed_downstream": chains[key]}))
        else:
            columns.append(column)
    if columns == change.columns:
        return change
    reasons = [r for r in change.reasons if r != "columns" or columns]
    if not reasons:  # a `select *` that only carries the rename on: shown in the chain
        return None
    breaking = any(c.category == "breaking" for c in columns)
    category: Category = "breaking" if breaking else "non_breaking"
    return change.model_copy(update={"columns": columns, "reasons": reasons, "category": category})


def _added(model: ModelFacts, head: PipelineSnapshot) -> ModelChange:
    resolved = head.resolved(model)
    columns = [
        ColumnChange(column=c.name, kind="added", category="non_breaking", after_type=c.data_type)
        for c in head.schema(model).values()
    ]
    return ModelChange(
        name=model.name,
        node_id=model.node_id,
        kind="added",
        category="non_breaking",
        materialization=ManifestNode(model.node).materialized,
        columns=columns if resolved else [],
        declared_columns=not resolved,
        **_impact(model, head, head),
    )


def _removed(model: ModelFacts, base: PipelineSnapshot) -> ModelChange:
    impact = _impact(model, base, base)
    depended_on = any(impact.values())
    return ModelChange(
        name=model.name,
        node_id=model.node_id,
        kind="removed",
        category="breaking" if depended_on else "non_breaking",
        previous_materialization=ManifestNode(model.node).materialized,
        **impact,
    )


def _modified(
    before: ModelFacts,
    after: ModelFacts,
    base: PipelineSnapshot,
    head: PipelineSnapshot,
    renames: RenameTracker,
) -> ModelChange | None:
    old, new = ManifestNode(before.node), ManifestNode(after.node)
    reasons = []
    if old.checksum != new.checksum:
        reasons.append("sql")
    if old.materialized != new.materialized:
        reasons.append("materialization")
    if _config(old.config) != _config(new.config):
        reasons.append("config")
    declared = not (base.resolved(before) and head.resolved(after))
    columns = diff_columns(before, after, base, head, renames)
    if columns:
        reasons.append("columns")
    if not reasons:
        return None
    breaking = any(c.category == "breaking" for c in columns)
    category: Category = "breaking" if breaking else "non_breaking"
    impact = _impact(after, head, base)
    # A removed column breaks whoever read it in base, even if head no longer links them.
    users = {u.split(".", 1)[0] for c in columns for u in c.used_by}
    impact["downstream_models"] = sorted(set(impact["downstream_models"]) | users)
    return ModelChange(
        name=after.name,
        node_id=after.node_id,
        kind="modified",
        category=category,
        reasons=reasons,
        materialization=new.materialized,
        previous_materialization=old.materialized,
        columns=columns,
        declared_columns=declared,
        **impact,
    )


def diff_columns(
    before: ModelFacts,
    after: ModelFacts,
    base: PipelineSnapshot,
    head: PipelineSnapshot,
    renames: RenameTracker | None = None,
) -> list[ColumnChange]:
    """Column changes of one model. Without resolved lineage on both sides only declared
    type changes are reported: added or removed YAML entries say nothing about the SQL."""
    old_columns, new_columns = base.schema(before), head.schema(after)
    if base.resolved(before) and head.resolved(after):
        removed = sorted(set(old_columns) - set(new_columns))
        added = sorted(set(new_columns) - set(old_columns))
    else:
        removed = added = []
    tracker = renames if renames is not None else RenameTracker()
    found = _renames(before.node_id, removed, added, base, head, tracker)
    changes: list[ColumnChange] = []
    for old, new in sorted(found.items()):
        tracker.new_name[(before.node_id, old)] = new
        tracker.shown_as[(before.node_id, old)] = f"{after.name}.{new_columns[new].name}"
        changes.append(
            ColumnChange(
                column=new_columns[new].name,
                kind="renamed",
                category="breaking",
                renamed_from=old_columns[old].name,
                used_by=base.consumers(before.node_id, old),
            )
        )
    for key in removed:
        if key not in found:
            changes.append(
                ColumnChange(
                    column=old_columns[key].name,
                    kind="removed",
                    category="breaking",
                    before_type=old_columns[key].data_type,
                    used_by=base.consumers(before.node_id, key),
                )
            )
    for key in added:
        if key not in found.values():
            changes.append(
                ColumnChange(
                    column=new_columns[key].name,
                    kind="added",
                    category="non_breaking",
                    after_type=new_columns[key].data_type,
                )
            )
    for key in sorted(set(old_columns) & set(new_columns)):
        old_type, new_type = old_columns[key].data_type, new_columns[key].data_type
        if old_type and new_type and old_type.lower() != new_type.lower():
            changes.append(
                ColumnChange(
                    column=new_columns[key].name,
                    kind="type_changed",
                    category="breaking",
                    before_type=old_type,
                    after_type=new_type,
                    used_by=base.consumers(before.node_id, key),
                )
            )
    return changes


def _renames(
    node_id: str,
    removed: list[str],
    added: list[str],
    base: PipelineSnapshot,
    head: PipelineSnapshot,
    tracker: RenameTracker,
) -> dict[str, str]:
    """Removed -> added column pairs that lineage shows are the same value under a new name:
    the same upstream columns, or the upstream columns renamed earlier in this change."""
    if base.context.lineage is None or head.context.lineage is None:
        return {}
    renames: dict[str, str] = {}
    for old in removed:
        old_sources = base.sources(node_id, old)
        if not old_sources:
            continue
        carried = frozenset((n, tracker.new_name.get((n, c), c)) for n, c in old_sources)
        matches = [
            new
            for new in added
            if new not in renames.values() and head.sources(node_id, new) in (old_sources, carried)
        ]
        if len(matches) != 1:  # ambiguous matches are reported as remove + add
            continue
        renames[old] = matches[0]
        upstream = sorted(s for s in old_sources if s in tracker.new_name)
        if head.sources(node_id, matches[0]) == carried and upstream:
            tracker.follows[(node_id, old)] = upstream[0]
    return renames


def _impact(
    model: ModelFacts, graph: PipelineSnapshot, cubes_from: PipelineSnapshot
) -> dict[str, list[str]]:
    downstream = graph.downstream(model.node_id)
    models = sorted(graph.node_name(n) for n in downstream if n.startswith("model."))
    exposures = sorted(graph.node_name(n) for n in downstream if n.startswith("exposure."))
    cubes = sorted(
        name for name in {model.name, *models} if name in cubes_from.cubes or name in graph.cubes
    )
    return {"downstream_models": models, "downstream_exposures": exposures, "affected_cubes": cubes}


# Config keys that do not change what the model builds (meta is diffed per column).
_IGNORED_CONFIG = {"meta", "materialized", "docs", "tags", "description"}


def _config(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in _IGNORED_CONFIG}
