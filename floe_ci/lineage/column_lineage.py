"""The column lineage of a project as a query object: upstream, downstream, paths, reasons.

Entries stay in the lineage cache's compact form (`Encoded`) until a model is asked about:
a check that looks at a few models of a big project does not pay for all of them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence

from floe_ci.fastjson import dumps_bytes
from floe_ci.lineage.cache_format import Encoded, output_names
from floe_ci.lineage.column_refs import ColumnOrigin, ColumnRef, LineageStats, RelationKey
from floe_ci.lineage.relation_index import RelationIndex

_UNSEEN = object()


class ColumnLineage:
    """Column-level lineage of every model of a dbt project (see `builder.build_lineage`).

    A model's entries become objects on first use: a check that looks at a few models of a
    big project does not pay for all of them.
    """

    def __init__(
        self,
        relations: RelationIndex,
        relation_table: Sequence[RelationKey],
        entries: dict[str, Encoded],
        figures: Mapping[str, int],
    ) -> None:
        self._relations = relations
        self._table = relation_table
        self._entries = entries
        self._figures = figures  # LineageStats but unresolved_columns, counted when asked
        self._stats: LineageStats | None = None
        self._origins: dict[str, dict[str, ColumnOrigin] | None] = {}
        self._table_nodes: dict[int, str | None] = {}
        self._refs: dict[tuple[str, str], ColumnRef] = {}
        # (relation index, column) -> ColumnRef, None when the relation is no dbt node
        self._refs_by_index: dict[tuple[int, str], object] = {}
        self._children: dict[ColumnRef, list[ColumnRef]] | None = None
        self._names: dict[str, list[str] | None] = {}

    @property
    def stats(self) -> LineageStats:
        """What build_column_lineage did; counted on first use (a check never asks)."""
        if self._stats is None:
            unresolved = sum(self._count_unresolved(entry) for entry in self._entries.values())
            self._stats = LineageStats(unresolved_columns=unresolved, **self._figures)
        return self._stats

    def models(self) -> list[str]:
        """unique_ids of the models analysed, sorted."""
        return sorted(self._entries)

    def ref(self, node_id: str, column: str) -> ColumnRef:
        """The ColumnRef naming `column` of `node_id` (column compared case-insensitively)."""
        column = column.lower()
        ref = self._refs.get((node_id, column))
        if ref is None:
            node = self._relations.nodes.get(node_id)
            name = (node.name if node is not None else "") or node_id.rsplit(".", 1)[-1]
            ref = self._refs[(node_id, column)] = ColumnRef(node_id, name, column)
        return ref

    def columns(self, node_id: str) -> list[str] | None:
        """Output columns of a model in SELECT order; None when the SQL gave none."""
        if node_id not in self._names:
            entry = self._entries.get(node_id)
            self._names[node_id] = output_names(entry) if entry is not None else None
        names = self._names[node_id]
        return list(names) if names is not None else None  # a copy: callers may change it

    def relation_columns(self, node_id: str) -> list[str] | None:
        """Columns of any relation: a model's SQL output, else what the relation index
        knows (a seed's CSV header, a source's or snapshot's declared columns)."""
        names = self.columns(node_id)
        if names is not None:
            return names
        known = self._relations.columns_of(node_id)
        return list(known) if known is not None else None

    def origin(self, node_id: str, column: str) -> ColumnOrigin | None:
        """Upstream columns, transform and unresolved reason of one output column."""
        return (self._model(node_id) or {}).get(column.lower())

    def upstream(self, node_id: str, column: str) -> list[ColumnRef]:
        """The columns `column` of `node_id` is computed from (direct parents only)."""
        origin = self.origin(node_id, column)
        return list(origin.upstream) if origin else []

    def upstream_by_column(self, node_id: str) -> dict[str, tuple[ColumnRef, ...]]:
        """`upstream` of every output column of a model at once (lower-case names)."""
        return {name: origin.upstream for name, origin in (self._model(node_id) or {}).items()}

    def downstream(self, node_id: str, column: str) -> list[ColumnRef]:
        """The columns computed directly from `column` of `node_id` (direct children only)."""
        return list(self._child_index().get(self.ref(node_id, column), []))

    def paths_from(self, node_id: str, column: str) -> dict[ColumnRef, tuple[ColumnRef, ...]]:
        """Every column derived from this one, each with one shortest path starting here."""
        return _shortest_paths(self.ref(node_id, column), self._downstream_of)

    def paths_to(self, node_id: str, column: str) -> dict[ColumnRef, tuple[ColumnRef, ...]]:
        """Every column this one is derived from, each with one shortest path ending here."""
        paths = _shortest_paths(self.ref(node_id, column), self._upstream_of)
        return {ref: tuple(reversed(path)) for ref, path in paths.items()}

    def unresolved(self, node_id: str) -> dict[str, str]:
        """Columns of a model whose lineage is (partly) unknown, with the reason.

        When the model's SQL could not be analysed at all, every declared column carries the
        model's reason; a model without declared columns then reports it under `"*"`.
        """
        error = self.model_error(node_id)
        if error is not None:
            node = self._relations.nodes.get(node_id)
            declared = (node.declared_columns() if node is not None else None) or []
            return {c: error for c in declared} or {"*": error}
        return {
            name: origin.unresolved
            for name, origin in (self._model(node_id) or {}).items()
            if origin.unresolved is not None
        }

    def model_error(self, node_id: str) -> str | None:
        """Why a model's SQL gave no columns at all (unparseable, `*` over unknown, ...)."""
        entry = self._entries.get(node_id)
        if entry is None or entry[1] is not None:
            return None
        return entry[0] or "the SQL gave no output columns"

    def fingerprint(self, node_id: str) -> tuple[bytes, frozenset[str]]:
        """What the lineage says of a relation, as bytes that change when it does, and the
        nodes its columns read: the key of results computed from it (governance's
        incremental evaluation). Made from the compact entry, without its objects."""
        entry = self._entries.get(node_id)
        if entry is None:  # a seed, a source, or a model without SQL
            return dumps_bytes(["relation", self.relation_columns(node_id)]), frozenset()
        used: set[int] = set()
        for column in entry[1] or ():
            used.update(column[1][0::2])
        table = [[index, self._table[index], self._node_of(index)] for index in sorted(used)]
        read = frozenset(str(row[2]) for row in table if row[2] is not None)
        return dumps_bytes([entry[0], entry[1], table]), read

    # -- lazy conversion ------------------------------------------------------------------

    def _count_unresolved(self, entry: Encoded) -> int:
        """Unresolved columns of an entry, without making its objects."""
        if entry[1] is None:
            return 1
        return sum(
            1
            for _name, flat, _transform, unresolved in entry[1]
            if unresolved or any(self._node_of(flat[i]) is None for i in range(0, len(flat), 2))
        )

    def _model(self, node_id: str) -> dict[str, ColumnOrigin] | None:
        if node_id not in self._origins:
            self._origins[node_id] = self._convert(node_id)
        return self._origins[node_id]

    def _node_of(self, index: int) -> str | None:
        if index not in self._table_nodes:
            self._table_nodes[index] = self._relations.node_of(self._table[index])
        return self._table_nodes[index]

    def _convert(self, node_id: str) -> dict[str, ColumnOrigin] | None:
        entry = self._entries.get(node_id)
        if entry is None or entry[1] is None:
            return None
        origins: dict[str, ColumnOrigin] = {}
        by_index = self._refs_by_index
        for name, flat, transform, unresolved in entry[1]:
            refs: list[ColumnRef] = []
            reasons = [unresolved] if unresolved else []
            for i in range(0, len(flat), 2):
                key = (flat[i], flat[i + 1])
                ref = by_index.get(key, _UNSEEN)
                if ref is _UNSEEN:
                    source = self._node_of(key[0])
                    ref = by_index[key] = self.ref(source, key[1]) if source else None
                if ref is None:
                    shown = ".".join(p for p in self._table[key[0]] if p)
                    reasons.append(f"reads {shown}, no node of the dbt project")
                else:
                    refs.append(ref)  # type: ignore[arg-type]
            origins[name] = ColumnOrigin(name, tuple(refs), transform, "; ".join(reasons) or None)
        return origins

    def _upstream_of(self, ref: ColumnRef) -> Sequence[ColumnRef]:
        return self.upstream(ref.node_id, ref.column)

    def _downstream_of(self, ref: ColumnRef) -> Sequence[ColumnRef]:
        return self._child_index().get(ref, [])

    def _child_index(self) -> dict[ColumnRef, list[ColumnRef]]:
        if self._children is None:
            children: dict[ColumnRef, list[ColumnRef]] = {}
            for node_id in self._entries:
                for name, origin in (self._model(node_id) or {}).items():
                    child = self.ref(node_id, name)
                    for parent in origin.upstream:
                        children.setdefault(parent, []).append(child)
            self._children = children
        return self._children


def _shortest_paths(
    start: ColumnRef, step: Callable[[ColumnRef], Sequence[ColumnRef]]
) -> dict[ColumnRef, tuple[ColumnRef, ...]]:
    paths: dict[ColumnRef, tuple[ColumnRef, ...]] = {start: (start,)}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for nxt in step(current):
            if nxt not in paths:
                paths[nxt] = (*paths[current], nxt)
                queue.append(nxt)
    del paths[start]
    return paths
