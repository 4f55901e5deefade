"""The lineage cache: one JSON file under `.floe/cache/lineage/`, loaded and written whole.

One file rather than one per model: 5,000 small files cost more to open than one file of a
few MB costs to parse (see bench/bench_lineage.py). An entry is keyed by a hash of the
model's compiled SQL, the SQL dialect, the engine version and its parents' column lists, so a
change to a model invalidates it and, when its output columns change, its children.
Anything unreadable is treated as empty: a cache can always be rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_ci.fsutil import write_atomic
from floe_ci.lineage.model import SqlColumn, SqlColumns, Transform

# Bump when sql_columns changes what it computes: old entries then miss.
ENGINE_VERSION = "1"
CACHE_FILE = "lineage-cache.json"
_TRANSFORMS: dict[str, Transform] = {
    "copy": "copy",
    "expression": "expression",
    "aggregate": "aggregate",
}


@dataclass
class LineageCache:
    """Entries by model unique_id: lineage (key, result) and dbt-compiled SQL (fingerprint, sql)."""

    lineage: dict[str, tuple[str, SqlColumns]] = field(default_factory=dict)
    compiled: dict[str, tuple[str, str]] = field(default_factory=dict)


def cache_key(sql: str, dialect: str, parents: Iterable[tuple[str, Sequence[str] | None]]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{ENGINE_VERSION}\0{dialect}\0".encode())
    digest.update(sql.encode())
    for parent, columns in parents:
        digest.update(f"\0{parent}\0".encode())
        digest.update("\1".join(columns).encode() if columns is not None else b"\2")
    return digest.hexdigest()


def load_cache(directory: Path | None) -> LineageCache:
    if directory is None:
        return LineageCache()
    try:
        data = json.loads((directory / CACHE_FILE).read_bytes())
        if data.get("engine") != ENGINE_VERSION:
            return LineageCache()
        lineage = {uid: (key, _decode(value)) for uid, (key, value) in data["lineage"].items()}
        compiled = {uid: (key, sql) for uid, (key, sql) in data["compiled"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return LineageCache()
    return LineageCache(lineage, compiled)


def save_cache(directory: Path, cache: LineageCache) -> None:
    data = {
        "engine": ENGINE_VERSION,
        "lineage": {uid: [key, _encode(v)] for uid, (key, v) in sorted(cache.lineage.items())},
        "compiled": {uid: [key, sql] for uid, (key, sql) in sorted(cache.compiled.items())},
    }
    write_atomic(directory / CACHE_FILE, json.dumps(data, separators=(",", ":")))


def _encode(result: SqlColumns) -> list[Any]:
    columns = None
    if result.columns is not None:
        columns = [
            [c.name, [[*rel, col] for rel, col in c.sources], c.transform, c.unresolved]
            for c in result.columns
        ]
    return [columns, result.error]


def _decode(value: Sequence[Any]) -> SqlColumns:
    raw_columns, error = value
    if raw_columns is None:
        return SqlColumns(None, error)
    columns = tuple(
        SqlColumn(
            name,
            tuple(((s[0], s[1], s[2]), s[3]) for s in sources),
            _TRANSFORMS[transform],
            unresolved,
        )
        for name, sources, transform, unresolved in raw_columns
    )
    return SqlColumns(columns, error)
