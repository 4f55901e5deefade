"""Per-model changes between base and head: SQL, config, materialization and columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from floe_ci.dbt_manifest import ManifestNode
from floe_ci.governance.rules.base import ModelFacts
from floe_ci.plan.changes import Category, ColumnChange, ModelChange
from floe_ci.plan.snapshot import PipelineSnapshot


def diff_models(base: PipelineSnapshot, head: PipelineSnapshot) -> list[ModelChange]:
    changes = []
    for node_id in sorted(set(base.models) | set(head.models)):
        before, after = base.models.get(node_id), head.models.get(node_id)
        if before is None and after is not None:
            changes.append(_added(after, head))
        elif after is None and before is not None:
            changes.append(_removed(before, base))
        elif before is not None and after is not None:
            change = _modified(before, after, base, head)
            if change is not None:
                changes.append(change)
    return changes


def _added(model: ModelFacts, head: PipelineSnapshot) -> ModelChange:
    return ModelChange(
        name=model.name,
        node_id=model.node_id,
        kind="added",
        category="non_breaking",
        materialization=ManifestNode(model.node).materialized,
        columns=[
            ColumnChange(
                column=c.name, kind="added", category="non_breaking", after_type=c.data_type
            )
            for c in head.schema(model).values()
        ],
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
    before: ModelFacts, after: ModelFacts, base: PipelineSnapshot, head: PipelineSnapshot
) -> ModelChange | None:
    old, new = ManifestNode(before.node), ManifestNode(after.node)
    reasons = []
    if old.checksum != new.checksum:
        reasons.append("sql")
    if old.materialized != new.materialized:
        reasons.append("materialization")
    if _config(old.config) != _config(new.config):
        reasons.append("config")
    columns = diff_columns(before, after, base, head)
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
        **impact,
    )


def diff_columns(
    before: ModelFacts, after: ModelFacts, base: PipelineSnapshot, head: PipelineSnapshot
) -> list[ColumnChange]:
    old_columns, new_columns = base.schema(before), head.schema(after)
    removed = sorted(set(old_columns) - set(new_columns))
    added = sorted(set(new_columns) - set(old_columns))
    renames = _renames(before.node_id, removed, added, base, head)
    changes: list[ColumnChange] = []
    for old, new in sorted(renames.items()):
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
        if key not in renames:
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
        if key not in renames.values():
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
) -> dict[str, str]:
    """Removed -> added column pairs that lineage shows are the same value under a new name."""
    if base.context.lineage is None or head.context.lineage is None:
        return {}
    renames: dict[str, str] = {}
    for old in removed:
        old_sources = base.sources(node_id, old)
        if not old_sources:
            continue
        matches = [
            new
            for new in added
            if new not in renames.values() and head.sources(node_id, new) == old_sources
        ]
        if len(matches) == 1:  # ambiguous matches are reported as remove + add
            renames[old] = matches[0]
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
