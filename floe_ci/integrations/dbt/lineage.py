"""Column lineage of a dbt project: compiled SQL from dbt, the cache file, the pure builder.

Usage::

    from floe_ci.integrations.dbt.lineage import build_column_lineage

    lineage = build_column_lineage(
        manifest,                      # dict: manifest.json (from `dbt parse` is enough)
        project_dir,                   # dbt project folder or DbtProject (for Jinja models, seeds)
        state_dir / "cache" / "lineage",  # cache folder, or None for no cache
    )
    lineage.upstream("model.shop.customers", "email")     # see floe_ci.lineage.column_lineage

The analysis itself is `floe_ci.lineage.builder.build_lineage` (pure, SQL given as data);
this module obtains the SQL (compiled_sql.py, running dbt only where it must), reads seeds'
CSV headers, and loads and saves the cache (`.floe/cache/lineage/lineage-cache.json` and
the deltas written beside it since, see floe_ci.delta_file).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from floe_ci.dbt_manifest import Manifest
from floe_ci.delta_file import DeltaFile
from floe_ci.gc_tuning import collector_paused, freeze_now, long_lived_objects
from floe_ci.integrations.dbt.compiled_sql import Warehouse, obtain_compiled_sql, relation_key
from floe_ci.integrations.dbt.packages import package_roots
from floe_ci.integrations.dbt.project import DbtProject, read_project
from floe_ci.integrations.dbt.seeds import seed_columns
from floe_ci.integrations.dbt.unbuilt_relations import MAX_ROUNDS, compile_unbuilt
from floe_ci.lineage.builder import Analyser, build_lineage
from floe_ci.lineage.cache_format import (
    LineageCache,
    apply_delta,
    decode_cache,
    encode_cache,
    encode_delta,
)
from floe_ci.lineage.column_lineage import ColumnLineage

CACHE_FILE = "lineage-cache.json"


def build_column_lineage(
    manifest: Mapping[str, Any],
    project: DbtProject | Path | None = None,
    cache_dir: Path | None = None,
    *,
    dialect: str | None = None,
    packages: Mapping[str, Path] | None = None,
    warehouse: Warehouse | None = None,
    on_model: Callable[[int, int], None] | None = None,
    elsewhere: Analyser | None = None,
) -> ColumnLineage:
    """Column lineage of every model of a dbt project.

    `manifest` is the parsed manifest.json (from `dbt parse` is enough). `project` (the dbt
    project folder or its DbtProject) is needed only for models whose Jinja goes beyond
    ref/source/config (they are compiled with dbt) and for seeds' CSV headers. `cache_dir`
    (normally `<floe.yaml folder>/.floe/cache/lineage`) enables the cache; None computes all.
    `dialect` defaults to the manifest's adapter type. `packages` (package -> folder, from
    packages.package_roots, computed when None) is where a package's seeds are read.
    `warehouse` (compiled_sql.Warehouse: the user's target or catalog.json's columns) is
    how models whose Jinja reads the warehouse compile; without it they stay unresolved,
    their reason naming the call. `on_model(done, total)` follows the analysis model by model.
    `elsewhere` (a builder.Analyser: app.sql_worker's helper process) analyses SQL while it can.

    Example::

        lineage = build_column_lineage(manifest, project_dir, state_dir / "cache" / "lineage")
        lineage.upstream("model.shop.customers", "email")
        # [ColumnRef('model.shop.stg_customers', 'stg_customers', 'email')]
        for ref, path in lineage.paths_from("model.shop.stg_customers", "email").items():
            print(" -> ".join(map(str, path)))  # stg_customers.email -> customers.email
        lineage.unresolved("model.shop.customers")  # {} when every column was traced
    """
    with long_lived_objects() as settled:
        settled()  # the manifest: hundreds of thousands of objects living as long as this
        if cache_dir is not None:
            work = cache_dir / "work"
            return _build(
                manifest, project, cache_dir, work, dialect, packages, warehouse, on_model,
                elsewhere,
            )  # fmt: skip
        # `dbt compile` needs somewhere to write, even without a cache
        with tempfile.TemporaryDirectory(prefix="floe-lineage-") as scratch:
            return _build(
                manifest, project, None, Path(scratch), dialect, packages, warehouse, on_model,
                elsewhere,
            )  # fmt: skip


def _build(
    manifest: Mapping[str, Any],
    project: DbtProject | Path | None,
    cache_dir: Path | None,
    work_dir: Path,
    dialect: str | None,
    packages: Mapping[str, Path] | None,
    warehouse: Warehouse | None,
    on_model: Callable[[int, int], None] | None = None,
    elsewhere: Analyser | None = None,
) -> ColumnLineage:
    dbt_project = _as_project(project)
    if packages is None:
        packages = package_roots(dbt_project) if dbt_project is not None else {}
    stored = StoredCache(cache_dir) if cache_dir is not None else None
    with collector_paused():
        cache = stored.load() if stored is not None else LineageCache()
        freeze_now()  # the cache's entries live as long as the lineage
    view = Manifest(manifest)  # one view for all three: each section is wrapped once
    compiled = obtain_compiled_sql(
        view,
        dbt_project,
        work_dir,
        cache.compiled,
        cache.plain if cache_dir else None,
        failed=cache.failed,
        warehouse=warehouse,
    )
    known = {**seed_columns(view, dbt_project, packages), **_source_columns(view, warehouse)}
    built = build_lineage(
        view, compiled, cache, known, dialect=dialect, on_model=on_model, elsewhere=elsewhere
    )
    changed = built.changed
    for _round in range(MAX_ROUNDS):
        if not compiled.unbuilt or warehouse is None or dbt_project is None:
            break
        again = compile_unbuilt(
            view, dbt_project, work_dir, compiled, warehouse, built.lineage.relation_columns
        )
        if not again:
            break
        # Everything else is in the cache just made: this pass analyses only those models.
        made = built.cache
        cache = LineageCache(
            made.relations, made.lineage, {**made.compiled, **again}, made.plain, made.failed
        )
        compiled = obtain_compiled_sql(
            view,
            dbt_project,
            work_dir,
            cache.compiled,
            cache.plain,
            failed=cache.failed,
            warehouse=warehouse,
        )
        built = build_lineage(
            view, compiled, cache, known, dialect=dialect, on_model=on_model, elsewhere=elsewhere
        )
        changed = True
    if stored is not None and changed:
        stored.save(built.cache)
    return built.lineage


def _source_columns(view: Manifest, warehouse: Warehouse | None) -> dict[str, list[str] | None]:
    """The warehouse's columns of each source (from catalog.json): a staging model's
    `select * from {{ source(...) }}` then has the columns the warehouse will give it."""
    columns = warehouse.columns if warehouse is not None else None
    if not columns:
        return {}
    found: dict[str, list[str] | None] = {}
    for uid, source in view.sources.items():
        pairs = columns.get(relation_key(source))
        if pairs:
            found[uid] = [name for name, _type in pairs]
    return found


class StoredCache:
    """The lineage cache file of a folder (delta_file.DeltaFile): a save after a load writes
    only what changed since, while that stays small."""

    def __init__(self, directory: Path) -> None:
        self.file = DeltaFile(directory / CACHE_FILE)
        self._loaded: LineageCache | None = None
        self._loaded_relations = 0

    def load(self) -> LineageCache:
        """The cache stored; empty when there is none or it is unreadable."""
        segments = self.file.read()
        if segments.base is None:
            return LineageCache()
        cache = decode_cache(segments.base)
        if not (cache.relations or cache.lineage or cache.compiled or cache.plain or cache.failed):
            self.file.broken()  # another engine's or unreadable: replaced whole, not grown
        for delta in segments.deltas:
            if not apply_delta(cache, delta):
                self.file.broken()  # and the later deltas were made on top of this one
                break
        self._loaded, self._loaded_relations = cache, len(cache.relations)
        return cache

    def save(self, cache: LineageCache) -> None:
        """Store `cache`: as a delta from the one loaded when it extends its relation table
        and the deltas stay small, else whole."""
        loaded = self._loaded
        if loaded is not None and cache.relations is loaded.relations:
            delta = encode_delta(loaded, self._loaded_relations, cache)
            if self.file.wants_delta(len(delta)):
                self.file.write_delta(delta)
                self._loaded, self._loaded_relations = cache, len(cache.relations)
                return
        self.file.write_base(encode_cache(cache))
        # the base renumbers relations when many are unused: a delta needs a fresh load
        self._loaded, self._loaded_relations = None, 0


def load_cache(directory: Path | None) -> LineageCache:
    """The cache stored in `directory`; empty when there is none or it is unreadable."""
    return LineageCache() if directory is None else StoredCache(directory).load()


def save_cache(directory: Path, cache: LineageCache) -> None:
    """Store `cache` in `directory` whole."""
    StoredCache(directory).save(cache)


def _as_project(project: DbtProject | Path | None) -> DbtProject | None:
    if project is None or isinstance(project, DbtProject):
        return project
    return read_project(Path(project), str(project))
