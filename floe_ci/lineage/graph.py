"""Column lineage of a whole dbt project, model by model in DAG order.

Compiled SQL names relations (`"db"."schema"."identifier"`); they are mapped back to dbt nodes
(models, seeds, snapshots, sources) through the manifest's database/schema/alias. A parent's
column list, needed to expand `select *`, is the lineage engine's own output for a model
analysed earlier in DAG order (the SQL is what the warehouse will produce; declared columns
are often partial), the declared columns when the SQL gave none, the CSV header for a seed,
the declared columns for a source.
"""

from __future__ import annotations

import csv
import gc
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from floe_ci.integrations.dbt.project import DbtProject, read_project
from floe_ci.lineage.cache import (
    Encoded,
    cache_key,
    columns_digest,
    load_cache,
    output_names,
    save_cache,
)
from floe_ci.lineage.compiled_sql import obtain_compiled_sql, sql_nodes
from floe_ci.lineage.model import (
    ColumnOrigin,
    ColumnRef,
    LineageStats,
    RelationColumns,
    RelationKey,
    SqlColumns,
    relation_key,
)

_RELATION_TYPES = ("model", "seed", "snapshot")
_UNSEEN = object()


class ColumnLineage:
    """Column-level lineage of every model of a dbt project (see `build_column_lineage`).

    A model's entries become objects on first use: a check that looks at a few models of a
    big project does not pay for all of them.
    """

    def __init__(
        self,
        relations: _RelationIndex,
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
            node = self._relations.nodes.get(node_id) or {}
            name = str(node.get("name") or node_id.rsplit(".", 1)[-1])
            ref = self._refs[(node_id, column)] = ColumnRef(node_id, name, column)
        return ref

    def columns(self, node_id: str) -> list[str] | None:
        """Output columns of a model in SELECT order; None when the SQL gave none."""
        if node_id not in self._names:
            entry = self._entries.get(node_id)
            self._names[node_id] = output_names(entry) if entry is not None else None
        names = self._names[node_id]
        return list(names) if names is not None else None  # a copy: callers may change it

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
            node = self._relations.nodes.get(node_id) or {}
            declared = [c.lower() for c in node.get("columns") or {}]
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


def build_column_lineage(
    manifest: Mapping[str, Any],
    project: DbtProject | Path | None = None,
    cache_dir: Path | None = None,
    *,
    dialect: str | None = None,
) -> ColumnLineage:
    """Column lineage of every model of a dbt project.

    `manifest` is the parsed manifest.json (from `dbt parse` is enough). `project` (the dbt
    project folder or its DbtProject) is needed only for models whose Jinja goes beyond
    ref/source/config (they are compiled with dbt) and for seeds' CSV headers. `cache_dir`
    (normally `<floe.yaml folder>/.floe/cache/lineage`) enables the cache; None computes all.
    `dialect` defaults to the manifest's adapter type.

    Example::

        lineage = build_column_lineage(manifest, project_dir, state_dir / "cache" / "lineage")
        lineage.upstream("model.shop.customers", "email")
        # [ColumnRef('model.shop.stg_customers', 'stg_customers', 'email')]
        for ref, path in lineage.paths_from("model.shop.stg_customers", "email").items():
            print(" -> ".join(map(str, path)))  # stg_customers.email -> customers.email
        lineage.unresolved("model.shop.customers")  # {} when every column was traced
    """
    # The manifest is hundreds of thousands of long-lived objects; frozen, the collector
    # stops re-scanning them while the analysis allocates (about 25% of a warm run).
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        if cache_dir is not None:
            return _build(manifest, project, cache_dir, cache_dir / "work", dialect)
        # `dbt compile` needs somewhere to write, even without a cache
        with tempfile.TemporaryDirectory(prefix="floe-lineage-") as scratch:
            return _build(manifest, project, None, Path(scratch), dialect)
    finally:
        if freeze:
            gc.unfreeze()


def _build(
    manifest: Mapping[str, Any],
    project: DbtProject | Path | None,
    cache_dir: Path | None,
    work_dir: Path,
    dialect: str | None,
) -> ColumnLineage:
    dbt_project = _as_project(project)
    adapter = str((manifest.get("metadata") or {}).get("adapter_type") or "")
    sql_dialect = dialect or _DIALECTS.get(adapter, adapter)
    analyse = _Analyse(sql_dialect)
    # The cache's entries live as long as the lineage: frozen as soon as they exist, the
    # collector never walks them (build_column_lineage or its caller unfreezes at the end).
    collecting = gc.isenabled()
    gc.disable()
    try:
        cache = load_cache(cache_dir)
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    compiled = obtain_compiled_sql(
        manifest, dbt_project, work_dir, cache.compiled, cache.plain if cache_dir else None
    )

    relations = _RelationIndex(manifest, dbt_project)
    models = sql_nodes(manifest)
    entries: dict[str, Encoded] = {}
    fresh: dict[str, tuple[str, Encoded]] = {}
    names: dict[str, list[str] | None] = {}  # output columns of the entries made
    counts = {"hits": 0, "analysed": 0}

    def process(uid: str) -> None:
        node = models[uid]
        if not compiled.has_sql(uid):
            entries[uid] = (compiled.failures.get(uid, "no compiled SQL"), None)
            relations.set_columns(uid, _declared(node))
            return
        parents = sorted(set((node.get("depends_on") or {}).get("nodes") or []))
        key = cache_key(
            compiled.digest(uid), sql_dialect, ((p, relations.digest_of(p)) for p in parents)
        )
        cached = cache.lineage.get(uid)
        if cached is not None and cached[0] == key:
            entry = cached[1]
            counts["hits"] += 1
        elif (sql := compiled.sql_of(uid)) is None:  # the same inputs rendered last time
            entries[uid] = ("the SQL could not be rendered again; delete .floe/cache/", None)
            relations.set_columns(uid, _declared(node))
            return
        else:
            entry = cache.encode(analyse(sql, relations.columns_by_key))
            counts["analysed"] += 1
        fresh[uid] = (key, entry)
        entries[uid] = entry
        names[uid] = output_names(entry)
        relations.set_columns(uid, names[uid] or _declared(node))

    # Models waiting for `dbt compile` (and their descendants) go last, so the analysis of
    # the others overlaps with dbt's run in its child process.
    deferred: list[str] = []
    blocked: set[str] = set(compiled.pending)
    try:
        for uid in _dag_order(models):
            parents = (models[uid].get("depends_on") or {}).get("nodes") or []
            if uid in blocked or any(p in blocked for p in parents):
                blocked.add(uid)
                deferred.append(uid)
            else:
                process(uid)
        compiled.finish()
    finally:
        compiled.cancel()
    for uid in deferred:
        process(uid)

    if cache_dir is not None and (
        counts["analysed"]
        or set(fresh) != set(cache.lineage)
        or compiled.dbt_compiled != cache.compiled
        or compiled.plain != cache.plain
    ):
        cache.lineage = fresh
        cache.compiled = dict(compiled.dbt_compiled)
        cache.plain = dict(compiled.plain)
        save_cache(cache_dir, cache)

    # Counted now, except unresolved columns (a pass over every column): on first use.
    figures = {
        "models": len(models),
        "analysed": counts["analysed"],
        "cache_hits": counts["hits"],
        "failed_models": sum(1 for entry in entries.values() if entry[1] is None),
        "compiled_sql_rendered": compiled.rendered,
        "compiled_sql_from_manifest": compiled.from_manifest,
        "compiled_sql_from_dbt": compiled.from_dbt,
        "compiled_sql_cached": compiled.from_cache,
        "compiled_sql_jinja": compiled.rendered_jinja,
        "compiled_sql_reused": len(compiled.reused),
    }
    lineage = ColumnLineage(relations, cache.relations, entries, figures)
    lineage._names.update(names)
    return lineage


# sqlglot dialect names for dbt adapter types that differ.
_DIALECTS = {"sqlserver": "tsql", "synapse": "tsql", "fabric": "tsql", "bigquery": "bigquery"}


class _Analyse:
    """analyse_sql, importing sqlglot on first use: a warm run may never need it."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.run: Callable[[str, str, RelationColumns], SqlColumns] | None = None

    def __call__(self, sql: str, relation_columns: RelationColumns) -> SqlColumns:
        if self.run is None:
            from sqlglot.dialects.dialect import Dialect

            from floe_ci.lineage.sql_columns import analyse_sql

            gc.freeze()  # sqlglot's modules live as long as the process: never walk them
            if self.dialect and Dialect.get(self.dialect) is None:
                self.dialect = ""  # sqlglot's generic SQL for a dialect it does not know
            self.run = analyse_sql
        return self.run(sql, self.dialect, relation_columns)


def _as_project(project: DbtProject | Path | None) -> DbtProject | None:
    if project is None or isinstance(project, DbtProject):
        return project
    return read_project(Path(project), str(project))


def _declared(node: Mapping[str, Any]) -> list[str] | None:
    columns = [str(c).lower() for c in node.get("columns") or {}]
    return columns or None


def _dag_order(models: Mapping[str, Mapping[str, Any]]) -> Iterator[str]:
    """Models parents first (Kahn's algorithm; ties in unique_id order for stable output)."""
    parents = {
        uid: {p for p in (n.get("depends_on") or {}).get("nodes") or [] if p in models}
        for uid, n in models.items()
    }
    children: dict[str, list[str]] = {}
    for uid, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(uid)
    waiting = {uid: len(ps) for uid, ps in parents.items()}
    ready = deque(sorted(uid for uid, count in waiting.items() if count == 0))
    emitted = set()
    while ready:
        uid = ready.popleft()
        emitted.add(uid)
        yield uid
        for child in sorted(children.get(uid, [])):
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    yield from sorted(set(models) - emitted)  # a cycle dbt would refuse; analyse anyway


class _RelationIndex:
    """Relations named in SQL -> dbt nodes, and the column lists known so far."""

    def __init__(self, manifest: Mapping[str, Any], project: DbtProject | None) -> None:
        self.nodes: dict[str, Mapping[str, Any]] = {}
        self.by_key: dict[RelationKey, str] = {}
        partial: dict[RelationKey, set[str]] = {}
        for uid, node in (manifest.get("nodes") or {}).items():
            if node.get("resource_type") in _RELATION_TYPES:
                self._add(uid, node, node.get("alias") or node.get("name"), partial)
        for uid, node in (manifest.get("sources") or {}).items():
            self._add(uid, node, node.get("identifier") or node.get("name"), partial)
        for key, uids in partial.items():
            if len(uids) == 1 and key not in self.by_key:
                self.by_key[key] = next(iter(uids))
        self.columns: dict[str, list[str] | None] = {}
        self._digests: dict[str, str] = {}
        for uid, node in self.nodes.items():
            if node.get("resource_type") == "seed":
                self.columns[uid] = _seed_header(node, project) or _declared(node)
            elif node.get("resource_type") != "model":
                self.columns[uid] = _declared(node)

    def _add(
        self,
        uid: str,
        node: Mapping[str, Any],
        identifier: Any,
        partial: dict[RelationKey, set[str]],
    ) -> None:
        self.nodes[uid] = node
        database, schema = str(node.get("database") or ""), str(node.get("schema") or "")
        name = str(identifier or "")
        self.by_key[relation_key([database, schema, name])] = uid
        # SQL may name a relation without its database (or schema): unique short names resolve.
        partial.setdefault(relation_key([schema, name]), set()).add(uid)
        partial.setdefault(relation_key([name]), set()).add(uid)

    def set_columns(self, uid: str, columns: list[str] | None) -> None:
        self.columns[uid] = columns
        self._digests.pop(uid, None)

    def digest_of(self, uid: str) -> str:
        """columns_digest of a relation's columns, computed once per relation."""
        digest = self._digests.get(uid)
        if digest is None:
            digest = self._digests[uid] = columns_digest(self.columns.get(uid))
        return digest

    def columns_of(self, uid: str) -> list[str] | None:
        return self.columns.get(uid)

    def node_of(self, key: RelationKey) -> str | None:
        return self.by_key.get(key)

    def columns_by_key(self, key: RelationKey) -> list[str] | None:
        uid = self.by_key.get(key)
        return self.columns.get(uid) if uid is not None else None


def _seed_header(node: Mapping[str, Any], project: DbtProject | None) -> list[str] | None:
    root = Path(str(node.get("root_path"))) if node.get("root_path") else None
    root = project.path if project is not None else root
    path = node.get("original_file_path")
    if root is None or not isinstance(path, str):
        return None
    try:
        with open(root / path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [h.strip().lower() for h in header] if header else None
