"""Rules that follow classified data through column-level lineage."""

from __future__ import annotations

import graphlib
from collections.abc import Iterator
from dataclasses import dataclass

from floe_ci.artifacts import ColumnClassification
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import Rule, RuleContext, register
from floe_ci.governance.vocabulary import DEFAULT_SENSITIVITY, SENSITIVITY_RANK

# How many unresolved columns one finding lists before summarizing.
_MAX_LISTED = 8


@dataclass(frozen=True)
class Inherited:
    """The strictest classification a column receives from its sources, and from where."""

    classification: ColumnClassification
    path: tuple[str, ...]  # `model.column` steps, classified origin first, this column last


def rank(classification: ColumnClassification) -> int:
    default = SENSITIVITY_RANK[DEFAULT_SENSITIVITY]
    return SENSITIVITY_RANK.get(classification.sensitivity, default)


def topological_order(ctx: RuleContext) -> list[str]:
    """Models, parents before children (computed once per check)."""
    cached = ctx.cache.get("topological_order")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    graph = {nid: [p for p in m.parents if p in ctx.models] for nid, m in ctx.models.items()}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:  # dbt refuses cycles; never fail a check on one anyway
        order = sorted(graph)
    ctx.cache["topological_order"] = order
    return order


def inherited_classifications(ctx: RuleContext) -> dict[tuple[str, str], Inherited]:
    """(node_id, lower-case column) -> what the column inherits through lineage.

    Models are visited parents first, so each column looks one step up and takes the
    strictest of its sources' own classification or their inheritance.
    """
    cached = ctx.cache.get("inherited")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    result: dict[tuple[str, str], Inherited] = {}
    lineage = ctx.lineage
    models = ctx.models
    # Models holding classified data, declared or inherited: a model none of whose parents
    # is one cannot inherit anything, so its lineage is not even looked at.
    carrying = {
        node_id
        for node_id, model in ctx.models.items()
        if any(c.classification is not None for c in model.columns.values())
    }
    if lineage is not None:
        for node_id in topological_order(ctx):
            model = ctx.models[node_id]
            if not any(parent in carrying for parent in model.parents):
                continue
            upstream_of = lineage.upstream_by_column(node_id)  # one call, not one per column
            for key, column in model.columns.items():
                # The strictest source so far (first wins a tie): a parent column's own
                # classification or what that parent column inherits; no objects made
                # until one is chosen.
                best: ColumnClassification | None = None
                best_rank = -1
                best_path: tuple[str, ...] = ()
                for ref in upstream_of.get(key, ()):
                    parent_id = ref.node_id
                    parent = models.get(parent_id)
                    if parent is None:
                        continue  # a seed or source: classifications live on models
                    parent_key = ref.column.lower()
                    facts = parent.columns.get(parent_key)
                    if facts is not None and facts.classification is not None:
                        own_rank = rank(facts.classification)
                        if best is None or own_rank > best_rank:
                            best, best_rank = facts.classification, own_rank
                            best_path = (f"{parent.name}.{facts.name}",)
                    upstream = result.get((parent_id, parent_key))
                    if upstream is not None:
                        up_rank = rank(upstream.classification)
                        if best is None or up_rank > best_rank:
                            best, best_rank, best_path = (
                                upstream.classification,
                                up_rank,
                                upstream.path,
                            )
                if best is not None:
                    step = f"{model.name}.{column.name}"
                    result[(node_id, key)] = Inherited(best, (*best_path, step))
                    carrying.add(node_id)
    ctx.cache["inherited"] = result
    return result


def classified_ancestors(ctx: RuleContext) -> set[str]:
    """Models with at least one classified column somewhere upstream."""
    tainted: set[str] = set()
    for node_id in topological_order(ctx):
        for parent_id in ctx.models[node_id].parents:
            parent = ctx.models.get(parent_id)
            if parent is None:
                continue
            if parent_id in tainted or any(
                c.classification is not None for c in parent.columns.values()
            ):
                tainted.add(node_id)
                break
    return tainted


