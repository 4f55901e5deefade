"""Build the column lineage of a whole dbt project, model by model in DAG order.

Pure: the compiled SQL comes from a `SqlSource` (floe_ci.integrations.dbt.compiled_sql
provides it, running dbt where it must), the previous run's results from a `LineageCache`
decoded by the caller, seeds' columns as data. A parent's column list, needed to expand
`select *`, is the lineage engine's own output for a model analysed earlier in DAG order (the
SQL is what the warehouse will produce; declared columns are often partial), the declared
columns when the SQL gave none, the CSV header for a seed, the warehouse's (catalog.json) or
the declared columns for a source.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from floe_ci.dbt_manifest import Manifest, ManifestNode
from floe_ci.gc_tuning import freeze_now
from floe_ci.lineage.cache_format import Encoded, LineageCache, cache_key, output_names
from floe_ci.lineage.column_lineage import ColumnLineage
from floe_ci.lineage.column_refs import RelationColumns, RelationKey, SqlColumns
from floe_ci.lineage.relation_index import RelationIndex


class SqlSource(Protocol):
    """Each model's compiled SQL, as far as it could be obtained (see compiled_sql.py)."""

    failures: dict[str, str]
    pending: dict[str, str]
    dbt_compiled: dict[str, tuple[str, str]]
    plain: dict[str, tuple[str, str]]
    failed: dict[str, tuple[str, str]]  # negative results to cache: (fingerprint, reason)

    def has_sql(self, uid: str) -> bool: ...
    def digest(self, uid: str) -> str: ...
    def sql_of(self, uid: str) -> str | None: ...
    def finish(self) -> None: ...
    def cancel(self) -> None: ...
    def figures(self) -> dict[str, int]: ...


class Analyser(Protocol):
    """analyse_sql run elsewhere (app.sql_worker: a helper process); None when it
    cannot (it is gone, or it did its share), so the statement is analysed here.

    `likely` are the relations the SQL most likely reads (its model's parents): their
    columns go with the statement, and those of any other relation it reads are asked for."""

    def __call__(
        self,
        sql: str,
        dialect: str,
        relation_columns: RelationColumns,
        likely: Sequence[RelationKey],
    ) -> SqlColumns | None: ...


@dataclass(frozen=True)
class BuiltLineage:
    lineage: ColumnLineage
    cache: LineageCache  # what to store for the next run
    changed: bool  # whether `cache` differs from the one handed in


