"""Iceberg tables on a real pyiceberg SqlCatalog (SQLite + local Parquet files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.iceberg import IcebergTableManager, catalog_from_config
from floe_ci.integrations.polaris import create_catalog_client
from floe_ci.spec.models import CatalogConfig
from tests.conftest import PARSED_MANIFEST

ORDERS = pa.schema(
    [
        pa.field("order_id", pa.int64(), nullable=False),
        pa.field("customer_id", pa.int64()),
        pa.field("region", pa.string()),
        pa.field("ordered_at", pa.timestamp("us")),
        pa.field("amount", pa.float64()),
    ]
)
DAY_ONE = datetime(2026, 1, 5, 9, 30)


def batch(start: int, count: int = 6) -> pa.Table:
    """Rows over two days and two regions, so each batch touches the same four partitions."""
    ids = list(range(start, start + count))
    return pa.Table.from_pylist(
        [
            {
                "order_id": i,
                "customer_id": 30 + i % 7,
                "region": "eu" if i % 2 else "us",
                "ordered_at": DAY_ONE + timedelta(days=i % 4 // 2, minutes=i),
                "amount": round(i * 1.25, 2),
            }
            for i in ids
        ],
        schema=ORDERS,
    )


@pytest.fixture
def manager(tmp_path: Path) -> IcebergTableManager:
    config = CatalogConfig(type="sqlite", uri="lake/catalog.db", namespace="sales")
    catalog = catalog_from_config(config, base_dir=tmp_path)
    assert (tmp_path / "lake" / "catalog.db").is_file()
    return IcebergTableManager(catalog, config.namespace)


def sorted_rows(table: pa.Table) -> list[dict[str, object]]:
    return sorted(table.to_pylist(), key=lambda row: int(str(row["order_id"])))


def test_create_with_partitioning_list_and_get(manager: IcebergTableManager) -> None:
    spec_text = ["day(ordered_at)", "bucket(16, customer_id)", "region", "truncate(4, region)"]
    table = manager.create_table("orders", ORDERS, spec_text, {"owner": "sales"})

    schema = table.schema()
    spec = table.spec()
    got = [
        (f.name, str(f.transform), schema.find_column_name(f.source_id), f.field_id)
        for f in spec.fields
    ]
    assert got == [
        ("ordered_at_day", "day", "ordered_at", 1000),
        ("customer_id_bucket", "bucket[16]", "customer_id", 1001),
        ("region", "identity", "region", 1002),
        ("region_trunc", "truncate[4]", "region", 1003),
    ]
    assert table.properties["owner"] == "sales"
    assert schema.find_field("order_id").required

    manager.create_table("customers", pa.schema([pa.field("id", pa.int64())]))
    assert manager.list_tables() == ["customers", "orders"]
    assert manager.get_table("orders").metadata.table_uuid == table.metadata.table_uuid
    assert manager.table_exists("orders") and not manager.table_exists("nope")
    # exist_ok returns the existing table instead of failing.
    again = manager.create_table("orders", ORDERS, ["region"], exist_ok=True)
    assert again.spec() == spec


def test_partition_values_follow_the_iceberg_spec(manager: IcebergTableManager) -> None:
    manager.create_table("orders", ORDERS, ["bucket(16, customer_id)", "day(ordered_at)"])
    row = batch(0, 1).to_pylist()[0] | {"customer_id": 34}
    manager.append("orders", pa.Table.from_pylist([row], schema=ORDERS))

    (data_file,) = manager.data_files("orders")
    # Iceberg spec, appendix B: murmur3 of the long 34 is 2017239379, and 2017239379 % 16 == 3.
    assert data_file.partition["customer_id_bucket"] == 3
    assert data_file.partition["ordered_at_day"] == DAY_ONE.date()


def test_bad_partition_terms_are_usage_errors(manager: IcebergTableManager) -> None:
    cases = {
        "day(region)": "day cannot partition `region` of type string",
        "bucket(customer_id)": "bucket needs a positive number first",
        "weekly(ordered_at)": "unknown transform `weekly`",
        "nope": "no column `nope`",
        "day(ordered_at": "cannot read partition term",
    }
    for term, message in cases.items():
        with pytest.raises(FloeUsageError) as caught:
            manager.create_table("bad", ORDERS, [term])
        assert message in str(caught.value), term
    assert manager.list_tables() == []


def test_compaction_rewrites_small_files_and_keeps_rows(manager: IcebergTableManager) -> None:
    manager.create_table("orders", ORDERS, ["day(ordered_at)", "region"])
    for start in range(0, 24, 6):
        manager.append("orders", batch(start))
    before_rows = sorted_rows(manager.read("orders"))
    assert len(before_rows) == 24
    assert len(manager.data_files("orders")) == 16  # 4 batches x 4 partitions

    # Only the `eu` region: its 8 files become 2 (one per day); `us` is untouched.
    eu = manager.compact("orders", "region = 'eu'")
    assert (eu.skipped, eu.files_before, eu.files_after, eu.rows) == (False, 8, 2, 12)
    assert len(manager.data_files("orders")) == 10

    result = manager.compact("orders")
    assert not result.skipped
    assert (result.files_before, result.files_after, result.rows) == (10, 4, 24)
    assert sorted_rows(manager.read("orders")) == before_rows
    files = manager.data_files("orders")
    assert len(files) == 4 and sum(f.record_count for f in files) == 24
    last = manager.snapshots("orders")[-1]
    assert last.snapshot_id == result.snapshot_id
    assert last.summary.get("floe.compaction") == "10 files"

    # Nothing left to do: no snapshot is written.
    again = manager.compact("orders")
    assert again.skipped and again.files_before == again.files_after == 4
    assert manager.snapshots("orders")[-1].snapshot_id == result.snapshot_id


def test_compaction_of_an_unpartitioned_table(manager: IcebergTableManager) -> None:
    manager.create_table("events", ORDERS)
    assert manager.compact("events").reason == "the table has no data"
    for start in range(0, 18, 6):
        manager.append("events", batch(start))
    result = manager.compact("events")
    assert (result.files_before, result.files_after) == (3, 1)
    assert sorted_rows(manager.read("events")) == sorted_rows(
        pa.concat_tables([batch(s) for s in range(0, 18, 6)])
    )


def test_expire_snapshots_keeps_current_and_last_n(manager: IcebergTableManager) -> None:
    manager.create_table("orders", ORDERS, ["region"])
    ids = [manager.append("orders", batch(start)) for start in range(0, 30, 6)]
    assert [s.snapshot_id for s in manager.snapshots("orders")] == ids

    # A cutoff from before the table existed expires nothing.
    early = manager.expire_snapshots("orders", older_than=datetime(2000, 1, 1, tzinfo=UTC))
    assert early.expired == [] and len(early.kept) == 5

    result = manager.expire_snapshots("orders", older_than=timedelta(0), retain_last=2)
    assert sorted(result.expired) == sorted(ids[:3])
    assert sorted(result.kept) == sorted(ids[3:])
    table = manager.get_table("orders")
    assert table.current_snapshot().snapshot_id == ids[-1]
    assert [s.snapshot_id for s in manager.snapshots("orders")] == ids[3:]
    assert manager.read("orders").num_rows == 30

    # retain_last=1 with no cutoff leaves only the current snapshot; it is never expired.
    assert manager.expire_snapshots("orders").expired == [ids[3]]
    assert [s.snapshot_id for s in manager.snapshots("orders")] == [ids[-1]]
    with pytest.raises(FloeUsageError, match="current snapshot is always kept"):
        manager.expire_snapshots("orders", retain_last=0)


def test_catalog_config_errors_name_the_fix(tmp_path: Path) -> None:
    from floe_ci.artifacts import CompiledArtifacts

    with pytest.raises(FloeUsageError, match="no `catalog` block"):
        create_catalog_client(CompiledArtifacts.model_construct(catalog=None))
    sqlite = CatalogConfig(type="sqlite", uri=str(tmp_path / "c.db"), warehouse="wh")
    with pytest.raises(FloeUsageError, match="sqlite, a local catalog"):
        create_catalog_client(sqlite)
    remote = CatalogConfig(
        type="polaris", uri="http://127.0.0.1:9/api/catalog", credential_secret_ref="polaris-creds"
    )
    with pytest.raises(FloeUsageError) as caught:
        create_catalog_client(remote, environ={})
    assert "POLARIS_CREDS" in str(caught.value) and "not set" in str(caught.value)
    with pytest.raises(ValueError, match="http:// or https://"):
        CatalogConfig(type="rest", uri="polaris:8181")


CATALOG_BLOCK = """
catalog:
  type: sqlite
  uri: .floe/iceberg/catalog.db
  namespace: shop
