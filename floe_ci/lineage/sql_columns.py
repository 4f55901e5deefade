"""Column lineage of one SELECT statement: each output column -> the (relation, column) it reads.

One pass over sqlglot's scopes (`build_scope`): every CTE, derived table, set operation and
subquery is analysed once and memoized, so a model costs about one parse (~0.5 ms with the
compiled sqlglot) instead of a `qualify` plus one `sqlglot.lineage` call per column.

Nothing is guessed: when a column cannot be traced (a `*` over a relation whose columns are
unknown, an unqualified column that two sources might hold, a table function) the column
carries the reason, and the parts that were traced are kept.

Each source column of an output column gets an edge kind (column_refs.EdgeKind): what the
expression does to its value, found in the same walk that finds the column references. The
walk carries a context down the expression tree: the kind that the nodes above a column
impose (a CASE condition, a count, a hash, a cast...), the weakest one winning. Columns equal
to a projected one through an equality join (`on a.x = b.y`, projecting `b.y`) are added as
carried sources, after the columns read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, build_scope

from floe_ci.code_span import code
from floe_ci.lineage.column_refs import (
    EDGE_STRENGTH,
    EdgeKind,
    RelationColumns,
    RelationKey,
    SourceColumn,
    SqlColumn,
    SqlColumns,
    Transform,
    relation_key,
)

__all__ = ["RelationKey", "SqlColumn", "SqlColumns", "analyse_sql", "known_dialect", "relation_key"]
_RANK: dict[Transform, int] = {"copy": 0, "expression": 1, "aggregate": 2}

# (EdgeKind, detail): what the SQL does to one source column's value.
_Edge = tuple[EdgeKind, str]
# The context of a node in an expression: the edge its columns get so far, and the aggregate
# above it ("sum()"), so that flags under an aggregate read "derived by sum() of a test".
_Ctx = tuple[EdgeKind, str, str]
_IDENTITY: _Edge = ("identity", "")
_TOP: _Ctx = ("identity", "", "")
_ONE_IDENTITY: tuple[_Edge, ...] = (_IDENTITY,)
_FLAGS = frozenset(("condition", "test"))

# Functions recognised as hashing or masking their argument (lower-case names).
_HASHES = frozenset(
    "md5 md5_hex md5_binary md5_number_lower64 md5_number_upper64 sha sha1 sha1_hex "
    "sha1_binary sha2 sha2_hex sha2_binary sha224 sha256 sha384 sha512 hash hash_md5 "
    "hash_sha1 hash_sha256 hashbytes standard_hash farm_fingerprint fingerprint xxhash32 "
    "xxhash64 murmur_hash murmurhash3_32 cityhash64 sip_hash64 crc32 hmac digest "
    "mask mask_first_n mask_last_n mask_show_first_n mask_show_last_n mask_hash".split()
)
_COUNTS = frozenset(("count", "count_if", "countif", "approx_distinct", "approx_count_distinct"))
# Operators named in an edge's detail, by sqlglot node key.
_OPERATORS = {"dpipe": "||", "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}


def analyse_sql(sql: str, dialect: str, relation_columns: RelationColumns) -> SqlColumns:
    """Lineage of every output column of `sql` (the last statement, which must be a query)."""
    try:
        statements = sqlglot.parse(sql, read=dialect)
    except SqlglotError as exc:
        return SqlColumns(None, f"sqlglot cannot parse the compiled SQL: {_first_line(exc)}")
    queries = [s for s in statements if s is not None]
    if not queries or not isinstance(queries[-1], exp.Query):
        return SqlColumns(None, "the compiled SQL does not end with a SELECT query")
    try:
        root = build_scope(queries[-1])
    except SqlglotError as exc:
        return SqlColumns(None, f"sqlglot cannot resolve the query's scopes: {_first_line(exc)}")
    if root is None:
        return SqlColumns(None, "sqlglot found no query scope in the compiled SQL")
    return _Analyser(relation_columns, dialect).outputs(root)


def known_dialect(dialect: str) -> str:
    """`dialect` when sqlglot knows it, else "" (sqlglot's generic SQL)."""
    from sqlglot.dialects.dialect import Dialect

    return dialect if dialect and Dialect.get(dialect) is not None else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _Resolved(NamedTuple):  # a NamedTuple: made for every column reference, cheap to make
    sources: tuple[SourceColumn, ...]
    edges: tuple[_Edge, ...]  # one per source
    transform: Transform
    unresolved: str | None
    carried: tuple[tuple[SourceColumn, _Edge], ...] = ()


def _unresolved(reason: str | None, transform: Transform = "copy") -> _Resolved:
    return _Resolved((), (), transform, reason)


def _of_column(column: SqlColumn) -> _Resolved:
    """An output column of a CTE, subquery or relation as a part of an expression."""
    if column.edges and not column.carried:  # the common case
        return _Resolved(column.sources, column.edges, column.coarse, column.unresolved)
    edges = column.edges or (
        _ONE_IDENTITY * len(column.sources)
        if column.coarse == "copy"
        else (("transformation" if column.coarse == "expression" else "aggregation", ""),)
        * len(column.sources)
    )
    if not column.carried:
        return _Resolved(column.sources, edges, column.coarse, column.unresolved)
    read = len(column.sources) - column.carried
    return _Resolved(
        column.sources[:read],
        edges[:read],
        column.coarse,
        column.unresolved,
        tuple(zip(column.sources[read:], edges[read:], strict=True)),
    )


def _to_column(name: str, resolved: _Resolved) -> SqlColumn:
    sources, edges = resolved.sources, resolved.edges
    if resolved.carried:
        sources = sources + tuple(source for source, _edge in resolved.carried)
        edges = edges + tuple(edge for _source, edge in resolved.carried)
    return SqlColumn(
        name, sources, resolved.transform, resolved.unresolved, edges, len(resolved.carried)
    )


def _merge(parts: Sequence[_Resolved], transform: Transform) -> _Resolved:
    """The parts of one expression together; a source read twice keeps its strongest edge."""
    if len(parts) == 1 and _RANK[parts[0].transform] >= _RANK[transform]:
        return parts[0]  # the common case: one column reference
    sources: dict[SourceColumn, _Edge] = {}
    carried: dict[SourceColumn, _Edge] = {}
    reasons: list[str] = []
    for part in parts:
        for source, edge in zip(part.sources, part.edges, strict=True):
            known = sources.get(source)
            if known is None or EDGE_STRENGTH[edge[0]] > EDGE_STRENGTH[known[0]]:
                sources[source] = edge
        for source, edge in part.carried:
            known = carried.get(source)
            if known is None or EDGE_STRENGTH[edge[0]] > EDGE_STRENGTH[known[0]]:
                carried[source] = edge
        if _RANK[part.transform] > _RANK[transform]:
            transform = part.transform
        if part.unresolved and part.unresolved not in reasons:
            reasons.append(part.unresolved)
    return _Resolved(
        tuple(sources),
        tuple(sources.values()),
        transform,
        "; ".join(reasons) or None,
        tuple((s, e) for s, e in carried.items() if s not in sources),
    )


def _narrow(ctx: _Ctx, kind: EdgeKind, detail: str, aggregate: str = "") -> _Ctx:
    """The context below a node that does `kind` to the values under it: the weaker one.

    A flag under an aggregate (`sum(case when x is null then 1 else 0 end)`) becomes a
    "sum() of" it; otherwise a tie keeps the outer context, which names the outermost step.
    """
    if ctx[2] and kind in _FLAGS:
        outer: EdgeKind = "count" if ctx[0] == "count" else kind
        return (outer, f"derived by {ctx[2]} of {detail.removeprefix('derived by ')}", "")
    if EDGE_STRENGTH[kind] < EDGE_STRENGTH[ctx[0]]:
        return (kind, detail, aggregate)
    return ctx


def _narrows(ctx: _Ctx, kind: EdgeKind) -> bool:
    """Whether `_narrow(ctx, kind, ...)` would use its detail (so it is worth writing)."""
    return bool(ctx[2] and kind in _FLAGS) or EDGE_STRENGTH[kind] < EDGE_STRENGTH[ctx[0]]


def _compose(ctx: _Ctx, resolved: _Resolved) -> _Resolved:
    """`resolved` (a column reference's sources) as seen through the expression around it."""
    if ctx is _TOP:
        return resolved
    edges = tuple(_narrow(ctx, kind, detail)[:2] for kind, detail in resolved.edges)
    carried = tuple(
        (source, _narrow(ctx, kind, detail)[:2]) for source, (kind, detail) in resolved.carried
    )
    return _Resolved(resolved.sources, edges, resolved.transform, resolved.unresolved, carried)


class _Analyser:
    def __init__(self, relation_columns: RelationColumns, dialect: str) -> None:
        self.relation_columns = relation_columns
        self.dialect = dialect  # to show SQL in edges' details as the model writes it
        self.memo: dict[int, SqlColumns] = {}
        self.aliases: dict[int, dict[str, tuple[Any, Any]]] = {}
        self.source_memo: dict[int, tuple[list[SqlColumn] | None, str]] = {}
        # A source's columns by name (first of each name): one lookup per reference, so a
        # SELECT of 20,000 columns stays linear.
        self.by_name_memo: dict[int, dict[str, SqlColumn]] = {}
        self.equalities: dict[int, list[tuple[_Resolved, _Resolved, str]]] = {}

    # -- scopes -------------------------------------------------------------------------

    def outputs(self, scope: Scope) -> SqlColumns:
        key = id(scope)
        if key not in self.memo:
            self.memo[key] = self._compute(scope)
        return self.memo[key]

    def _compute(self, scope: Scope) -> SqlColumns:
        if isinstance(scope.expression, exp.SetOperation):
            return self._set_operation(scope)
        select = scope.expression
        if not isinstance(select, exp.Select):
            return SqlColumns(None, f"unsupported query shape: {type(select).__name__}")
        columns: list[SqlColumn] = []
        seen: set[str] = set()
        for projection in select.expressions:
            expanded = self._projection(scope, projection, columns)
            if expanded is None:
                return SqlColumns(None, self._star_reason(scope, projection))
            for column in expanded:
                if column.name not in seen:  # the warehouse renames duplicates; keep the first
                    seen.add(column.name)
                    columns.append(column)
        return SqlColumns(tuple(columns))

    def _set_operation(self, scope: Scope) -> SqlColumns:
        branches = [self.outputs(s) for s in scope.set_operation_scopes]
        for branch in branches:
            if branch.columns is None:
                return branch
        first = branches[0].columns or ()
        if any(len(b.columns or ()) != len(first) for b in branches):
            return SqlColumns(None, "the branches of a UNION/INTERSECT/EXCEPT differ in width")
        merged = []
        for index, column in enumerate(first):
            parts = [
                _of_column(c) for c in (b.columns[index] for b in branches if b.columns is not None)
            ]
            merged.append(_to_column(column.name, _merge(parts, "copy")))
        return SqlColumns(tuple(merged))

    def _selected(self, scope: Scope) -> dict[str, tuple[Any, Any]]:
        """The scope's FROM/JOIN sources by lower-cased alias, in query order."""
        key = id(scope)
        if key not in self.aliases:
            self.aliases[key] = {name.lower(): v for name, v in scope.selected_sources.items()}
        return self.aliases[key]

    def _source_columns(self, source: Any) -> tuple[list[SqlColumn] | None, str]:
        """Columns a FROM source offers (traced to relations), or None and why not."""
        key = id(source)
        if key not in self.source_memo:
            self.source_memo[key] = self._compute_source_columns(source)
        return self.source_memo[key]

    def _source_by_name(self, source: Any) -> dict[str, SqlColumn] | None:
        """The source's columns by name, or None when they are unknown."""
        key = id(source)
        found = self.by_name_memo.get(key)
        if found is None:
            columns, _why = self._source_columns(source)
            if columns is None:
                return None
            found = {}
            for column in columns:
                found.setdefault(column.name, column)
            self.by_name_memo[key] = found
        return found

    def _compute_source_columns(self, source: Any) -> tuple[list[SqlColumn] | None, str]:
        if isinstance(source, Scope):
            if source.is_udtf:
                return None, f"reads from the table function {_short(source.expression)}"
            out = self.outputs(source)
            if out.columns is None:
                return None, out.error or "columns unknown"
            return list(out.columns), ""
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
            key = _table_key(source)
            names = self.relation_columns(key)
            if names is None:
                return None, f"the columns of {_shown(key)} are unknown"
            return [
                SqlColumn(n.lower(), ((key, n.lower()),), "copy", None, _ONE_IDENTITY)
                for n in names
            ], ""
        return None, f"reads from the table function {_short(source)}"

    def _star_reason(self, scope: Scope, projection: exp.Expression) -> str:
        reasons = []
        only = projection.table if isinstance(projection, exp.Column) else ""
        for alias, (_node, source) in self._selected(scope).items():
            if only and alias != only.lower():
                continue
            columns, why = self._source_columns(source)
            if columns is None:
                reasons.append(why)
        detail = "; ".join(dict.fromkeys(reasons)) or "no source to expand"
        return f"cannot expand {code(projection.sql())}: {detail}"

    # -- projections ----------------------------------------------------------------------

    def _projection(
        self, scope: Scope, projection: exp.Expression, earlier: list[SqlColumn]
    ) -> list[SqlColumn] | None:
        if isinstance(projection, exp.Star):
            return self._expand_star(scope, None, projection)
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            return self._expand_star(scope, projection.table, projection.this)
        name = (projection.alias_or_name or projection.sql()).lower()
        return [_to_column(name, self._expression(scope, projection, earlier))]

    def _expand_star(
        self, scope: Scope, table: str | None, star: exp.Expression
    ) -> list[SqlColumn] | None:
        selected = self._selected(scope)
        if table:
            entry = selected.get(table.lower())
            if entry is None:
                return None
            chosen = [entry]
        else:
            chosen = list(selected.values())
        if not chosen:
            return None
        expanded: list[SqlColumn] = []
        for _node, source in chosen:
            columns, _why = self._source_columns(source)
            if columns is None:
                return None
            expanded.extend(columns)
        excluded = {
            c.name.lower() for c in star.args.get("except_") or star.args.get("except") or []
        }
        replaced = {
            r.alias.lower(): r for r in star.args.get("replace") or [] if isinstance(r, exp.Alias)
        }
        renamed = {
            r.this.name.lower(): r.alias.lower()
            for r in star.args.get("rename") or []
            if isinstance(r, exp.Alias)
        }
        result = []
        for column in expanded:
            if column.name in excluded:
                continue
            if column.name in replaced:
                column = _to_column(column.name, self._expression(scope, replaced[column.name], []))
            if column.name in renamed:
                column = column._replace(name=renamed[column.name])
            result.append(column)
        return result

    def _expression(
        self, scope: Scope, projection: exp.Expression, earlier: list[SqlColumn]
    ) -> _Resolved:
        body = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(body, exp.Column) and not isinstance(body.this, exp.Star):
            return self._reference(scope, body, earlier, _TOP)  # the common case: no walk
        columns, queries, lambda_vars, aggregates = _scan(body, self.dialect)
        if aggregates:
            transform: Transform = "aggregate"
        elif isinstance(body, exp.Cast | exp.TryCast) and isinstance(body.this, exp.Column):
            transform = "copy"
        else:
            transform = "expression"
        parts: list[_Resolved] = []
        for column, ctx in columns:
            if isinstance(column.this, exp.Star):
                continue  # count(t.*): row count, reads no column's value
            if not column.table and column.name.lower() in lambda_vars:
                continue
            parts.append(self._reference(scope, column, earlier, ctx))
        if queries:
            subqueries = {id(s.expression): s for s in scope.subquery_scopes}
            transform = "expression" if transform == "copy" else transform
        for query, ctx in queries:
            sub = subqueries.get(id(query)) or subqueries.get(id(query.this))
            if sub is None:
                parts.append(_unresolved("a nested query sqlglot could not scope", "expression"))
                continue
            out = self.outputs(sub)
            if out.columns is None:
                parts.append(_unresolved(out.error, "expression"))
                continue
            parts.extend(_compose(ctx, _of_column(c)) for c in out.columns)
        return _merge(parts, transform)

    def _reference(
        self, scope: Scope, column: exp.Column, earlier: list[SqlColumn], ctx: _Ctx
    ) -> _Resolved:
        """A column reference in an expression: what it reads and what an equality join
        carries into it, seen through the context `ctx` of the expression around it."""
        resolved = self._column(scope, column, earlier)
        if resolved.sources and scope.expression.args.get("joins"):
            resolved = self._carry(scope, resolved)
        return _compose(ctx, resolved)

    def _carry(self, scope: Scope, resolved: _Resolved) -> _Resolved:
        """`resolved` with the columns equal to it through its scope's equality joins.

        Only columns of relations whose columns are known are carried: those are dbt
        nodes, so the stored kinds stay aligned with the refs ColumnLineage keeps.
        """
        carried = dict(resolved.carried)
        for left, right, detail in self._equalities(scope):
            if resolved.sources == left.sources:
                other = right
            elif resolved.sources == right.sources:
                other = left
            else:
                continue
            join: _Ctx = ("join", detail, "")
            for source, (kind, how) in zip(other.sources, other.edges, strict=True):
                if source in resolved.sources or source in carried:
                    continue
                columns = self.relation_columns(source[0])
                if columns is None or source[1] not in columns:
                    continue
                narrowed = _narrow(join, kind, how)
                carried[source] = (narrowed[0], narrowed[1])
        if len(carried) == len(resolved.carried):
            return resolved
        return resolved._replace(carried=tuple(carried.items()))

    def _equalities(self, scope: Scope) -> list[tuple[_Resolved, _Resolved, str]]:
        """The scope's `JOIN ... ON a.x = b.y` conditions (ANDed), both sides resolved."""
        key = id(scope)
        found = self.equalities.get(key)
        if found is not None:
            return found
        found = self.equalities[key] = []
        for join in scope.expression.args.get("joins") or []:
            on = join.args.get("on")
            if on is None:
                continue
            for condition in on.flatten() if isinstance(on, exp.And) else (on,):
                condition = condition.unnest()
                if not isinstance(condition, exp.EQ):
                    continue
                left, right = condition.this, condition.expression
                if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
                    continue
                if isinstance(left.this, exp.Star) or isinstance(right.this, exp.Star):
                    continue
                a, b = self._column(scope, left, []), self._column(scope, right, [])
                if a.sources and b.sources and a.sources != b.sources:
                    detail = f"carried through the join on {_named(left)} = {_named(right)}"
                    found.append((a, b, detail))
        return found

    # -- single column references ---------------------------------------------------------

    def _column(self, scope: Scope, column: exp.Column, earlier: list[SqlColumn]) -> _Resolved:
        name = column.name.lower()
        table = column.table.lower()
        current: Scope | None = scope
        while current is not None:  # inner scope first, then outer ones (correlated subqueries)
            selected = self._selected(current)
            if table:
                if table in selected:
                    return self._from_source(selected[table][1], table, name)
            else:
                found = self._unqualified(current, name, earlier if current is scope else [])
                if found is not None:
                    return found
            current = current.parent
        if table:
            # `struct_column.field` parses like `table.column`: trace a struct column that a
            # source is known to have; anything else names no table.
            for alias, (_node, source) in self._selected(scope).items():
                columns, _why = self._source_columns(source)
                if columns is not None and any(c.name == table for c in columns):
                    found = self._from_source(source, alias, table)
                    ctx: _Ctx = ("transformation", f"derived by {code(_short(column))}", "")
                    return _compose(ctx, found._replace(transform="expression"))
            return _unresolved(f"{code(column.sql())} names no table of its query")
        return _unresolved(f"no source of the query has a column {code(name)}")

    def _unqualified(self, scope: Scope, name: str, earlier: list[SqlColumn]) -> _Resolved | None:
        """The source holding `name`; None when no source does (look further out)."""
        selected = self._selected(scope)
        if len(selected) == 1:
            alias, (_node, source) = next(iter(selected.items()))
            names = self._source_by_name(source)
            if names is not None and name not in names:
                # Not the source's: a lateral alias, an earlier output column of this SELECT.
                lateral = next((c for c in earlier if c.name == name), None)
                if lateral is not None:
                    return _of_column(lateral)
            return self._from_source(source, alias, name)
        holders: list[tuple[str, Any]] = []
        unknown: list[str] = []
        for alias, (_node, source) in selected.items():
            names = self._source_by_name(source)
            if names is None:
                unknown.append(alias)
            elif name in names:
                holders.append((alias, source))
        if len(holders) == 1 and not unknown:
            return self._from_source(holders[0][1], holders[0][0], name)
        if len(holders) > 1 and _joined_using(scope, name):
            return _merge([self._from_source(s, a, name) for a, s in holders], "copy")
        if holders or unknown:
            candidates = ", ".join(a for a, _ in holders) or "none with known columns"
            if holders and not unknown:
                reason = f"{code(name)} is ambiguous: {candidates} all have it"
            else:
                reason = (
                    f"{code(name)} is unqualified and {', '.join(unknown)} "
                    f"{'has' if len(unknown) == 1 else 'have'} unknown columns "
                    f"(candidates: {candidates})"
                )
            return _unresolved(reason)
        for column in earlier:  # a lateral alias: an earlier output column of the same SELECT
            if column.name == name:
                return _of_column(column)
        return None

    def _from_source(self, source: Any, alias: str, name: str) -> _Resolved:
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
            # A relation: the reference itself is exact even when its column list is unknown.
            return _Resolved(((_table_key(source), name),), _ONE_IDENTITY, "copy", None)
        names = self._source_by_name(source)
        if names is None:
            _columns, why = self._source_columns(source)
            return _unresolved(f"{code(alias, name)}: {why}")
        column = names.get(name)
        if column is not None:
            return _of_column(column)
        return _unresolved(f"{code(alias)} has no column {code(name)}")


def _table_key(table: exp.Table) -> RelationKey:
    return (table.catalog.lower(), table.db.lower(), table.name.lower())


def _shown(key: RelationKey) -> str:
    return ".".join(part for part in key if part)


def _named(column: exp.Column) -> str:
    """A column reference as written, without generating SQL (cheap)."""
    return f"{column.table}.{column.name}" if column.table else column.name


_TYPE_NAMES: dict[tuple[Any, str], str] = {}


def _type_name(to: exp.Expression, dialect: str) -> str:
    """A cast's target type as the dialect names it, without its parameters (memoized:
    generating SQL copies the tree, too slow for every cast of 5,000 models)."""
    kind = to.this if isinstance(to, exp.DataType) else None
    if not isinstance(kind, exp.DataType.Type):
        return _short(to, dialect).lower()
    key = (kind, dialect)
    name = _TYPE_NAMES.get(key)
    if name is None:
        name = _TYPE_NAMES[key] = exp.DataType.build(kind).sql(dialect=dialect).lower()
    return name


_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}


