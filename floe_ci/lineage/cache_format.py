"""The lineage cache's content and its JSON form.

The file itself (one under `.floe/cache/lineage/`, written whole now and then and grown by
deltas in between, see floe_ci.delta_file) is read and written by
`floe_ci.integrations.dbt.lineage`; `encode_delta` and `apply_delta` are the deltas' form.

One file rather than one per model: opening 5,000 small files costs more than parsing one
file of ~3 MB (see bench/bench_lineage.py). Entries stay in their compact JSON form in
memory (`Encoded`); `ColumnLineage` turns a model's entry into objects only when asked.
An entry is keyed by a hash of the model's compiled SQL, the dialect, the engine version and
its parents' column lists: a change to a model invalidates it and, when its output columns
change, its children. Anything unreadable counts as empty: a cache can always be rebuilt.

`failed` keeps, for models dbt was asked to compile and did not (or that need the
warehouse), the same fingerprint as `compiled` and the reason: a negative result is reused
like a positive one, so an unchanged project starts no dbt child. A model that needs the
warehouse and is checked without one is kept under its `plain` fingerprint, dbt's version
and adapter and the renderer's code instead (compiled_sql._needs_warehouse_key): it is not
even rendered again.

`plain` keeps, for models rendered without Jinja, the fingerprint of what the rendering read
(raw code, config, depends_on, the relation tables) and the digest of the SQL it gave: a
warm run reuses the digest instead of rendering and hashing 5,000 models again; the lineage
key above still decides whether the analysis is reused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from floe_ci import fastjson
from floe_ci.lineage.column_refs import RelationKey, SqlColumns

# Bump when sql_columns changes what it computes: old entries then miss.
ENGINE_VERSION = "7"  # 7: string literals hidden in details

# (error, columns): columns are [name, [relation index, column, ...], transform, unresolved]
# with relation indexes into LineageCache.relations; None when the SQL gave no columns.
Encoded = tuple[str | None, list[list[Any]] | None]


@dataclass
class LineageCache:
    """Lineage entries (key, Encoded) and dbt-compiled SQL (fingerprint, sql) by unique_id."""

    relations: list[RelationKey] = field(default_factory=list)
    lineage: dict[str, tuple[str, Encoded]] = field(default_factory=dict)
    compiled: dict[str, tuple[str, str]] = field(default_factory=dict)
    plain: dict[str, tuple[str, str]] = field(default_factory=dict)
    # unique_id -> (fingerprint, why no SQL): compilations that failed, reused while unchanged
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)
    _index: dict[RelationKey, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index = {key: i for i, key in enumerate(self.relations)}

    def encode(self, result: SqlColumns) -> Encoded:
        if result.columns is None:
            return (result.error, None)
        columns = []
        for column in result.columns:
            flat: list[Any] = []
            for key, name in column.sources:
                index = self._index.get(key)
                if index is None:
                    index = self._index[key] = len(self.relations)
                    self.relations.append(key)
                flat += (index, name)
            columns.append([column.name, flat, column.transform, column.unresolved])
        return (result.error, columns)


def output_names(entry: Encoded) -> list[str] | None:
    return [c[0] for c in entry[1]] if entry[1] is not None else None


def columns_digest(columns: Sequence[str] | None) -> str:
    """A short stand-in for a column list in cache keys."""
    if columns is None:
        return "none"
    return hashlib.sha256("\1".join(columns).encode()).hexdigest()


def cache_key(sql_digest: str, dialect: str, parents: Iterable[tuple[str, str]]) -> str:
    """Key of a lineage entry: the SQL's digest and (parent unique_id, columns_digest)s."""
    # one text, hashed at once: the bytes the parts fed one by one would give
    parts = [ENGINE_VERSION, dialect, sql_digest]
    for parent, columns in parents:
        parts += (parent, columns)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def decode_cache(raw: bytes | str) -> LineageCache:
    """The cache from its JSON text; anything unreadable or of another engine is empty."""
    try:
        data = fastjson.loads(raw)
        if data.get("engine") != ENGINE_VERSION:
            return LineageCache()
        relations = [(str(a), str(b), str(c)) for a, b, c in data["relations"]]
        lineage = {uid: (key, (err, cols)) for uid, (key, err, cols) in data["lineage"].items()}
        compiled = {uid: (key, sql) for uid, (key, sql) in data["compiled"].items()}
        plain = {uid: (str(fp), str(sql)) for uid, (fp, sql) in data["plain"].items()}
        failed = {uid: (str(fp), str(why)) for uid, (fp, why) in data.get("failed", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return LineageCache()
    return LineageCache(relations, lineage, compiled, plain, failed)


def encode_cache(cache: LineageCache) -> str:
    """The cache as compact JSON.

    Relation indexes stay as they are (no pass over every column) unless more than a
    quarter of the relations are no longer used: then only the used ones are kept and the
    entries renumbered."""
    entries = sorted(cache.lineage.items())
    used: set[int] = set()
    for _uid, (_key, (_error, columns)) in entries:
        for column in columns or ():
            used.update(column[1][0::2])
    relations: list[Any]
    if 4 * len(used) >= 3 * len(cache.relations):
        lineage = {uid: _lineage_row(value) for uid, value in entries}
        relations = [list(relation) for relation in cache.relations]
    else:
        renumbered: dict[int, int] = {}
        lineage = {}
        for uid, (key, (error, columns)) in entries:
            if columns is not None:
                columns = [
                    [name, _renumber(flat, renumbered), transform, unresolved]
                    for name, flat, transform, unresolved in columns
                ]
            lineage[uid] = _lineage_row((key, (error, columns)))
        order = sorted(renumbered.items(), key=lambda item: item[1])
        relations = [list(cache.relations[old]) for old, _new in order]
    data = {
        "engine": ENGINE_VERSION,
        "relations": relations,
        "lineage": lineage,
        "compiled": {uid: [key, sql] for uid, (key, sql) in sorted(cache.compiled.items())},
        "plain": {uid: [fp, sql] for uid, (fp, sql) in sorted(cache.plain.items())},
        "failed": {uid: [fp, why] for uid, (fp, why) in sorted(cache.failed.items())},
    }
    return fastjson.dumps_compact(data)


def encode_delta(before: LineageCache, relations_before: int, after: LineageCache) -> str:
    """What changed from `before` to `after`, as compact JSON for apply_delta: the rows
    `after` added to the relation table they share (`before` had `relations_before`), the
    entries added or changed, and those removed (null)."""
    data = {
        "engine": ENGINE_VERSION,
        "from": relations_before,
        "relations": [list(key) for key in after.relations[relations_before:]],
        "lineage": _changed(before.lineage, after.lineage, _lineage_row),
        "compiled": _changed(before.compiled, after.compiled, list),
        "plain": _changed(before.plain, after.plain, list),
        "failed": _changed(before.failed, after.failed, list),
    }
    return fastjson.dumps_compact(data)


def _lineage_row(value: tuple[str, Encoded]) -> list[Any]:
    """A lineage entry as the JSON stores it: [key, error, columns]."""
    key, (error, columns) = value
    return [key, error, columns]


def _changed(
    before: dict[str, Any], after: dict[str, Any], shown: Callable[[Any], Any]
) -> dict[str, Any]:
    # an entry reused from `before` is the same object: most comparisons stop at identity
    out = {uid: shown(value) for uid, value in after.items() if before.get(uid) != value}
    out.update((uid, None) for uid in before if uid not in after)
    return out


def apply_delta(cache: LineageCache, raw: bytes | str) -> bool:
    """`cache` updated by an encode_delta made on top of it; False (and `cache` unchanged)
    when the delta is unreadable, of another engine, or made on another relation table."""
    try:
        data = fastjson.loads(raw)
        if data.get("engine") != ENGINE_VERSION or data["from"] != len(cache.relations):
            return False
        relations = [(str(a), str(b), str(c)) for a, b, c in data["relations"]]
        lineage = {
            str(uid): None if value is None else (str(value[0]), (value[1], value[2]))
            for uid, value in data["lineage"].items()
        }
        pairs = {
            name: {
                str(uid): None if value is None else (str(value[0]), str(value[1]))
                for uid, value in data[name].items()
            }
            for name in ("compiled", "plain", "failed")
        }
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return False
    for key in relations:
        cache._index.setdefault(key, len(cache.relations))
        cache.relations.append(key)
    merge_changes(cache.lineage, lineage)
    merge_changes(cache.compiled, pairs["compiled"])
    merge_changes(cache.plain, pairs["plain"])
    merge_changes(cache.failed, pairs["failed"])
    return True


def merge_changes(entries: dict[str, Any], changes: dict[str, Any]) -> None:
    """One delta's changes applied to what the base and earlier deltas gave: None removes
    (the findings memo's deltas too)."""
    for key, value in changes.items():
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value


def _renumber(flat: list[Any], used: dict[int, int]) -> list[Any]:
    out = list(flat)
    for i in range(0, len(out), 2):
        out[i] = used.setdefault(out[i], len(used))
    return out
