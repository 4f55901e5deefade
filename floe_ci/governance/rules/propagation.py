"""Rules that follow classified data through column-level lineage, edge kind by edge kind.

Each edge of the lineage says what the SQL does to the value (floe_ci.lineage's EdgeKind:
identity, rename, cast, transformation, aggregation, join, condition, test, count, hash).
That decides what reaches the derived column: the value itself (it must be classified as
strictly as its source), a masked form of it (a hash: reported at `info`), or only a derived
indicator (a null check, a test, a count, a sum of flags: reported at
`governance.derived_indicator_severity`, `info` by default).
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

from floe_ci.artifacts import ColumnClassification
from floe_ci.code_span import code
from floe_ci.governance.result import Finding, Severity
from floe_ci.governance.rules.base import ColumnRefLike, Rule, RuleContext, register
from floe_ci.governance.vocabulary import DEFAULT_SENSITIVITY, SENSITIVITY_RANK

# How many unresolved columns one finding lists before summarizing.
_MAX_LISTED = 8

# What reaches a derived column of a classified one: the value, a masked form, an indicator.
CARRIED = "carried"
MASKED = "masked"
INDICATOR = "indicator"
# By edge kind (floe_ci.lineage.column_refs.EdgeKind, named here: governance reads lineage
# only through protocols). A kind not listed carries the value: never under-report.
EDGE_FORMS: dict[str, str] = {
    "identity": CARRIED,
    "rename": CARRIED,
    "cast": CARRIED,
    "transformation": CARRIED,
    "aggregation": CARRIED,
    "join": CARRIED,
    "hash": MASKED,
    "condition": INDICATOR,
    "test": INDICATOR,
    "count": INDICATOR,
}
_FORM_STRENGTH = {INDICATOR: 0, MASKED: 1, CARRIED: 2}
_SILENT_KINDS = frozenset(("identity", "rename"))  # the path shows them


@dataclass(frozen=True)
class Inherited:
    """The strictest classification a column receives from its sources, and from where."""

    classification: ColumnClassification
    path: tuple[str, ...]  # `model.column` steps, classified origin first, this column last
    form: str = CARRIED  # CARRIED, MASKED or INDICATOR: what of the value reaches the column
    # What the steps that changed the value did, origin first ("cast to date", ...).
    how: tuple[str, ...] = ()


class EdgeLike(Protocol):
    """One edge of column lineage (floe_ci.lineage.Edge satisfies it)."""

    @property
    def ref(self) -> ColumnRefLike: ...

    @property
    def kind(self) -> str: ...

    @property
    def detail(self) -> str: ...


class _OriginLike(Protocol):
    @property
    def edges(self) -> Sequence[EdgeLike]: ...


@runtime_checkable
class EdgeLineage(Protocol):
    """Lineage that knows its edges' kinds (floe_ci.lineage.ColumnLineage does)."""

    def origin(self, node_id: str, column: str) -> _OriginLike | None: ...


class _Copy(NamedTuple):
    """An edge of lineage that knows no kinds: taken as the value itself."""

    ref: ColumnRefLike
    kind: str = "identity"
    detail: str = ""


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


def _edges_by_column(
    ctx: RuleContext, node_id: str, columns: Sequence[str]
) -> Mapping[str, Sequence[EdgeLike]]:
    """Each column's edges, one step up (identity edges when the lineage knows no kinds)."""
    lineage = ctx.lineage
    if isinstance(lineage, EdgeLineage):
        edges: dict[str, Sequence[EdgeLike]] = {}
        for key in columns:
            origin = lineage.origin(node_id, key)
            if origin is not None:
                edges[key] = origin.edges
        return edges
    if lineage is None:
        return {}
    upstream = lineage.upstream_by_column(node_id)  # one call, not one per column
    return {key: [_Copy(ref) for ref in refs] for key, refs in upstream.items()}


def inherited_classifications(ctx: RuleContext) -> dict[tuple[str, str], Inherited]:
    """(node_id, lower-case column) -> what the column inherits through lineage.

    Models are visited parents first, so each column looks one step up and takes the
    strictest of its sources' own classification or their inheritance, through the edge
    between them: the value itself beats a masked form, which beats an indicator, then the
    higher sensitivity wins.
    """
    cached = ctx.cache.get("inherited")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    result: dict[tuple[str, str], Inherited] = {}
    models = ctx.models
    # Models holding classified data, declared or inherited: a model none of whose parents
    # is one cannot inherit anything, so its lineage is not even looked at.
    carrying = {
        node_id
        for node_id, model in ctx.models.items()
        if any(c.classification is not None for c in model.columns.values())
    }
    if ctx.lineage is not None:
        for node_id in topological_order(ctx):
            model = ctx.models[node_id]
            if not any(parent in carrying for parent in model.parents):
                continue
            edges_of = _edges_by_column(ctx, node_id, list(model.columns))
            for key, column in model.columns.items():
                # The strongest source so far (first wins a tie); no objects made until
                # one is chosen.
                best: tuple[int, int] = (-1, -1)
                chosen: Inherited | None = None
                for edge in edges_of.get(key, ()):
                    ref = edge.ref
                    parent = models.get(ref.node_id)
                    if parent is None:
                        continue  # a seed or source: classifications live on models
                    parent_key = ref.column.lower()
                    form = EDGE_FORMS.get(edge.kind, CARRIED)
                    facts = parent.columns.get(parent_key)
                    if facts is not None and facts.classification is not None:
                        score = (_FORM_STRENGTH[form], rank(facts.classification))
                        if score > best:
                            best = score
                            chosen = Inherited(
                                facts.classification,
                                (f"{parent.name}.{facts.name}",),
                                form,
                                _step(edge),
                            )
                    upstream = result.get((ref.node_id, parent_key))
                    if upstream is not None:
                        through = min(form, upstream.form, key=_FORM_STRENGTH.__getitem__)
                        score = (_FORM_STRENGTH[through], rank(upstream.classification))
                        if score > best:
                            best = score
                            chosen = Inherited(
                                upstream.classification,
                                upstream.path,
                                through,
                                upstream.how + _step(edge),
                            )
                if chosen is not None:
                    step = f"{model.name}.{column.name}"
                    result[(node_id, key)] = Inherited(
                        chosen.classification, (*chosen.path, step), chosen.form, chosen.how
                    )
                    carrying.add(node_id)
    ctx.cache["inherited"] = result
    return result