def _condition_text(node: exp.Expression, dialect: str) -> str:
    """A test as written: the common shapes (`x is null`, `x > 5`) without generating SQL."""
    negated = isinstance(node, exp.Not)
    test = node.this if negated else node
    left, right = test.args.get("this"), test.args.get("expression")
    if isinstance(left, exp.Column):
        if isinstance(test, exp.Is) and isinstance(right, exp.Null):
            return f"{_named(left)} is {'not ' if negated else ''}null"
        operator = _COMPARISONS.get(type(test))
        if operator and not negated and isinstance(right, exp.Literal | exp.Column):
            value = (
                _named(right)
                if isinstance(right, exp.Column)
                else ("'…'" if right.is_string else str(right.this))
            )
            return f"{_named(left)} {operator} {value}"
    return _short(node, dialect)


def _short(node: Any, dialect: str = "") -> str:
    """A construct as messages name it: its SQL with every string literal shown as `'…'`,
    since the compiled SQL may hold a rendered secret (`env_var` in a connection string)."""
    if isinstance(node, exp.Expression):
        node = node.transform(_hide_literal)
    text = str(node.sql(dialect=dialect)) if hasattr(node, "sql") else str(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _hide_literal(node: exp.Expression) -> exp.Expression:
    return exp.Literal.string("…") if isinstance(node, exp.Literal) and node.is_string else node


def _scan(
    body: exp.Expression, dialect: str
) -> tuple[list[tuple[exp.Column, _Ctx]], list[tuple[exp.Expression, _Ctx]], set[str], bool]:
    """One walk, stopping at nested queries (they are their own scopes): column references
    and nested queries, each with its context, lambda variables, and whether any aggregate."""
    columns: list[tuple[exp.Column, _Ctx]] = []
    queries: list[tuple[exp.Expression, _Ctx]] = []
    lambda_vars: set[str] = set()
    aggregates = False
    stack: list[tuple[exp.Expression, _Ctx]] = [(body, _TOP)]
    while stack:
        node, ctx = stack.pop()
        if isinstance(node, exp.Column):
            columns.append((node, ctx))
            continue  # its parts are identifiers
        if node is not body and isinstance(node, exp.Query):
            queries.append((node, ctx))
            continue
        if isinstance(node, exp.Window):
            # PARTITION BY / ORDER BY pick rows; only the function's arguments give values.
            stack.append((node.this, ctx))
            continue
        if isinstance(node, exp.Lambda):
            lambda_vars.update(e.name.lower() for e in node.expressions)
        elif isinstance(node, exp.AggFunc):
            aggregates = True
        if isinstance(node, exp.Case | exp.If):
            # The operand of a simple CASE and each WHEN / IF condition only choose a branch.
            value = _inner(node, ctx, dialect)
            children = []
            for key, arg in node.args.items():
                for child in arg if isinstance(arg, list) else (arg,):
                    if isinstance(child, exp.Expression):
                        condition = key == "this"
                        inner = _test(child, value, "condition", dialect) if condition else value
                        children.append((child, inner))
            stack.extend(reversed(children))
            continue
        inner = _inner(node, ctx, dialect)
        stack.extend((child, inner) for child in reversed(list(node.iter_expressions())))
    return columns, queries, lambda_vars, aggregates


def _inner(node: exp.Expression, ctx: _Ctx, dialect: str) -> _Ctx:
    """The context of `node`'s children: what `node` does to the values under it."""
    if isinstance(node, exp.Paren | exp.Alias | exp.DataType | exp.Literal | exp.Null):
        return ctx
    if isinstance(node, exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if isinstance(node, exp.Cast | exp.TryCast):
            if not _narrows(ctx, "cast"):
                return ctx
            return _narrow(ctx, "cast", f"cast to {_type_name(node.to, dialect)}")
        if name in _HASHES:
            return _narrow(ctx, "hash", f"hashed by {name}()")
        if name in _COUNTS:
            return _narrow(ctx, "count", f"derived by {name}()", f"{name}()")
        if isinstance(node, exp.AggFunc):
            return _narrow(ctx, "aggregation", f"aggregated by {name}()", f"{name}()")
        if isinstance(node, exp.Predicate):  # EXISTS and the like
            return _test(node, ctx, "test", dialect)
        if isinstance(node, exp.Case | exp.If):
            return _narrow(ctx, "transformation", "derived by a CASE expression")
        if not _narrows(ctx, "transformation"):
            return ctx
        return _narrow(ctx, "transformation", f"derived by {name}()")
    if isinstance(node, exp.Predicate | exp.Connector | exp.Not):
        return _test(node, ctx, "test", dialect)
    if not _narrows(ctx, "transformation"):
        return ctx
    operator = _OPERATORS.get(node.key, node.key)
    return _narrow(ctx, "transformation", f"derived by {code(operator)}")


def _test(node: exp.Expression, ctx: _Ctx, kind: EdgeKind, dialect: str) -> _Ctx:
    """The context under a boolean test, or a branch condition (a CASE WHEN / IF condition,
    a simple CASE's operand): a derived indicator."""
    if not _narrows(ctx, kind):
        return ctx
    test = node.this if isinstance(node, exp.Not) else node
    what = "a null check" if isinstance(test, exp.Is) else f"a {kind}"
    return _narrow(ctx, kind, f"derived by {what} ({code(_condition_text(node, dialect))})")


def _joined_using(scope: Scope, name: str) -> bool:
    for join in scope.expression.args.get("joins") or []:
        for using in join.args.get("using") or []:
            if using.name.lower() == name:
                return True
    return False
