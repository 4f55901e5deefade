"""Value objects of column lineage: what a caller of `build_column_lineage` receives.

Kept free of sqlglot and dbt so that importing them costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

# How an output column is made from its upstream columns:
# "copy": the value is passed through unchanged (possibly renamed or cast);
# "expression": a row-level expression (function, operator, CASE, COALESCE, ...) of them;
# "aggregate": an aggregate (count, sum, min, max, ...) over them.
Transform = Literal["copy", "expression", "aggregate"]


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


class ColumnOrigin(NamedTuple):
    """Lineage of one output column of one model."""

    column: str
    upstream: tuple[ColumnRef, ...]
    transform: Transform
    # Why (part of) this column's lineage could not be resolved; None when fully resolved.
    # Resolved upstream columns are kept even when another part is unresolved.
    unresolved: str | None = None


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


# -- results of analysing one statement (floe_ci.lineage.sql_columns) ------------------

# (database, schema, identifier), lower-cased, "" for a part the SQL leaves out.
RelationKey = tuple[str, str, str]
SourceColumn = tuple[RelationKey, str]
# Columns of a relation in order, or None when unknown (needed only to expand `*` and to
# find which of several joined relations holds an unqualified column).
RelationColumns = Callable[[RelationKey], Sequence[str] | None]


@dataclass(frozen=True)
class SqlColumn:
    name: str
    sources: tuple[SourceColumn, ...]
    transform: Transform
    unresolved: str | None = None


@dataclass(frozen=True)
class SqlColumns:
    """Output columns of a statement in order; `columns` is None when they are unknown."""

    columns: tuple[SqlColumn, ...] | None
    error: str | None = None


def relation_key(parts: Sequence[str]) -> RelationKey:
    """Normalize 1 to 3 name parts (identifier last) into a RelationKey."""
    padded = ["", "", "", *(p.lower() for p in parts)][-3:]
    return (padded[0], padded[1], padded[2])