"""


def test_compiled_catalog_block_opens_the_catalog(shop: Path, parsed_shop: Path) -> None:
    from floe_ci.app.compile import compile_pipeline

    config = shop / "floe.yaml"
    config.write_text(config.read_text() + CATALOG_BLOCK)
    manifest = parsed_shop / PARSED_MANIFEST
    artifacts = compile_pipeline(config, manifest_path=manifest)
    assert artifacts.catalog is not None
    assert artifacts.catalog.model_dump(mode="json") == {
        "type": "sqlite",
        "uri": ".floe/iceberg/catalog.db",
        "warehouse": None,
        "prefix": None,
        "namespace": "shop",
        "credential_secret_ref": None,
    }
    catalog = catalog_from_config(artifacts.catalog, base_dir=shop)
    IcebergTableManager(catalog, artifacts.catalog.namespace).create_table("orders", ORDERS)
    assert (shop / ".floe" / "iceberg" / "catalog.db").is_file()
    assert any((shop / ".floe" / "iceberg" / "warehouse").rglob("*.metadata.json"))


def test_bad_catalog_block_is_located(shop: Path) -> None:
    from floe_ci.app.spec_file import load_spec

    config = shop / "floe.yaml"
    lines = config.read_text().splitlines()
    config.write_text("\n".join([*lines, "catalog:", "  type: rest", "  uri: polaris:8181", ""]))
    with pytest.raises(FloeUsageError) as caught:
        load_spec(config, "floe.yaml")
    text = str(caught.value)
    assert f"floe.yaml:{len(lines) + 1}" in text and "http:// or https://" in text