@register
class ClassificationNotPropagated(Rule):
    """A column derived from a classified column is not classified at least as strictly.

    floe-ci computes column-level lineage from each model's compiled SQL (through CTEs,
    joins, renames and `select *`) and follows classified columns downstream. A column
    computed from a classified column must itself carry a classification whose
    `sensitivity` is at least the source's; otherwise the personal data leaves its policy
    under a new name. The finding shows the path, e.g.
    `stg_customers.email -> customers.contact_email`.

    Fix: classify the derived column in its properties YAML. If the transformation really
    removes the personal data (a count, a one-way aggregate), waive FLOE301 for the column
    with a reason.
    """

    id = "FLOE301"
    name = "classification-not-propagated"
    severity = "error"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        inherited = inherited_classifications(ctx)
        for (node_id, key), origin in sorted(inherited.items()):
            model = ctx.models[node_id]
            column = model.columns[key]
            source = origin.classification
            own = column.classification
            if own is not None and rank(own) >= rank(source):
                continue
            path = " -> ".join(origin.path)
            level = source.sensitivity if source.sensitivity in SENSITIVITY_RANK else "high"
            wanted = (
                f"classification: {source.classification}"
                + (f", pii_type: {source.pii_type}" if source.pii_type else "")
                + f", sensitivity: {level}"
            )
            if own is None:
                problem = "carries no classification"
            else:
                problem = (
                    f"is classified `{own.classification}` with sensitivity "
                    f"`{own.sensitivity}`, weaker than its source"
                )
            yield self.column_finding(
                ctx,
                model,
                column.name,
                f"`{model.name}.{column.name}` is derived from `{origin.path[0]}` "
                f"(`{source.classification}`, sensitivity `{source.sensitivity}`) but "
                f"{problem}; path: {path}",
                f"classify it: `meta: {{floe: {{{wanted}}}}}`; if the data no longer identifies "
                f"anyone, waive {self.id} with a reason",
                lineage_path=origin.path,
            )


@register
class UnresolvedLineage(Rule):
    """The lineage of columns downstream of classified data could not be resolved.

    When a model's SQL cannot be analysed (a Python model, SQL sqlglot cannot parse, a
    `select *` from a relation whose columns are unknown), floe-ci does not guess: it says
    which columns it could not follow. Reported only for models with classified data
    upstream, because only there can classified data escape unseen.

    Fix: declare the model's columns in its properties YAML, select columns explicitly,
    or classify the columns by hand and waive FLOE302 for them with a reason.
    """

    id = "FLOE302"
    name = "unresolved-lineage"
    severity = "warning"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        lineage = ctx.lineage
        if lineage is None:
            return
        for node_id in sorted(classified_ancestors(ctx)):
            unresolved = dict(lineage.unresolved(node_id))
            if not unresolved:
                continue
            model = ctx.models[node_id]
            whole = lineage.model_error(node_id) or unresolved.pop("*", None)
            if whole is not None:
                yield self.model_finding(
                    ctx,
                    model,
                    f"`{model.name}`: column lineage could not be resolved ({whole}); "
                    "classified data upstream cannot be followed through it",
                    "select columns explicitly or classify the model's columns by hand",
                )
                continue
            for column, reason in sorted(unresolved.items())[:_MAX_LISTED]:
                yield self.column_finding(
                    ctx,
                    model,
                    column,
                    f"`{model.name}.{column}`: lineage could not be resolved ({reason})",
                    "select the column from a named relation, or classify it by hand and "
                    f"waive {self.id} for it with a reason",
                )
            rest = len(unresolved) - _MAX_LISTED
            if rest > 0:
                yield self.model_finding(
                    ctx,
                    model,
                    f"`{model.name}`: {rest} more column(s) with unresolved lineage",
                    "see the columns listed above for this model",
                )
