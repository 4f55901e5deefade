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

from collections.abc import Mapping
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