def _step(edge: EdgeLike) -> tuple[str, ...]:
    """What an edge did to the value, for a finding; nothing for identity and renames."""
    return () if edge.kind in _SILENT_KINDS or not edge.detail else (edge.detail,)


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
    joins, renames and `select *`) and follows classified columns downstream, edge by edge,
    by what the SQL does to the value. A column that carries the value (a copy, a rename, a
    cast, a string or date function, an aggregate such as `max()`, or the other side of an
    equality join: `cal.full_date` after `on elig.birth_date = cal.full_date`) must itself
    carry a classification whose `sensitivity` is at least the source's; otherwise the
    personal data leaves its policy under a new name (error). A hash or mask of it (`md5()`,
    `sha2()`, ...) holds its masked form, and a null check, a boolean test, a yes/no category,
    a count or a sum of flags only a derived indicator: unclassified, these are reported at
    `info` (`governance.derived_indicator_severity` in floe.yaml sets the indicators'
    severity). The finding shows the path and what changed the value, e.g.
    `stg_customers.email -> customers.contact_email`, "derived by count()".

    Fix: classify the derived column in its properties YAML. If the transformation really
    removes the personal data (a count, a one-way aggregate), waive FLOE301 for the column
    with a reason.
    """

    id = "FLOE301"
    name = "classification-not-propagated"
    severity = "error"
    scope = "relation"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        inherited = inherited_classifications(ctx)
        indicator_severity: Severity = ctx.spec.governance.derived_indicator_severity
        for (node_id, key), origin in sorted(inherited.items()):
            model = ctx.models[node_id]
            column = model.columns[key]
            source = origin.classification
            own = column.classification
            if origin.form != CARRIED and own is not None:
                continue  # masked or an indicator: any classification is a decision taken
            if own is not None and rank(own) >= rank(source):
                continue
            path = " -> ".join(origin.path)
            how = ", then ".join(origin.how)
            level = source.sensitivity if source.sensitivity in SENSITIVITY_RANK else "high"
            pii_type = f", pii_type: {source.pii_type}" if source.pii_type else ""
            wanted = f"classification: {source.classification}{pii_type}, sensitivity: {level}"
            named = code(model.name, column.name)
            described = (
                f"{code(origin.path[0])} ({code(source.classification)}, sensitivity "
                f"{code(source.sensitivity)})"
            )
            if origin.form == MASKED:
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{named} holds the masked form of {described}: masked "
                    f"{code(source.classification)} ({how}); path: {path}",
                    "a hash still links rows to one person: classify it as the masked form, "
                    f"e.g. `meta: {{floe: {{classification: {source.classification}{pii_type}, "
                    f"sensitivity: low}}}}`, or waive {self.id} with a reason",
                    lineage_path=origin.path,
                    severity="info",
                )
                continue
            if origin.form == INDICATOR:
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{named} is a derived indicator of {described}: {how}; path: {path}",
                    "it tells a fact about the value, not the value: classify it if that fact "
                    f"is sensitive too, or waive {self.id} with a reason "
                    "(`governance.derived_indicator_severity` sets how this is reported)",
                    lineage_path=origin.path,
                    severity=indicator_severity,
                )
                continue
            if own is None:
                problem = "carries no classification"
            else:
                problem = (
                    f"is classified {code(own.classification)} with sensitivity "
                    f"{code(own.sensitivity)}, weaker than its source"
                )
            yield self.column_finding(
                ctx,
                model,
                column.name,
                f"{named} is derived from {described} but {problem}; path: {path}"
                + (f"; {how}" if how else ""),
                f"classify it: {code(f'meta: {{floe: {{{wanted}}}}}')}; if the data no longer "
                f"identifies anyone, waive {self.id} with a reason",
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
    scope = "relation"

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
                    f"{code(model.name)}: column lineage could not be resolved ({whole}); "
                    "classified data upstream cannot be followed through it",
                    "select columns explicitly or classify the model's columns by hand",
                )
                continue
            for column, reason in sorted(unresolved.items())[:_MAX_LISTED]:
                yield self.column_finding(
                    ctx,
                    model,
                    column,
                    f"{code(model.name, column)}: lineage could not be resolved ({reason})",
                    "select the column from a named relation, or classify it by hand and "
                    f"waive {self.id} for it with a reason",
                )
            rest = len(unresolved) - _MAX_LISTED
            if rest > 0:
                yield self.model_finding(
                    ctx,
                    model,
                    f"{code(model.name)}: {rest} more column(s) with unresolved lineage",
                    "see the columns listed above for this model",
                )
