"""Obtain each model's compiled SQL, which a manifest from `dbt parse` does not carry.

Four sources, cheapest first (figures from bench/bench_lineage.py on the generated project):
1. `compiled_code` already in the manifest (a manifest from `dbt compile`/`run`/`build`).
2. Models whose only Jinja is `ref()`, `source()`, `this`, `config()` and comments (nearly
   all of them): dbt renders `ref('x')` as the node's `relation_name` and `config()` as
   nothing, so substituting them from the manifest gives the SQL `dbt compile` writes (a
   test compares both). Thousands of models take a fraction of a second, without dbt.
3. Models with project macros, `{% set/for/if %}`, `var()`, `env_var()`: rendered with Jinja
   as dbt does (jinja_render.py), or handed on when they use anything else.
4. The rest (`adapter`, `target`, `run_query`, package macros that dispatch to the adapter):
   `dbt compile --select <them>` in a child process (compile_job.py) with the in-memory
   DuckDB profile `dbt parse` uses and the parse's partial_parse.msgpack, overlapping the
   analysis of the other models. Its results are cached under a fingerprint in the spirit
   of dbt's `state:modified` (raw code, config, the macros it calls, the relations it
   reads) so a warm run does not start dbt; output that depends on something outside the
   manifest (`run_query`, the warehouse) is not seen by it: delete `.floe/cache/` to redo.

Models whose Jinja reads the warehouse to compile (`adapter.get_columns_in_relation`,
`run_query`, `dbt_utils.star`, Fivetran's `fill_staging_columns`...) compile against an
empty in-memory DuckDB to something wrong (no columns, or `*`). A `Warehouse` says where
they get the answers: the user's own dbt target (`check --compile-target NAME`), dbt's
catalog.json (`check --catalog FILE`); without one they are not compiled and their reason
names the call (`warehouse_reads`). Failures are cached with the same fingerprint as
successes, so an unchanged project starts no dbt child.

Why not `dbt compile` for everything: it costs a full run of dbt over the project, about
twice `dbt parse` (20.5 s against 10.4 s at 1,000 models here, see the benchmark), while
2 and 3 take well under a second for 5,000 models and give the same SQL.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from floe_ci import fastjson
from floe_ci.dbt_manifest import Manifest, ManifestNode
from floe_ci.fsutil import ensure_folder
from floe_ci.integrations.dbt.compile_job import (
    DbtCompileJob,
    InProcessCompile,
    start_dbt_compile,
)
from floe_ci.integrations.dbt.jinja_render import JinjaRenderer
from floe_ci.integrations.dbt.packages import PackageVars
from floe_ci.integrations.dbt.parse import TargetFields, write_parse_profile
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.integrations.dbt.runner import DbtInvocation, parsed_in_process

# One Jinja tag with the whitespace around it (`{{-`/`-}}` strip it, as Jinja does).
_JINJA = re.compile(
    r"(?P<before>\s*)(?:\{\{(?P<left>-?)(?P<expr>.*?)(?P<right>-?)\}\}|(?P<stmt>\{%)|\{#.*?#\})"
    r"(?P<after>\s*)",
    re.DOTALL,
)
# The two calls nearly every model makes, matched without Python's parser.
_SIMPLE_REF = re.compile(r"ref\(\s*(['\"])([^'\"]+)\1\s*\)")
_SIMPLE_SOURCE = re.compile(r"source\(\s*(['\"])([^'\"]+)\1\s*,\s*(['\"])([^'\"]+)\3\s*\)")


@dataclass(frozen=True)
class Warehouse:
    """Where models that read the warehouse to compile get its answers.

    `target` (with `profiles_dir`, the folder of the user's profiles.yml): compile them
    with that target of the user's profile; the manifest must come from a parse with the
    same target (app/check does it) so that relation names agree. `columns`
    (`schema.identifier` in lower case -> [name, type] pairs, from catalog_columns): answer
    `adapter.get_columns_in_relation` from them. `key` goes into the fingerprints: the SQL
    compiled one way is not reused for the other."""

    profiles_dir: Path | None = None
    target: str | None = None
    columns: Mapping[str, list[list[str]]] | None = None
    # `target.*` of dbt's context for the profile the manifest was parsed with
    target_fields: TargetFields | None = None

    @functools.cached_property
    def key(self) -> str:  # computed once: it is asked for each model, and hashes the catalog
        parts: list[Any] = [self.target, sorted((self.columns or {}).items())]
        if self.target_fields is not None:
            parts.append(self.target_fields.key)
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def catalog_columns(manifest: Manifest, catalog: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """Relation (`schema.identifier` of the manifest's node, lower case) -> [name, type]
    pairs in the catalog's column order, for every node and source of catalog.json
    (`dbt docs generate`), matched by unique_id: the catalog's own schema names come from
    the user's target, the manifest's from floe-ci's parse profile."""
    found: dict[str, list[list[str]]] = {}
    for section in ("nodes", "sources"):
        for uid, entry in (catalog.get(section) or {}).items():
            node = manifest.node(str(uid))
            columns = entry.get("columns") if isinstance(entry, Mapping) else None
            if node is None or not isinstance(columns, Mapping):
                continue
            ordered = sorted(
                (c for c in columns.values() if isinstance(c, Mapping)),
                key=lambda c: int(c.get("index") or 0),
            )
            found[relation_key(node)] = [
                [str(c.get("name")), str(c.get("type") or "")] for c in ordered
            ]
    return found


# Jinja that asks the warehouse while compiling (the in-memory DuckDB has no tables).
_WAREHOUSE_CALL = re.compile(
    r"\b(adapter\.get_columns_in_relation|adapter\.get_relation|adapter\.get_missing_columns"
    r"|get_columns_in_relation|run_query|load_result|call\s+statement)\b"
)


def warehouse_reads(manifest: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """What in the model reads the warehouse to compile (`adapter.get_columns_in_relation`,
    or a macro that calls it), else None. dbt's own macros are not counted: those the
    check's compile relies on (`is_incremental`) answer as for a first run."""
    raw = node.get("raw_code")
    found = _WAREHOUSE_CALL.search(raw) if isinstance(raw, str) else None
    if found is not None:
        return f"the model calls `{found.group(1)}`"
    macros = manifest.get("macros") or {}
    for called in sorted((node.get("depends_on") or {}).get("macros") or []):
        for uid in _macro_closure(macros, {"macros": [called]}):
            macro = macros.get(uid) or {}
            if macro.get("package_name") == "dbt":
                continue
            found = _WAREHOUSE_CALL.search(str(macro.get("macro_sql") or ""))
            if found is not None:
                via = "" if uid == called else f" (through `{_macro_name(macros, uid)}`)"
                return f"`{_macro_name(macros, called)}` calls `{found.group(1)}`{via}"
    return None


def _unbuilt_parents(
    view: Manifest, model: ManifestNode, columns: Mapping[str, list[list[str]]]
) -> list[str]:
    """The relations (unique ids) the model reads that the warehouse (its catalog) lacks."""
    absent = []
    for parent in model.depends_on_nodes:
        relation = view.node(parent)
        if relation is None or relation.materialized == "ephemeral":
            continue
        if relation.resource_type not in ("model", "seed", "snapshot", "source"):
            continue
        if relation_key(relation) not in columns:
            absent.append(parent)
    return absent


def relation_key(relation: ManifestNode) -> str:
    """How catalog_columns and Warehouse.columns name a relation."""
    return f"{relation.schema}.{relation.identifier}".lower()


def _macro_name(macros: Mapping[str, Any], uid: str) -> str:
    macro = macros.get(uid) or {}
    return f"{macro.get('package_name')}.{macro.get('name')}" if macro else uid


@dataclass
class CompiledSql:
    """Compiled SQL by node unique_id, and why it is missing for the others."""

    sql: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    from_manifest: int = 0
    rendered: int = 0
    rendered_jinja: int = 0
    rendered_with_catalog: int = 0
    from_dbt: int = 0
    from_cache: int = 0
    # unique_id -> (fingerprint, SQL compiled by dbt), to be saved in the lineage cache
    dbt_compiled: dict[str, tuple[str, str]] = field(default_factory=dict)
    # unique_id -> fingerprint of the models a running `dbt compile` child is compiling
    pending: dict[str, str] = field(default_factory=dict)
    # unique_id -> (fingerprint, reason) of models with no SQL, to be saved in the cache
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)
    job: DbtCompileJob | InProcessCompile | None = None
    # unique_id -> (source fingerprint, SQL digest) of models rendered in-process (plain or
    # Jinja), to be saved in the cache
    plain: dict[str, tuple[str, str]] = field(default_factory=dict)
    # plain models whose source fingerprint matched the cache: their SQL is rendered only
    # when asked for (sql_of), their digest comes from the cache
    reused: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    rerender: Callable[[Mapping[str, Any]], str | None] | None = None
    # unique_id -> (fingerprint, the relations it reads that the warehouse lacks) of models
    # that read the warehouse to compile: unbuilt_relations.py compiles them again with the
    # lineage's columns of those relations
    unbuilt: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    _digests: dict[str, str] = field(default_factory=dict)

    def figures(self) -> dict[str, int]:
        """Where the SQL came from, for LineageStats."""
        return {
            "compiled_sql_rendered": self.rendered,
            "compiled_sql_from_manifest": self.from_manifest,
            "compiled_sql_from_dbt": self.from_dbt,
            "compiled_sql_cached": self.from_cache,
            "compiled_sql_jinja": self.rendered_jinja,
            "compiled_sql_reused": len(self.reused),
            "compiled_sql_with_catalog": self.rendered_with_catalog,
        }

    def has_sql(self, uid: str) -> bool:
        return uid in self.sql or uid in self.reused

    def digest(self, uid: str) -> str:
        """sha256 of the model's compiled SQL, without rendering a reused model."""
        known = self._digests.get(uid)
        if known is None:
            known = self._digests[uid] = sql_digest(self.sql[uid])
        return known

    def sql_of(self, uid: str) -> str | None:
        """The compiled SQL; a reused model is rendered now (same inputs, same SQL)."""
        sql = self.sql.get(uid)
        if sql is None and uid in self.reused and self.rerender is not None:
            sql = self.rerender(self.reused[uid])
            if sql is not None:
                self.sql[uid] = sql
        return sql

    def cancel(self) -> None:
        """Stop a `dbt compile` child still running (the caller failed before waiting)."""
        if self.job is not None:
            self.job.cancel()
            self.job = None

    def finish(self) -> None:
        """Wait for the `dbt compile` child, if any, and take its SQL."""
        if self.job is None:
            return
        compiled, error, errors = self.job.result()
        # a child that did not finish (killed, crashed) says nothing about the models
        lasting = not (error or "").startswith("dbt compile did not finish")
        for uid, fingerprint in self.pending.items():
            sql = compiled.get(uid)
            if sql is None:
                reason = errors.get(uid) or error or "dbt selected the model but compiled nothing"
                self.failures[uid] = f"`dbt compile` failed: {reason}"
                if lasting:
                    self.failed[uid] = (fingerprint, self.failures[uid])
                continue
            self.sql[uid] = sql
            self.dbt_compiled[uid] = (fingerprint, sql)
            self.from_dbt += 1
        self.job = None
        self.pending = {}


def obtain_compiled_sql(
    manifest: Mapping[str, Any] | Manifest,
    project: DbtProject | None,
    work_dir: Path | None,
    cached: Mapping[str, tuple[str, str]] | None = None,
    plain: Mapping[str, tuple[str, str]] | None = None,
    *,
    failed: Mapping[str, tuple[str, str]] | None = None,
    warehouse: Warehouse | None = None,
) -> CompiledSql:
    """Compiled SQL of every model; `cached` maps unique_id -> (fingerprint, sql) from dbt,
    `failed` unique_id -> (fingerprint, reason) of models that gave none last time.
    `warehouse` says how models that read the warehouse compile (see Warehouse); without
    it they are reported as needing it.

    `plain` (unique_id -> (source fingerprint, SQL digest) from the cache) lets a model
    rendered in-process last time skip rendering when nothing the rendering reads changed
    (see _RenderInputs): its digest is reused and `sql_of` renders it on demand.
    """
    view = manifest if isinstance(manifest, Manifest) else Manifest(manifest)
    manifest = view.data  # the renderers read the dicts, as Jinja's context does
    renderer = _Renderer(manifest)
    jinja: JinjaRenderer | None = None
    package_vars = PackageVars(project)  # read by the renderer and the fingerprints

    def render(node: Mapping[str, Any]) -> tuple[str | None, bool]:
        """(SQL, whether Jinja rendered it): the plain renderer first, then Jinja."""
        nonlocal jinja
        rendered = renderer.render(node)
        if rendered is not None:
            return rendered, False
        if jinja is None:
            columns = None if warehouse is None else warehouse.columns
            fields = None if warehouse is None else warehouse.target_fields
            jinja = JinjaRenderer(
                manifest, project, renderer.ref, renderer.source, columns, fields, package_vars
            )
            jinja.resolve = renderer.resolve
        return jinja.render(node), True

    result = CompiledSql(rerender=lambda node: render(node)[0])
    inputs = _RenderInputs(manifest, renderer, project, package_vars) if plain is not None else None
    needs_dbt: dict[str, str] = {}
    for uid, model in view.models().items():
        node = model.data
        if node.get("language", "sql") != "sql":
            result.failures[uid] = f"a {node.get('language')} model has no SQL to analyse"
            continue
        if warehouse is not None and warehouse.columns is not None:
            absent = _unbuilt_parents(view, model, warehouse.columns)
            reads = warehouse_reads(manifest, node) if absent else None
            if absent and reads is not None:
                # dbt compiles such a model anyway, to columns of NULLs or none at all
                again = sql_digest(jinja_fingerprint(manifest, node) + warehouse.key + "+")
                hit = (cached or {}).get(uid)
                if hit is not None and hit[0] == again:  # compiled with the lineage's columns
                    result.sql[uid] = hit[1]
                    result.dbt_compiled[uid] = hit
                    result.from_cache += 1
                    continue
                first = view.node(absent[0])
                name = first.name if first is not None else absent[0]
                result.failures[uid] = (
                    f"`{name}`, which it reads to compile ({reads}), is not in the "
                    f"warehouse: build it there first (`dbt run -s {name}`), then check again"
                )
                result.unbuilt[uid] = (again, absent)
                continue
        compiled = model.compiled_code
        if compiled is not None and compiled.strip():
            result.sql[uid] = compiled
            result.from_manifest += 1
            continue
        fingerprint = inputs.fingerprint(uid, node) if inputs is not None else None
        # rendered with the catalog's answers: its SQL depends on the catalog too
        with_catalog = None
        if fingerprint is not None and warehouse is not None and warehouse.columns is not None:
            with_catalog = sql_digest(fingerprint + warehouse.key)
        previous = plain.get(uid) if plain is not None else None
        if (
            fingerprint is not None
            and previous is not None
            and previous[0] in (fingerprint, with_catalog)
        ):
            result.reused[uid] = node
            result._digests[uid] = previous[1]
            result.plain[uid] = previous
            continue
        # needed the warehouse last time, from the same inputs: it would again (and trying
        # loads dbt's adapter and renders in its context, seconds for a Fivetran package)
        unbuildable = _needs_warehouse_key(manifest, fingerprint) if warehouse is None else None
        miss = (failed or {}).get(uid) if unbuildable is not None else None
        if miss is not None and miss[0] == unbuildable:
            result.failures[uid] = miss[1]
            result.failed[uid] = miss
            result.from_cache += 1
            continue
        if uid in (cached or {}) or uid in (failed or {}):
            # compiled by dbt (or failed) last time with the same inputs: no new attempt
            # to render it here, which would fail again (and load dbt's adapter to do so)
            fingerprint_dbt = _dbt_fingerprint(manifest, node, warehouse)
            hit = (cached or {}).get(uid)
            if hit is not None and hit[0] == fingerprint_dbt:
                result.sql[uid] = hit[1]
                result.dbt_compiled[uid] = hit
                result.from_cache += 1
                continue
            miss = (failed or {}).get(uid)
            if miss is not None and miss[0] == fingerprint_dbt:
                result.failures[uid] = miss[1]
                result.failed[uid] = miss
                result.from_cache += 1
                continue
        rendered, by_jinja = render(node)
        if rendered is not None:
            result.sql[uid] = rendered
            if by_jinja:
                result.rendered_jinja += 1
            else:
                result.rendered += 1
            if jinja is not None and uid in jinja.read_catalog:
                result.rendered_with_catalog += 1
                fingerprint = with_catalog
            if fingerprint is not None:
                result.plain[uid] = (fingerprint, result.digest(uid))
            continue
        refused = jinja.refused.get(uid) if jinja is not None else None
        if refused is not None:
            result.failures[uid] = refused
            continue
        fingerprint = _dbt_fingerprint(manifest, node, warehouse)  # (the cache was read above)
        if warehouse is None:
            reads = warehouse_reads(manifest, node)
            if reads is not None:
                result.failures[uid] = (
                    f"needs the warehouse to compile: {reads}; give `--compile-target NAME` "
                    "(a target of your dbt profile) or `--catalog target/catalog.json`"
                )
                if unbuildable is not None and not (jinja is not None and jinja.dbt_context_failed):
                    # (without dbt's adapter the render proved nothing: tried again next time)
                    result.failed[uid] = (unbuildable, result.failures[uid])
                continue
        needs_dbt[uid] = fingerprint
    result.pending = needs_dbt
    if needs_dbt:
        _start_dbt(view, project, work_dir, result, warehouse)
    return result


def _dbt_fingerprint(
    manifest: Mapping[str, Any], node: Mapping[str, Any], warehouse: Warehouse | None
) -> str:
    """What a model compiled by dbt is cached under: its Jinja inputs and the warehouse."""
    fingerprint = jinja_fingerprint(manifest, node)
    return fingerprint if warehouse is None else sql_digest(fingerprint + warehouse.key)


def sql_digest(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


def _needs_warehouse_key(manifest: Mapping[str, Any], render_fingerprint: str | None) -> str | None:
    """What "needs the warehouse" is cached under, for a model rendered without one: the
    fingerprint of everything the rendering reads (_RenderInputs; None, and so no cache,
    when it reads the environment), the dbt version and adapter whose context rendered it
    (as the manifest names them), and the renderer's own code, since a later renderer may
    need the warehouse for fewer models."""
    if render_fingerprint is None:
        return None
    metadata = manifest.get("metadata") or {}
    made_by = f"{metadata.get('dbt_version')}\0{metadata.get('adapter_type')}\0{_renderer_code()}"
    return sql_digest(f"needs-warehouse\0{made_by}\0{render_fingerprint}")


@functools.cache
def _renderer_code() -> str:
    """floe-ci's version and a digest of the rendering modules' source (the version string
    alone does not change between development builds); read beside this file, so that a
    warm check does not import dbt's context module to name it."""
    from floe_ci.fsutil import source_digest

    here = Path(__file__)
    names = (here.name, "jinja_render.py", "jinja_dbt_context.py", "packages.py")
    return source_digest(here.with_name(name) for name in names)


class _RenderInputs:
    """Fingerprints of everything the in-process rendering of a model reads, and more.

    The plain renderer reads the raw code, the node's relation name and package, and the
    manifest's relation tables (_Renderer.tables_digest); Jinja also reads the macros the
    model calls (their text and dependencies), the project's vars, the vars of the model's
    package's own dbt_project.yml, and the code of the ephemeral models it refs (inlined as
    CTEs: their fingerprints are part of its own). Config and depends_on are added so that
    any change dbt records about the model renders it again. A model whose text or macros
    (or an ephemeral parent's) mention `env_var` depends on the environment: no
    fingerprint, it is rendered every time.
    """

    def __init__(
        self,
        manifest: Mapping[str, Any],
        renderer: _Renderer,
        project: DbtProject | None,
        package_vars: PackageVars,
    ) -> None:
        self.macros: Mapping[str, Any] = manifest.get("macros") or {}
        self.nodes: Mapping[str, Any] = manifest.get("nodes") or {}
        variables = None if project is None else project.config.get("vars")
        # digested once: the project's vars may be long, and every model's key holds them
        self.shared = _digest_text(renderer.tables_digest() + "\0" + _shown(variables))
        self._package_vars = package_vars
        self._shown_vars: dict[str, str] = {}  # package -> its vars as shown, once each
        self._done: dict[str, str | None] = {}  # unique_id -> fingerprint, once computed
        self._macro_digests: dict[tuple[str, ...], str | None] = {}

    def fingerprint(self, uid: str, node: Mapping[str, Any]) -> str | None:
        """`node`'s fingerprint; `uid` is its key in the manifest's `nodes`."""
        if uid not in self._done:
            self._done[uid] = None  # an ephemeral cycle (dbt refuses one) has none
            self._done[uid] = self._fingerprint(node)
        return self._done[uid]

    def _fingerprint(self, node: Mapping[str, Any]) -> str | None:
        raw = node.get("raw_code")
        if not isinstance(raw, str) or "env_var" in raw:
            return None
        depends = node.get("depends_on") or {}
        macros = self._macros_digest(depends.get("macros") or [])
        if macros is None:
            return None
        ephemeral = []
        for parent in depends.get("nodes") or []:
            upstream = self.nodes.get(parent)
            if isinstance(upstream, Mapping) and _is_ephemeral(upstream):
                inlined = self.fingerprint(parent, upstream)
                if inlined is None:
                    return None
                ephemeral.append([parent, inlined])
        parts = [
            self.shared,
            raw,
            node.get("relation_name"),
            node.get("package_name"),
            node.get("config"),
            depends.get("nodes"),
            depends.get("macros"),
            macros,
            self._vars_of(str(node.get("package_name"))),
            ephemeral,
        ]
        return hashlib.sha256(fastjson.dumps_bytes(parts)).hexdigest()

    def _vars_of(self, package: str) -> str:
        shown = self._shown_vars.get(package)
        if shown is None:
            shown = self._shown_vars[package] = _digest_text(_shown(self._package_vars(package)))
        return shown

    def _macros_digest(self, called: list[str]) -> str | None:
        """A digest of the macros called and those they call (their text and dependencies);
        None when one mentions `env_var`. Once per list of calls: models share a few."""
        key = tuple(called)
        if key in self._macro_digests:
            return self._macro_digests[key]
        macros: list[Any] = []
        digest: str | None = None
        for uid in self._closure(called):
            macro = self.macros.get(uid) or {}
            text = macro.get("macro_sql")
            if not isinstance(text, str) or "env_var" in text:
                break
            dependencies = (macro.get("depends_on") or {}).get("macros")
            macros.append([uid, macro.get("package_name"), macro.get("name"), text, dependencies])
        else:
            digest = hashlib.sha256(fastjson.dumps_bytes(macros)).hexdigest()
        self._macro_digests[key] = digest
        return digest

    def _closure(self, called: list[str]) -> list[str]:
        """The macros called and those they call, sorted (as the renderer walks them)."""
        seen: set[str] = set()
        stack = list(called)
        while stack:
            uid = stack.pop()
            if uid not in seen:
                seen.add(uid)
                macro = self.macros.get(uid) or {}
                stack.extend((macro.get("depends_on") or {}).get("macros") or [])
        return sorted(seen)


def _digest_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _shown(variables: object) -> str:
    # YAML may hold values JSON has no type for (dates, sets): repr() names them
    return json.dumps(variables, sort_keys=True, default=repr)


def _is_ephemeral(node: Mapping[str, Any]) -> bool:
    return (node.get("config") or {}).get("materialized") == "ephemeral"


# -- rendering plain models ------------------------------------------------------------------


class _Renderer:
    def __init__(self, manifest: Mapping[str, Any]) -> None:
        self.by_name: dict[str, list[Mapping[str, Any]]] = {}
        for node in (manifest.get("nodes") or {}).values():
            if node.get("resource_type") in ("model", "seed", "snapshot"):
                self.by_name.setdefault(str(node.get("name")), []).append(node)
        self.sources = {
            (str(s.get("source_name")), str(s.get("name"))): s
            for s in (manifest.get("sources") or {}).values()
        }

    def tables_digest(self) -> str:
        """A digest of every field `ref()` and `source()` resolution reads, for all nodes."""
        # Sorted by unique_id, the first of each row: as the rows' own order, since no two
        # nodes share one, but without comparing the lists.
        refs = sorted(
            (
                [
                    str(n.get("unique_id")),
                    name,
                    str(n.get("package_name")),
                    str(n.get("version")),
                    str(n.get("latest_version")),
                    str((n.get("config") or {}).get("materialized")),
                    str(n.get("relation_name")),
                ]
                for name, nodes in self.by_name.items()
                for n in nodes
            ),
            key=itemgetter(0),
        )
        sources = sorted([*key, str(s.get("relation_name"))] for key, s in self.sources.items())
        return hashlib.sha256(fastjson.dumps_compact([refs, sources]).encode()).hexdigest()

    def render(self, node: Mapping[str, Any]) -> str | None:
        """The compiled SQL of a model using only ref/source/this/config, else None."""
        raw = node.get("raw_code")
        if not isinstance(raw, str):
            return None
        if "{" not in raw:
            return raw
        failed = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal failed
            if match.group("stmt"):
                failed = True
                return ""
            expr = match.group("expr")
            text = "" if expr is None else self._expression(expr.strip(), node)
            if text is None:
                failed = True
                return ""
            return (
                ("" if match.group("left") else match.group("before"))
                + text
                + ("" if match.group("right") else match.group("after"))
            )

        rendered = _JINJA.sub(substitute, raw)
        if failed or "{{" in rendered or "{%" in rendered:
            return None
        return rendered

    def _expression(self, text: str, node: Mapping[str, Any]) -> str | None:
        if text == "this":
            relation = node.get("relation_name")
            return relation if isinstance(relation, str) else None
        simple = _SIMPLE_REF.fullmatch(text)
        if simple:
            return self.ref(node, [simple.group(2)], {})
        simple = _SIMPLE_SOURCE.fullmatch(text)
        if simple:
            return self.source(simple.group(2), simple.group(4))
        try:
            call = ast.parse(text, mode="eval").body
        except SyntaxError:
            return None
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            return None
        if call.func.id == "config":
            return ""
        args = [a.value for a in call.args if isinstance(a, ast.Constant)]
        if len(args) != len(call.args) or not all(isinstance(a, str) for a in args):
            return None
        keywords = {}
        for keyword in call.keywords:
            if keyword.arg is None or not isinstance(keyword.value, ast.Constant):
                return None
            keywords[keyword.arg] = keyword.value.value
        if call.func.id == "ref":
            return self.ref(node, [str(a) for a in args], keywords)
        if call.func.id == "source" and len(args) == 2 and not keywords:
            return self.source(str(args[0]), str(args[1]))
        return None

    def source(self, source_name: str, table: str) -> str | None:
        source = self.sources.get((source_name, table))
        relation = source.get("relation_name") if source else None
        return relation if isinstance(relation, str) else None

    def ref(self, node: Mapping[str, Any], args: list[str], keywords: dict[str, Any]) -> str | None:
        target = self.resolve(node, args, keywords)
        if target is None:
            return None
        if _is_ephemeral(target):
            return None  # dbt inlines ephemeral models as CTEs: leave those to dbt
        relation = target.get("relation_name")
        return relation if isinstance(relation, str) else None

    def resolve(
        self, node: Mapping[str, Any], args: list[str], keywords: dict[str, Any]
    ) -> Mapping[str, Any] | None:
        """The node `ref(*args, **keywords)` in `node` names, as dbt resolves it."""
        if len(args) not in (1, 2) or set(keywords) - {"v", "version"}:
            return None
        name = args[-1]
        package = args[0] if len(args) == 2 else None
        version = keywords.get("v", keywords.get("version"))
        candidates = [
            c
            for c in self.by_name.get(name, [])
            if package is None or c.get("package_name") == package
        ]
        if version is not None:
            candidates = [c for c in candidates if str(c.get("version")) == str(version)]
        elif len(candidates) > 1:
            latest = [c for c in candidates if c.get("version") in (None, c.get("latest_version"))]
            same_package = [c for c in latest if c.get("package_name") == node.get("package_name")]
            candidates = same_package or latest
        return candidates[0] if len(candidates) == 1 else None


# -- models that need dbt ---------------------------------------------------------------------


def jinja_fingerprint(manifest: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """What determines a Jinja model's compiled SQL, as far as the manifest shows."""
    nodes = manifest.get("nodes") or {}
    sources = manifest.get("sources") or {}
    macros = manifest.get("macros") or {}
    depends = node.get("depends_on") or {}
    relations = [
        str((nodes.get(uid) or sources.get(uid) or {}).get("relation_name"))
        for uid in sorted(depends.get("nodes") or [])
    ]
    parts = {
        "raw": node.get("raw_code"),
        "config": node.get("config"),
        "relation": node.get("relation_name"),
        "relations": relations,
        "macros": [macros.get(m, {}).get("macro_sql") for m in _macro_closure(macros, depends)],
        "vars": (manifest.get("metadata") or {}).get("project_id"),
    }
    encoded = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def _macro_closure(macros: Mapping[str, Any], depends: Mapping[str, Any]) -> list[str]:
    seen: set[str] = set()
    stack = list(depends.get("macros") or [])
    while stack:
        macro = stack.pop()
        if macro in seen:
            continue
        seen.add(macro)
        stack.extend((macros.get(macro) or {}).get("depends_on", {}).get("macros") or [])
    return sorted(seen)


def _start_dbt(
    manifest: Manifest,
    project: DbtProject | None,
    work_dir: Path | None,
    result: CompiledSql,
    warehouse: Warehouse | None,
) -> None:
    if project is None or work_dir is None:
        for uid in result.pending:
            result.failures[uid] = (
                "the model uses Jinja beyond ref/source and no dbt project was given"
            )
        result.pending = {}
        return
    target = ensure_folder(work_dir / "dbt-compile-target", "dbt's compiled SQL")
    partial = project.path / project.target_path / "partial_parse.msgpack"
    if partial.is_file():  # reuse the parse: dbt then skips parsing the project again
        shutil.copy2(partial, target / "partial_parse.msgpack")
    selectors = sorted({selector(manifest.nodes[uid]) for uid in result.pending})
    if warehouse is not None and warehouse.target is not None:
        profiles_dir = warehouse.profiles_dir or project.path
        parsed = parsed_in_process(project.path / project.target_path)
        if parsed is not None:  # this process parsed the project: compile on that parse
            invocation = DbtInvocation(
                "compile",
                project.path,
                profiles_dir,
                warehouse.target,
                work_dir / "logs",
                target_path=target,
                flags=("--no-write-json", "--no-populate-cache"),
                select=selectors,
            )
            result.job = InProcessCompile(invocation, parsed, invocation.log_file)
            return
        result.job = start_dbt_compile(
            project.path,
            profiles_dir,
            target,
            work_dir / "logs",
            selectors,
            target=warehouse.target,
        )
        return
    columns = None if warehouse is None else dict(warehouse.columns or {})
    profiles_dir = write_parse_profile(project, work_dir)
    result.job = start_dbt_compile(
        project.path, profiles_dir, target, work_dir / "logs", selectors, columns=columns
    )


def selector(node: ManifestNode) -> str:
    """The node by its fully qualified name (package, folders, name, version).

    Not `path:` + original_file_path: that path is relative to the node's package, and
    dbt matches `path:` against the root project's folder only, so a package's model was
    selected by nothing."""
    fqn = node.get("fqn")
    if isinstance(fqn, list) and fqn and all(isinstance(part, str) for part in fqn):
        return "fqn:" + ".".join(fqn)
    return "fqn:" + ".".join(filter(None, [node.package_name, node.name]))