def build_lineage(
    manifest: Mapping[str, Any] | Manifest,
    compiled: SqlSource,
    cache: LineageCache,
    known_columns: Mapping[str, list[str] | None],
    *,
    dialect: str | None = None,
    on_model: Callable[[int, int], None] | None = None,
    elsewhere: Analyser | None = None,
) -> BuiltLineage:
    """Column lineage of every model; `dialect` defaults to the manifest's adapter type.

    `on_model(done, total)` is called after each model (the caller's progress display).
    `elsewhere` analyses statements in another process while it can (see Analyser)."""
    manifest = manifest if isinstance(manifest, Manifest) else Manifest(manifest)
    adapter = manifest.adapter_type
    sql_dialect = dialect or _DIALECTS.get(adapter, adapter)
    analyse = _Analyse(sql_dialect, elsewhere)
    relations = RelationIndex(manifest, known_columns)
    models = manifest.models()
    entries: dict[str, Encoded] = {}
    fresh: dict[str, tuple[str, Encoded]] = {}
    names: dict[str, list[str] | None] = {}  # output columns of the entries made
    counts = {"hits": 0, "analysed": 0}

    def process(uid: str) -> None:
        node = models[uid]
        if not compiled.has_sql(uid):
            entries[uid] = (compiled.failures.get(uid, "no compiled SQL"), None)
            relations.set_columns(uid, node.declared_columns())
            return
        parents = sorted(set(node.depends_on_nodes))
        key = cache_key(
            compiled.digest(uid), sql_dialect, ((p, relations.digest_of(p)) for p in parents)
        )
        cached = cache.lineage.get(uid)
        if cached is not None and cached[0] == key:
            entry = cached[1]
            counts["hits"] += 1
        elif (sql := compiled.sql_of(uid)) is None:  # the same inputs rendered last time
            entries[uid] = ("the SQL could not be rendered again; delete .floe/cache/", None)
            relations.set_columns(uid, node.declared_columns())
            return
        else:
            try:
                likely = relations.keys_of(parents)
                entry = cache.encode(analyse(sql, relations.columns_by_key, likely))
            except RecursionError:
                # the analysis walks queries and CTEs recursively: a query nested thousands
                # deep (or a CTE read in a cycle) fails that model, not the whole check
                entry = ("the SQL analysis exceeded Python's recursion limit", None)
            counts["analysed"] += 1
        fresh[uid] = (key, entry)
        entries[uid] = entry
        names[uid] = output_names(entry)
        relations.set_columns(uid, names[uid] or node.declared_columns())

    def step(uid: str) -> None:
        process(uid)
        if on_model is not None:
            on_model(len(entries), len(models))

    # Models waiting for `dbt compile` (and their descendants) go last, so the analysis of
    # the others overlaps with dbt's run in its child process.
    deferred: list[str] = []
    blocked: set[str] = set(compiled.pending)
    try:
        for uid in _dag_order(models):
            parents = models[uid].depends_on_nodes
            if uid in blocked or any(p in blocked for p in parents):
                blocked.add(uid)
                deferred.append(uid)
            else:
                step(uid)
        compiled.finish()
    finally:
        compiled.cancel()
    for uid in deferred:
        step(uid)

    changed = bool(
        counts["analysed"]
        or set(fresh) != set(cache.lineage)
        or compiled.dbt_compiled != cache.compiled
        or compiled.plain != cache.plain
        or compiled.failed != cache.failed
    )
    stored = (
        LineageCache(
            cache.relations,
            fresh,
            dict(compiled.dbt_compiled),
            dict(compiled.plain),
            dict(compiled.failed),
        )
        if changed
        else cache
    )

    # Counted now, except unresolved columns (a pass over every column): on first use.
    figures = {
        "models": len(models),
        "analysed": counts["analysed"],
        "cache_hits": counts["hits"],
        "failed_models": sum(1 for entry in entries.values() if entry[1] is None),
        **compiled.figures(),
    }
    lineage = ColumnLineage(relations, cache.relations, entries, figures)
    lineage._names.update(names)
    return BuiltLineage(lineage, stored, changed)


# sqlglot dialect names for dbt adapter types that differ.
_DIALECTS = {"sqlserver": "tsql", "synapse": "tsql", "fabric": "tsql", "bigquery": "bigquery"}


class _Analyse:
    """analyse_sql elsewhere while that can, else here, importing sqlglot on first use: a
    warm run may never need it."""

    def __init__(self, dialect: str, elsewhere: Analyser | None = None) -> None:
        self.dialect = dialect
        self.elsewhere = elsewhere
        self.run: Callable[[str, str, RelationColumns], SqlColumns] | None = None

    def __call__(
        self, sql: str, relation_columns: RelationColumns, likely: Sequence[RelationKey] = ()
    ) -> SqlColumns:
        if self.elsewhere is not None:
            done = self.elsewhere(sql, self.dialect, relation_columns, likely)
            if done is not None:
                return done
            self.elsewhere = None  # it is gone or did its share: the rest is analysed here
        if self.run is None:
            from floe_ci.lineage.sql_columns import analyse_sql, known_dialect

            freeze_now()  # sqlglot's modules live as long as the process: never walk them
            self.dialect = known_dialect(self.dialect)
            self.run = analyse_sql
        return self.run(sql, self.dialect, relation_columns)


def _dag_order(models: Mapping[str, ManifestNode]) -> Iterator[str]:
    """Models parents first (Kahn's algorithm; ties in unique_id order for stable output)."""
    parents = {uid: {p for p in n.depends_on_nodes if p in models} for uid, n in models.items()}
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
