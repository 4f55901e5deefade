"""A typed, read-only view of the dbt manifest (manifest.json) as floe-ci reads it.

The manifest stays the dict `json` gave: the view only names the fields. `ManifestNode` is
one object over one node's dict (no copy, no validation: a field dbt leaves out reads as
empty), so wrapping the 5,000 models of a big project costs a few milliseconds and a field
is one dict lookup away. Fields floe-ci does not name are still there: `node.get("key")`
or `node.data`. Pure: no I/O, no dbt (the file is read by integrations/dbt/parse.py).

Example, as a rule or a diff uses it::

    from floe_ci.dbt_manifest import Manifest

    manifest = Manifest(load_manifest(path))          # or Manifest(context.manifest)
    for uid, model in manifest.models().items():      # {unique_id: ManifestNode}
        if model.materialized == "incremental" and not model.config.get("unique_key"):
            ...  # report model.name at model.patch_path or model.original_file_path
        for name, column in model.columns.items():    # as declared in the properties YAML
            column.get("meta", {})
        model.depends_on_nodes                         # ["model.shop.stg_orders", ...]
    manifest.node("source.shop.raw.orders")           # a node, source or exposure, or None
    manifest.children("model.shop.stg_orders")        # from the manifest's child_map

A test builds one from a small dict: `Manifest({"nodes": {uid: {"resource_type": ...}}})`.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from functools import cached_property
from typing import Any

_EMPTY: Mapping[str, Any] = {}


class ManifestNode:
    """One entry of the manifest's `nodes`, `sources` or `exposures`, read-only."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"ManifestNode({self.unique_id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ManifestNode) and other.data == self.data

    def get(self, key: str, default: Any = None) -> Any:
        """Any field of the node's dict, named or not."""
        return self.data.get(key, default)

    # -- identity -----------------------------------------------------------------------

    @property
    def unique_id(self) -> str:
        return str(self.data.get("unique_id") or "")

    @property
    def name(self) -> str:
        return str(self.data.get("name") or "")

    @property
    def resource_type(self) -> str:
        """model, seed, snapshot, test, source, exposure, ..."""
        return str(self.data.get("resource_type") or "")

    @property
    def package_name(self) -> str | None:
        return _text(self.data.get("package_name"))

    # -- where it is written ------------------------------------------------------------

    @property
    def original_file_path(self) -> str | None:
        """The SQL (or CSV, or YAML for sources) file, relative to its package's folder."""
        return _text(self.data.get("original_file_path"))

    @property
    def patch_path(self) -> str | None:
        """The properties YAML that describes the node, as dbt writes it: `package://path`."""
        return _text(self.data.get("patch_path"))

    # -- what it declares ---------------------------------------------------------------

    @property
    def columns(self) -> Mapping[str, Mapping[str, Any]]:
        """Declared columns by name as written in YAML (`name`, `data_type`, `meta`, ...)."""
        return self.data.get("columns") or _EMPTY

    def declared_columns(self) -> list[str] | None:
        """The declared column names, lower case, in YAML order; None when there are none."""
        columns = [str(c).lower() for c in self.data.get("columns") or ()]
        return columns or None

    @property
    def config(self) -> Mapping[str, Any]:
        return self.data.get("config") or _EMPTY

    @property
    def materialized(self) -> str | None:
        value = (self.data.get("config") or _EMPTY).get("materialized")
        return str(value) if value is not None else None

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.data.get("meta") or _EMPTY

    @property
    def tags(self) -> list[str]:
        return [str(tag) for tag in self.data.get("tags") or ()]

    @property
    def description(self) -> str:
        return str(self.data.get("description") or "")

    @property
    def depends_on_nodes(self) -> list[str]:
        """unique_ids of the nodes and sources this one reads (`ref`, `source`)."""
        return list((self.data.get("depends_on") or _EMPTY).get("nodes") or ())

    @property
    def depends_on_macros(self) -> list[str]:
        return list((self.data.get("depends_on") or _EMPTY).get("macros") or ())

    # -- the relation it builds ---------------------------------------------------------

    @property
    def relation_name(self) -> str | None:
        """`"database"."schema"."alias"` as the adapter quotes it; None for ephemeral models."""
        return _text(self.data.get("relation_name"))

    @property
    def database(self) -> str:
        return str(self.data.get("database") or "")

    @property
    def schema(self) -> str:
        return str(self.data.get("schema") or "")

    @property
    def identifier(self) -> str:
        """The relation's own name: a model's alias, a source's identifier, else the name."""
        return str(self.data.get("alias") or self.data.get("identifier") or self.name)

    # -- code ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return str(self.data.get("language") or "sql")

    @property
    def raw_code(self) -> str | None:
        return _text(self.data.get("raw_code"))

    @property
    def compiled_code(self) -> str | None:
        """Only in a manifest from `dbt compile`, `run` or `build`; `dbt parse` has none."""
        return _text(self.data.get("compiled_code"))

    @property
    def checksum(self) -> str | None:
        """dbt's checksum of the node's file: equal checksums, equal code."""
        checksum = self.data.get("checksum")
        return str(checksum.get("checksum")) if isinstance(checksum, Mapping) else None


