"""Relations named in compiled SQL -> dbt nodes, and the column lists known so far.

Compiled SQL names relations (`"db"."schema"."identifier"`); they are mapped back to dbt nodes
(models, seeds, snapshots, sources) through the manifest's database/schema/alias. Columns
known from outside the manifest are handed in as data (reading files and the warehouse is
the caller's business): seeds' CSV headers, and the warehouse's columns of sources (dbt's
catalog.json), which win over a source's declared columns, often a partial list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from floe_ci.dbt_manifest import Manifest, ManifestNode
from floe_ci.lineage.cache_format import columns_digest
from floe_ci.lineage.column_refs import RelationKey

RELATION_TYPES = ("model", "seed", "snapshot")


class RelationIndex:
    """Relations named in SQL -> dbt nodes, and the column lists known so far."""

    def __init__(self, manifest: Manifest, known_columns: Mapping[str, list[str] | None]) -> None:
        self.nodes: dict[str, ManifestNode] = {}
        self.by_key: dict[RelationKey, str] = {}
        self.key_of: dict[str, RelationKey] = {}
        # SQL may name a relation without its database (or schema): a short name resolves
        # when one node has it (None: several do)
        short: dict[RelationKey, str | None] = {}
        for uid, node in manifest.nodes.items():
            if node.resource_type in RELATION_TYPES:
                self._add(uid, node, short)
        for uid, node in manifest.sources.items():
            self._add(uid, node, short)
        for key, only in short.items():
            if only is not None and key not in self.by_key:
                self.by_key[key] = only
        self.columns: dict[str, list[str] | None] = {}
        self._digests: dict[str, str] = {}
        for uid, node in self.nodes.items():
            if node.resource_type != "model":
                self.columns[uid] = known_columns.get(uid) or node.declared_columns()

    def _add(self, uid: str, node: ManifestNode, short: dict[RelationKey, str | None]) -> None:
        self.nodes[uid] = node
        database, schema, name = node.database.lower(), node.schema.lower(), node.identifier.lower()
        key = (database, schema, name)  # relation_key's normal form, inlined
        self.by_key[key] = uid
        self.key_of[uid] = key
        for key in (("", schema, name), ("", "", name)):
            seen = short.get(key, uid)
            short[key] = uid if seen == uid else None

    def set_columns(self, uid: str, columns: list[str] | None) -> None:
        self.columns[uid] = columns
        self._digests.pop(uid, None)

    def digest_of(self, uid: str) -> str:
        """columns_digest of a relation's columns, computed once per relation."""
        digest = self._digests.get(uid)
        if digest is None:
            digest = self._digests[uid] = columns_digest(self.columns.get(uid))
        return digest

    def keys_of(self, uids: Sequence[str]) -> list[RelationKey]:
        """The relation keys of those of `uids` that are relations."""
        key_of = self.key_of
        return [key_of[uid] for uid in uids if uid in key_of]

    def columns_of(self, uid: str) -> list[str] | None:
        return self.columns.get(uid)

    def node_of(self, key: RelationKey) -> str | None:
        return self.by_key.get(key)

    def columns_by_key(self, key: RelationKey) -> list[str] | None:
        uid = self.by_key.get(key)
        return self.columns.get(uid) if uid is not None else None
