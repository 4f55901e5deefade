"""Value objects of column lineage: what a caller of `build_column_lineage` receives.

Kept free of sqlglot and dbt so that importing them costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast, get_args

# How an output column is made from its upstream columns, as a whole:
# "copy": the value is passed through unchanged (possibly renamed or cast);
# "expression": a row-level expression (function, operator, CASE, COALESCE, ...) of them;
# "aggregate": an aggregate (count, sum, min, max, ...) over them.
Transform = Literal["copy", "expression", "aggregate"]

# What the SQL does to the value of one upstream column on its way to an output column (an
# edge of column lineage). Whether a classification follows an edge depends on it, see
# floe_ci.governance.vocabulary.EDGE_FORMS:
# "identity": the value itself, same name;       "rename": the value itself, another name;
# "cast": the value cast to another type;        "transformation": a row-level function of
#     it (lower, concat, date arithmetic, ...);  "aggregation": an aggregate that keeps
#     values (min, max, sum, string_agg, ...);   "join": not read, but equal to it on every
#     row: the other side of an equality join (`on a.x = b.y` carries a.x into b.y);
# "condition": read only to choose a branch (CASE WHEN, IF); "test": reduced to a boolean
#     (`x is null`, `x > 5`); "count": counted (count(x), count(distinct x));
# "hash": hashed or masked by a recognised function (md5, sha2, farm_fingerprint, mask...).
EdgeKind = Literal[
    "identity",
    "rename",
    "cast",
    "transformation",
    "aggregation",
    "join",
    "condition",
    "test",
    "count",
    "hash",
]
EDGE_KINDS: tuple[EdgeKind, ...] = get_args(EdgeKind)

# Each edge kind in OpenLineage's column-lineage vocabulary: (type, subtype, masking).
OPENLINEAGE_KINDS: dict[EdgeKind, tuple[str, str, bool]] = {
    "identity": ("DIRECT", "IDENTITY", False),
    "rename": ("DIRECT", "IDENTITY", False),
    "cast": ("DIRECT", "TRANSFORMATION", False),
    "transformation": ("DIRECT", "TRANSFORMATION", False),
    "aggregation": ("DIRECT", "AGGREGATION", False),
    "join": ("INDIRECT", "JOIN", False),
    "condition": ("INDIRECT", "CONDITIONAL", True),
    "test": ("DIRECT", "TRANSFORMATION", True),
    "count": ("DIRECT", "AGGREGATION", True),
    "hash": ("DIRECT", "TRANSFORMATION", True),
}

# The edge kind of an edge stored without one (older callers build SqlColumns by transform).
_DEFAULT_KIND: dict[str, EdgeKind] = {
    "copy": "identity",
    "expression": "transformation",
    "aggregate": "aggregation",
}


class ColumnRef(NamedTuple):
    """One column of one dbt node (model, seed, snapshot or source).

    `node_id` is the manifest's unique_id; `column` is lower-cased (SQL identifiers in the
    warehouses dbt targets compare case-insensitively unless quoted). A NamedTuple: tens of
    thousands are made per project, and tuples are the cheapest hashable value to make.
    """

    node_id: str
    model_name: str
    column: str

    def __str__(self) -> str:
        return f"{self.model_name}.{self.column}"


class Edge(NamedTuple):
    """One upstream column of an output column, and what the SQL does to its value."""

    ref: ColumnRef
    kind: EdgeKind
    # The kind in words, for findings: "cast to date", "derived by count()", "carried
    # through the join on a.x = b.y"; "" for identity.
    detail: str


class _OriginFields(NamedTuple):
    column: str
    # The upstream columns, then the columns only carried into it through an equality join.
    sources: tuple[ColumnRef, ...]
    # The transform as the lineage cache stores it (see SqlColumn.transform).
    stored: Any
    # Why (part of) this column's lineage could not be resolved; None when fully resolved.
    # Resolved upstream columns are kept even when another part is unresolved.
    unresolved: str | None = None


class ColumnOrigin(_OriginFields):
    """Lineage of one output column of one model: `upstream`, `transform`, `edges`.

    Made from the lineage cache's stored form (`ColumnLineage` does it), read through the
    properties: `upstream` (the columns read), `transform` ("copy" | "expression" |
    "aggregate", for the column as a whole) and `edges` (each source column with its
    `EdgeKind`, those carried through joins included).
    """

    __slots__ = ()

    @property
    def upstream(self) -> tuple[ColumnRef, ...]:
        """The columns read to compute this one (not those only carried through a join)."""
        carried = _carried(self.stored, len(self.sources))
        return self.sources[: len(self.sources) - carried] if carried else self.sources

    @property
    def transform(self) -> Transform:
        stored = self.stored
        return cast(Transform, stored if isinstance(stored, str) else stored[0])

    @property
    def edges(self) -> tuple[Edge, ...]:
        """Every source column with its edge kind: `upstream`, then those carried."""
        stored = self.stored
        refs = self.sources
        if isinstance(stored, str):
            kind = _DEFAULT_KIND.get(stored, "transformation")
            return tuple(self._edge(ref, kind, "") for ref in refs)
        pairs = [(stored[i], stored[i + 1]) for i in range(2, len(stored) - 1, 2)]
        if len(pairs) != len(refs):
            # Sources of relations that are no dbt node were dropped, so the stored kinds no
            # longer line up: give every edge the kind that carries the most.
            strongest = max(
                pairs,
                key=lambda pair: EDGE_STRENGTH.get(pair[0], 0),
                default=(_DEFAULT_KIND.get(stored[0], "transformation"), ""),
            )
            return tuple(self._edge(ref, *strongest) for ref in refs)
        return tuple(self._edge(ref, *pair) for ref, pair in zip(refs, pairs, strict=True))

    def _edge(self, ref: ColumnRef, kind: EdgeKind, detail: str) -> Edge:
        if kind == "identity" and ref.column != self.column:
            return Edge(ref, "rename", f"renamed from {ref.column}")
        return Edge(ref, kind, detail)


# How much of the value an edge keeps, for combining edges (CTEs, joins, subqueries): the
# edges through two steps are the weaker step's, and a source read twice keeps the stronger.
EDGE_STRENGTH: dict[str, int] = {
    "condition": 0,
    "test": 0,
    "count": 0,
    "hash": 1,
    "join": 2,
    "aggregation": 3,
    "transformation": 4,
    "cast": 5,
    "rename": 6,
    "identity": 6,
}


def _carried(stored: Any, sources: int) -> int:
    """How many of `sources` are carried through joins (0 when the stored kinds are off)."""
    if isinstance(stored, str) or len(stored) != 2 + 2 * sources:
        return 0
    return int(stored[1])


@dataclass(frozen=True)
class LineageStats:
    """What one `build_column_lineage` call did: for reports and the benchmark."""

    models: int
    analysed: int
    cache_hits: int
    unresolved_columns: int  # a model whose SQL gave no columns counts once
    failed_models: int
    compiled_sql_rendered: int
    compiled_sql_from_manifest: int
    compiled_sql_from_dbt: int
    compiled_sql_cached: int
    compiled_sql_jinja: int = 0  # rendered with Jinja in-process (macros, loops, vars)
    compiled_sql_reused: int = 0  # plain models whose SQL digest came from the cache
    # of the Jinja ones, those rendered in dbt's context with the catalog's answers
    compiled_sql_with_catalog: int = 0


# -- results of analysing one statement (floe_ci.lineage.sql_columns) ------------------

# (database, schema, identifier), lower-cased, "" for a part the SQL leaves out.
RelationKey = tuple[str, str, str]
SourceColumn = tuple[RelationKey, str]
# Columns of a relation in order, or None when unknown (needed only to expand `*` and to
# find which of several joined relations holds an unqualified column).
RelationColumns = Callable[[RelationKey], Sequence[str] | None]


class _SqlColumnFields(NamedTuple):
    name: str
    sources: tuple[SourceColumn, ...]
    coarse: Transform
    unresolved: str | None = None
    edges: tuple[tuple[EdgeKind, str], ...] = ()
    carried: int = 0


class SqlColumn(_SqlColumnFields):
    """One output column of a statement: its source columns and what the SQL does to them.

    `sources` lists the columns read, then the last `carried` ones: columns never read but
    equal to one that is, through an equality join. `edges` gives each source its
    (EdgeKind, detail), in order; empty means the plain kind of `coarse` for every source.
    A NamedTuple: tens of thousands are made per project.
    """

    __slots__ = ()

    @property
    def transform(self) -> Transform | list[Any]:
        """The transform as the lineage cache stores it: `coarse` alone when every source
        has its plain kind, else `[coarse, carried, kind, detail, kind, detail, ...]`."""
        plain = (_DEFAULT_KIND[self.coarse], "")
        if not self.carried and all(edge == plain for edge in self.edges):
            return self.coarse
        stored: list[Any] = [self.coarse, self.carried]
        for kind, detail in self.edges:
            stored += (kind, detail)
        return stored


@dataclass(frozen=True)
class SqlColumns:
    """Output columns of a statement in order; `columns` is None when they are unknown."""

    columns: tuple[SqlColumn, ...] | None
    error: str | None = None


def relation_key(parts: Sequence[str]) -> RelationKey:
    """Normalize 1 to 3 name parts (identifier last) into a RelationKey."""
    # Spelled out by length: this runs three times for every relation of the project.
    count = len(parts)
    if count >= 3:
        return (parts[-3].lower(), parts[-2].lower(), parts[-1].lower())
    if count == 2:
        return ("", parts[0].lower(), parts[1].lower())
    return ("", "", parts[0].lower()) if count else ("", "", "")