class Manifest:
    """The manifest's sections by unique_id, as ManifestNodes; `data` is the dict itself.

    Each section is wrapped on first use and kept: build one Manifest per manifest dict and
    pass it along rather than wrapping the dict again in a loop.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    @cached_property
    def nodes(self) -> Mapping[str, ManifestNode]:
        """Models, seeds, snapshots, tests, analyses (the manifest's `nodes`)."""
        return _section(self.data, "nodes")

    @cached_property
    def sources(self) -> Mapping[str, ManifestNode]:
        return _section(self.data, "sources")

    @cached_property
    def exposures(self) -> Mapping[str, ManifestNode]:
        return _section(self.data, "exposures")

    @property
    def macros(self) -> Mapping[str, Mapping[str, Any]]:
        """Macros by unique_id, as dbt writes them (`macro_sql`, `depends_on`, ...)."""
        return self.data.get("macros") or _EMPTY

    @property
    def adapter_type(self) -> str:
        """The adapter the manifest was parsed with (duckdb, postgres, snowflake, ...)."""
        return str((self.data.get("metadata") or _EMPTY).get("adapter_type") or "")

    def of_type(self, resource_type: str) -> dict[str, ManifestNode]:
        """The `nodes` of one resource type, by unique_id, in the manifest's order."""
        return {uid: n for uid, n in self.nodes.items() if n.resource_type == resource_type}

    def models(self) -> dict[str, ManifestNode]:
        return self.of_type("model")

    def seeds(self) -> dict[str, ManifestNode]:
        return self.of_type("seed")

    def node(self, unique_id: str) -> ManifestNode | None:
        """A node, source or exposure by unique_id; None when the manifest has none."""
        for section in (self.nodes, self.sources, self.exposures):
            found = section.get(unique_id)
            if found is not None:
                return found
        return None

    @property
    def child_map(self) -> Mapping[str, list[str]]:
        """unique_id -> the unique_ids that depend on it, as dbt wrote it (may be absent)."""
        return self.data.get("child_map") or _EMPTY

    def children(self, unique_id: str) -> list[str]:
        return list(self.child_map.get(unique_id) or ())


def _section(data: Mapping[str, Any], name: str) -> dict[str, ManifestNode]:
    return {uid: ManifestNode(node) for uid, node in (data.get(name) or _EMPTY).items()}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# -- validation: the shapes floe-ci reads, checked once when the file is loaded ----------

# The manifest schema versions the supported dbt versions (1.10, 1.11) write.
SUPPORTED_SCHEMA_VERSIONS = ("v12",)
SUPPORTED_DBT = "dbt 1.10 and 1.11"
# Deeper than this, a meta block is not configuration (and recursive code would choke).
MAX_META_DEPTH = 32
# The sections of entries keyed by unique_id, each checked entry by entry.
NODE_SECTIONS = ("nodes", "sources", "exposures", "macros")
_SCHEMA_VERSION = re.compile(r"/manifest/(v\d+)\.json$")


class ManifestShapeError(ValueError):
    """The manifest is not one dbt wrote: `where` is the JSON path of the first problem."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"`{where}` {problem}" if where else problem)
        self.where = where
        self.problem = problem


def check_manifest(data: Any, known: Container[tuple[str, str]] = frozenset()) -> None:
    """Raise ManifestShapeError unless `data` has the shape floe-ci reads: a supported
    schema version, and every field the view names of the type dbt writes.

    Linear in the manifest and without recursion (deep JSON is refused, not followed).
    `known` names entries (section, unique_id) whose exact content passed before: a warm
    check then looks only at what changed (their digests: integrations/dbt/manifest_file)."""
    if not isinstance(data, Mapping):
        raise ManifestShapeError("", f"the manifest is {_kind(data)}, expected a JSON object")
    metadata = data.get("metadata")
    _expect(metadata, Mapping, "metadata")
    assert isinstance(metadata, Mapping)
    version_url = metadata.get("dbt_schema_version")
    found = _SCHEMA_VERSION.search(version_url) if isinstance(version_url, str) else None
    if found is None or found.group(1) not in SUPPORTED_SCHEMA_VERSIONS:
        written_by = metadata.get("dbt_version")
        by = f" by dbt {written_by}" if isinstance(written_by, str) else ""
        version = found.group(1) if found else repr(version_url)
        raise ManifestShapeError(
            "metadata.dbt_schema_version",
            f"is {version} (written{by}); floe-ci reads the manifests of {SUPPORTED_DBT} "
            f"(schema {', '.join(SUPPORTED_SCHEMA_VERSIONS)})",
        )
    if "nodes" not in data:
        raise ManifestShapeError("nodes", "is missing: not a dbt manifest")
    for section in NODE_SECTIONS:
        entries = data.get(section)
        if entries is None and section != "nodes":
            continue
        _expect(entries, Mapping, section)
        assert isinstance(entries, Mapping)
        macro = section == "macros"
        for uid, node in entries.items():
            if known and (section, uid) in known:
                continue
            if not _node_fits(node, macro):  # the fast test; then find and name the problem
                _check_node(node, f"{section}[{uid!r}]", macro)
    for section in ("child_map", "parent_map"):
        mapping = data.get(section)
        if mapping is None:
            continue
        _expect(mapping, Mapping, section)
        assert isinstance(mapping, Mapping)
        for uid, ids in mapping.items():
            _strings(ids, f"{section}[{uid!r}]")


_NODE_TEXT = ("unique_id", "name", "resource_type", "package_name", "original_file_path",
              "raw_code", "compiled_code", "relation_name", "language", "description",
              "database", "schema", "alias", "identifier", "macro_sql")  # fmt: skip


# Every node, source, exposure and macro dbt writes has these.
_REQUIRED = ("unique_id", "name", "resource_type", "package_name")


def _node_fits(node: Any, macro: bool) -> bool:
    """`_check_node` without building a path per field: 5,000 models in tens of ms."""
    if type(node) is not dict:
        return False
    get = node.get
    for key in _REQUIRED:
        if type(get(key)) is not str:
            return False
    for key in _NODE_TEXT:
        value = get(key)
        if value is not None and type(value) is not str:
            return False
    patch = get("patch_path")
    if patch is not None and type(patch) is not str:
        return False
    depends = get("depends_on")
    if depends is not None:
        if type(depends) is not dict:
            return False
        if not (_fits_strings(depends.get("nodes")) and _fits_strings(depends.get("macros"))):
            return False
    if macro:
        return True
    if not (_fits_strings(get("tags")) and _fits_strings(get("fqn"))):
        return False
    config, meta, checksum = get("config"), get("meta"), get("checksum")
    for value in (config, meta, checksum):
        if value is not None and type(value) is not dict:
            return False
    if meta and not _shallow(meta, _ROOM):
        return False
    if config:
        config_meta = config.get("meta")
        if config_meta and (type(config_meta) is not dict or not _shallow(config_meta, _ROOM)):
            return False
    columns = get("columns")
    if not columns:
        return columns is None or type(columns) is dict
    if type(columns) is not dict:
        return False
    for column in columns.values():
        if type(column) is not dict:
            return False
        value = column.get("data_type")
        if value is not None and type(value) is not str:
            return False
        value = column.get("description")
        if value is not None and type(value) is not str:
            return False
        value = column.get("name")
        if value is not None and type(value) is not str:
            return False
        value = column.get("meta")
        if value and (type(value) is not dict or not _shallow(value, _ROOM)):
            return False
        value = column.get("config")
        if value is not None:
            if type(value) is not dict:
                return False
            value = value.get("meta")
            if value and (type(value) is not dict or not _shallow(value, _ROOM)):
                return False
        value = column.get("tags")
        if value and not _fits_strings(value):
            return False
    return True


_ROOM = MAX_META_DEPTH - 1


def _fits_strings(value: Any) -> bool:
    return value is None or (type(value) is list and all(type(v) is str for v in value))


def _shallow(value: Any, room: int) -> bool:
    """At most `room` more levels below `value` (recursion bounded by MAX_META_DEPTH)."""
    for child in value.values() if type(value) is dict else value:
        nested = type(child) is dict or type(child) is list
        if nested and (room <= 0 or not _shallow(child, room - 1)):
            return False
    return True


def _check_node(node: Any, where: str, macro: bool) -> None:
    _expect(node, Mapping, where)
    assert isinstance(node, Mapping)
    for key in _REQUIRED:
        if not isinstance(node.get(key), str):
            raise ManifestShapeError(
                f"{where}.{key}", f"is {_kind(node.get(key))}, expected a string"
            )
    for key in _NODE_TEXT:
        value = node.get(key)
        if value is not None and not isinstance(value, str):
            raise ManifestShapeError(f"{where}.{key}", f"is {_kind(value)}, expected a string")
    patch = node.get("patch_path")
    if patch is not None and not isinstance(patch, str):
        raise ManifestShapeError(f"{where}.patch_path", f"is {_kind(patch)}, expected a string")
    depends = node.get("depends_on")
    if depends is not None:
        _expect(depends, Mapping, f"{where}.depends_on")
        assert isinstance(depends, Mapping)
        for key in ("nodes", "macros"):
            if depends.get(key) is not None:
                _strings(depends[key], f"{where}.depends_on.{key}")
    if macro:
        return
    for key in ("tags", "fqn"):
        if node.get(key) is not None:
            _strings(node[key], f"{where}.{key}")
    for key in ("config", "meta", "checksum"):
        if node.get(key) is not None:
            _expect(node[key], Mapping, f"{where}.{key}")
    config = node.get("config") or {}
    _meta(config.get("meta"), f"{where}.config.meta")
    _meta(node.get("meta"), f"{where}.meta")
    columns = node.get("columns")
    if columns is None:
        return
    _expect(columns, Mapping, f"{where}.columns")
    assert isinstance(columns, Mapping)
    for name, column in columns.items():
        at = f"{where}.columns[{name!r}]"
        _expect(column, Mapping, at)
        assert isinstance(column, Mapping)
        for key in ("name", "data_type", "description"):
            value = column.get(key)
            if value is not None and not isinstance(value, str):
                raise ManifestShapeError(f"{at}.{key}", f"is {_kind(value)}, expected a string")
        _meta(column.get("meta"), f"{at}.meta")
        column_config = column.get("config")
        if column_config is not None:
            _expect(column_config, Mapping, f"{at}.config")
            assert isinstance(column_config, Mapping)
            _meta(column_config.get("meta"), f"{at}.config.meta")
        if column.get("tags") is not None:
            _strings(column["tags"], f"{at}.tags")


def _meta(meta: Any, where: str) -> None:
    """A meta block: an object, at most MAX_META_DEPTH deep (walked without recursion)."""
    if meta is None:
        return
    _expect(meta, Mapping, where)
    stack: list[tuple[Any, int]] = [(meta, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_META_DEPTH:
            raise ManifestShapeError(where, f"is nested deeper than {MAX_META_DEPTH} levels")
        children = value.values() if isinstance(value, Mapping) else value
        if isinstance(value, Mapping | list):
            stack.extend(
                (child, depth + 1) for child in children if isinstance(child, Mapping | list)
            )


def _strings(value: Any, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ManifestShapeError(where, f"is {_kind(value)}, expected a list of strings")


def _expect(value: Any, kind: type, where: str) -> None:
    if not isinstance(value, kind):
        expected = "a JSON object" if kind is Mapping else "a list"
        raise ManifestShapeError(where, f"is {_kind(value)}, expected {expected}")


def _kind(value: Any) -> str:
    if value is None:
        return "null (or missing)"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number"}  # fmt: skip
    return names.get(type(value), type(value).__name__)
