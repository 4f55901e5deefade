"""The lineage cache file: entries survive a save and load, with or without compaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_ci.integrations.dbt.lineage import CACHE_FILE, load_cache, save_cache
from floe_ci.lineage.cache_format import LineageCache
from floe_ci.lineage.column_refs import RelationKey, SqlColumn, SqlColumns

DB = "memory"


def rel(name: str) -> RelationKey:
    return (DB, "main", name)


def resolved(cache: LineageCache) -> dict[str, Any]:
    """Entries with relation indexes replaced by the relations: what the cache means."""
    out: dict[str, Any] = {}
    for uid, (key, (error, columns)) in cache.lineage.items():
        shown = None
        if columns is not None:
            shown = [
                [
                    name,
                    [(cache.relations[flat[i]], flat[i + 1]) for i in range(0, len(flat), 2)],
                    transform,
                    unresolved,
                ]
                for name, flat, transform, unresolved in columns
            ]
        out[uid] = (key, error, shown)
    return out


def cache_with(models: dict[str, list[str]]) -> LineageCache:
    """One entry per model, each column copied from the relation of the same name."""
    cache = LineageCache()
    for uid, sources in models.items():
        result = SqlColumns(tuple(SqlColumn(f"c_{s}", ((rel(s), "id"),), "copy") for s in sources))
        cache.lineage[uid] = (f"key-{uid}", cache.encode(result))
    cache.lineage["model.p.broken"] = ("key-broken", ("cannot parse", None))
    cache.compiled["model.p.jinja"] = ("fingerprint", "select 1")
    return cache


def test_round_trip_keeps_indexes_when_all_relations_are_used(tmp_path: Path) -> None:
    cache = cache_with({"model.p.a": ["x", "y"], "model.p.b": ["y", "z"]})
    save_cache(tmp_path, cache)
    loaded = load_cache(tmp_path)
    assert loaded.relations == cache.relations
    assert resolved(loaded) == resolved(cache)
    assert loaded.compiled == cache.compiled


def test_unused_relations_are_dropped_and_entries_renumbered(tmp_path: Path) -> None:
    cache = cache_with({f"model.p.m{i}": [f"r{i}"] for i in range(8)})
    for i in range(7):  # seven of eight models gone: their relations are unused now
        del cache.lineage[f"model.p.m{i}"]
    save_cache(tmp_path, cache)
    loaded = load_cache(tmp_path)
    assert loaded.relations == [rel("r7")]
    assert resolved(loaded) == resolved(cache)


def test_a_few_unused_relations_are_kept(tmp_path: Path) -> None:
    cache = cache_with({f"model.p.m{i}": [f"r{i}"] for i in range(8)})
    del cache.lineage["model.p.m0"]
    save_cache(tmp_path, cache)
    loaded = load_cache(tmp_path)
    assert len(loaded.relations) == 8
    assert resolved(loaded) == resolved(cache)
    # New entries after loading get fresh indexes, past the kept ones.
    loaded.lineage["model.p.new"] = (
        "k",
        loaded.encode(SqlColumns((SqlColumn("c", ((rel("n"), "id"),), "copy"),))),
    )
    save_cache(tmp_path, loaded)
    assert resolved(load_cache(tmp_path)) == resolved(loaded)


def test_a_corrupt_file_loads_as_empty(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text('{"engine": "3", "relations": [[1]]')
    assert load_cache(tmp_path).lineage == {}


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_save_after_a_load_writes_only_the_change(tmp_path: Path) -> None:
    from floe_ci.integrations.dbt.lineage import StoredCache

    save_cache(tmp_path, cache_with({f"model.p.m{i}": [f"r{i}", "shared"] for i in range(40)}))
    stored = StoredCache(tmp_path)
    loaded = stored.load()
    changed = LineageCache(loaded.relations, dict(loaded.lineage), {}, dict(loaded.plain))
    changed.lineage["model.p.m3"] = (
        "new key",
        changed.encode(SqlColumns((SqlColumn("c", ((rel("brand new"), "id"),), "copy"),))),
    )
    del changed.lineage["model.p.m5"]
    stored.save(changed)
    assert len(_files(tmp_path)) == 2  # the base and one delta
    delta = next(p for p in tmp_path.iterdir() if p.name != CACHE_FILE).read_text()
    assert "model.p.m3" in delta and "model.p.m4" not in delta and "brand new" in delta
    again = load_cache(tmp_path)
    assert resolved(again) == resolved(changed)
    assert (again.compiled, again.relations) == ({}, changed.relations)


def test_an_unreadable_delta_is_dropped_and_the_next_save_is_whole(tmp_path: Path) -> None:
    from floe_ci.integrations.dbt.lineage import StoredCache

    original = cache_with({f"model.p.m{i}": [f"r{i}"] for i in range(40)})
    save_cache(tmp_path, original)
    stored = StoredCache(tmp_path)
    loaded = stored.load()
    edited = LineageCache(loaded.relations, {**loaded.lineage, "model.p.m1": ("k", ("e", None))})
    stored.save(edited)
    delta = next(p for p in tmp_path.iterdir() if p.name != CACHE_FILE)
    delta.write_text('{"engine": "another"}')
    fresh = StoredCache(tmp_path)
    assert resolved(fresh.load()) == resolved(original)  # as if the delta was never written
    fresh.save(edited)
    assert _files(tmp_path) == [CACHE_FILE]
    assert resolved(load_cache(tmp_path)) == resolved(edited)


def test_deltas_carry_compiled_plain_and_failed_changes(tmp_path: Path) -> None:
    from floe_ci.integrations.dbt.lineage import StoredCache

    cache = cache_with({f"model.p.m{i}": [f"r{i}"] for i in range(40)})
    cache.plain.update({"model.p.m1": ("fp1", "sql1"), "model.p.m2": ("fp2", "sql2")})
    cache.failed["model.p.m3"] = ("fp3", "needs the warehouse")
    save_cache(tmp_path, cache)
    stored = StoredCache(tmp_path)
    loaded = stored.load()
    plain = {**loaded.plain, "model.p.m1": ("fp1b", "sql1b")}
    del plain["model.p.m2"]
    edited = LineageCache(loaded.relations, dict(loaded.lineage), {}, plain, {})
    stored.save(edited)
    assert len(_files(tmp_path)) == 2
    again = load_cache(tmp_path)
    assert (again.compiled, again.plain, again.failed) == ({}, plain, {})


def test_a_base_of_another_engine_is_replaced_whole(tmp_path: Path) -> None:
    from floe_ci.delta_file import DeltaFile
    from floe_ci.integrations.dbt.lineage import StoredCache

    DeltaFile(tmp_path / CACHE_FILE).write_base('{"engine": "0", "lineage": {}}' + " " * 4000)
    stored = StoredCache(tmp_path)
    assert stored.load().lineage == {}
    stored.save(cache_with({"model.p.a": ["x"]}))
    assert _files(tmp_path) == [CACHE_FILE]
    assert "model.p.a" in load_cache(tmp_path).lineage


def test_many_small_saves_end_in_a_new_base(tmp_path: Path) -> None:
    from floe_ci.delta_file import MAX_DELTAS
    from floe_ci.integrations.dbt.lineage import StoredCache

    save_cache(tmp_path, cache_with({f"model.p.m{i}": [f"r{i}"] for i in range(400)}))
    for run in range(MAX_DELTAS + 1):
        stored = StoredCache(tmp_path)
        loaded = stored.load()
        entries = {**loaded.lineage, "model.p.m1": (f"key {run}", ("e", None))}
        stored.save(LineageCache(loaded.relations, entries, dict(loaded.compiled)))
        assert len(_files(tmp_path)) == 1 + (run + 1) % (MAX_DELTAS + 1)
    assert load_cache(tmp_path).lineage["model.p.m1"][0] == f"key {MAX_DELTAS}"
