"""The typed view of the manifest: fields read from the dict, absent ones empty."""

from __future__ import annotations

from typing import Any

from floe_ci.dbt_manifest import Manifest, ManifestNode

MANIFEST: dict[str, Any] = {
    "metadata": {"adapter_type": "duckdb"},
    "nodes": {
        "model.shop.orders": {
            "unique_id": "model.shop.orders",
            "name": "orders",
            "resource_type": "model",
            "package_name": "shop",
            "original_file_path": "models/orders.sql",
            "patch_path": "shop://models/schema.yml",
            "columns": {"Order_ID": {"name": "Order_ID", "data_type": "int"}, "total": {}},
            "depends_on": {"nodes": ["seed.shop.raw_orders"], "macros": ["macro.shop.cents"]},
            "config": {"materialized": "table", "meta": {"owner": "x"}},
            "relation_name": '"db"."main"."orders_v2"',
            "database": "db",
            "schema": "main",
            "alias": "orders_v2",
            "raw_code": "select * from {{ ref('raw_orders') }}",
            "checksum": {"name": "sha256", "checksum": "abc"},
        },
        "seed.shop.raw_orders": {"resource_type": "seed", "name": "raw_orders"},
        "test.shop.not_null": {"resource_type": "test", "name": "not_null"},
    },
    "sources": {
        "source.shop.raw.events": {
            "resource_type": "source",
            "name": "events",
            "identifier": "events_2024",
        }
    },
    "exposures": {"exposure.shop.dash": {"resource_type": "exposure", "name": "dash"}},
    "macros": {"macro.shop.cents": {"macro_sql": "{% macro cents() %}{% endmacro %}"}},
    "child_map": {"seed.shop.raw_orders": ["model.shop.orders"]},
}


def test_a_model_s_fields() -> None:
    orders = Manifest(MANIFEST).models()["model.shop.orders"]
    assert (orders.unique_id, orders.name, orders.resource_type) == (
        "model.shop.orders",
        "orders",
        "model",
    )
    assert orders.package_name == "shop"
    assert (orders.original_file_path, orders.patch_path) == (
        "models/orders.sql",
        "shop://models/schema.yml",
    )
    assert list(orders.columns) == ["Order_ID", "total"]
    assert orders.declared_columns() == ["order_id", "total"]
    assert orders.depends_on_nodes == ["seed.shop.raw_orders"]
    assert orders.depends_on_macros == ["macro.shop.cents"]
    assert orders.materialized == "table" and orders.config["meta"] == {"owner": "x"}
    assert (orders.database, orders.schema, orders.identifier) == ("db", "main", "orders_v2")
    assert orders.relation_name == '"db"."main"."orders_v2"'
    assert orders.raw_code == "select * from {{ ref('raw_orders') }}"
    assert orders.compiled_code is None and orders.language == "sql"
    assert orders.checksum == "abc"
    assert (
        orders.get("alias") == "orders_v2" and orders.data is MANIFEST["nodes"]["model.shop.orders"]
    )


def test_absent_fields_read_as_empty() -> None:
    bare = ManifestNode({})
    assert (bare.unique_id, bare.name, bare.resource_type, bare.identifier) == ("", "", "", "")
    assert bare.columns == {} and bare.declared_columns() is None and bare.config == {}
    assert bare.depends_on_nodes == [] and bare.depends_on_macros == [] and bare.tags == []
    assert bare.materialized is None and bare.checksum is None and bare.patch_path is None
    assert ManifestNode({"config": None, "depends_on": None, "columns": None}).config == {}


def test_a_source_s_relation_is_its_identifier() -> None:
    events = Manifest(MANIFEST).node("source.shop.raw.events")
    assert events is not None and events.identifier == "events_2024"
    assert Manifest(MANIFEST).sources["source.shop.raw.events"] == events


def test_the_manifest_s_sections_by_id() -> None:
    manifest = Manifest(MANIFEST)
    assert list(manifest.models()) == ["model.shop.orders"]
    assert list(manifest.seeds()) == ["seed.shop.raw_orders"]
    assert list(manifest.of_type("test")) == ["test.shop.not_null"]
    assert list(manifest.exposures) == ["exposure.shop.dash"]
    assert manifest.node("exposure.shop.dash") is manifest.exposures["exposure.shop.dash"]
    assert manifest.node("model.shop.nothing") is None
    assert manifest.children("seed.shop.raw_orders") == ["model.shop.orders"]
    assert manifest.children("model.shop.orders") == []
    assert "macro.shop.cents" in manifest.macros and manifest.adapter_type == "duckdb"
    assert manifest.nodes is manifest.nodes  # wrapped once


def test_an_empty_manifest() -> None:
    empty = Manifest({})
    assert empty.models() == {} and empty.sources == {} and empty.child_map == {}
    assert empty.adapter_type == ""
