"""IcebergTableManager: the tables of one namespace in one catalog (seed 6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.iceberg.maintenance import (
    CompactionResult,
    ExpiryResult,
    compact_table,
    expire_snapshots,
)
from floe_ci.integrations.iceberg.partitioning import build_partition_spec

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyiceberg.catalog import Catalog
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot of a table, from `inspect.snapshots()`."""

    snapshot_id: int
    parent_id: int | None
    committed_at: datetime
    operation: str | None
    summary: dict[str, str]


@dataclass(frozen=True)
class DataFileInfo:
    """One live data file, from `inspect.files()`."""

    path: str
    record_count: int
    size_bytes: int
    partition: dict[str, Any]


def iceberg_schema(schema: Schema | pa.Schema) -> Schema:
    """An Iceberg schema with field ids; a pyarrow schema gets fresh ids 1..n."""
    from pyiceberg.catalog import Catalog
    from pyiceberg.schema import Schema, assign_fresh_schema_ids

    if isinstance(schema, Schema):
        return schema
    return assign_fresh_schema_ids(Catalog._convert_schema_if_needed(schema))


class IcebergTableManager:
    """Create, read, write and maintain the tables of `namespace` (dots for nesting)."""

    def __init__(self, catalog: Catalog, namespace: str) -> None:
        if not namespace or any(not part for part in namespace.split(".")):
            raise FloeUsageError.single(
                "namespace", f"`{namespace}` is not a namespace name", hint="e.g. `sales`"
            )
        self.catalog = catalog
        self.namespace = namespace

    def identifier(self, name: str) -> tuple[str, ...]:
        return (*self.namespace.split("."), name)

    def ensure_namespace(self) -> None:
        self.catalog.create_namespace_if_not_exists(tuple(self.namespace.split(".")))

    def create_table(
        self,
        name: str,
        schema: Schema | pa.Schema,
        partition_by: Sequence[str] | PartitionSpec | None = None,
        properties: Mapping[str, str] | None = None,
        *,
        exist_ok: bool = False,
    ) -> Table:
        """Create a table; `partition_by` is a PartitionSpec or short strings like `day(ts)`."""
        from pyiceberg.exceptions import TableAlreadyExistsError
        from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionSpec

        fields = iceberg_schema(schema)
        if partition_by is None:
            spec = UNPARTITIONED_PARTITION_SPEC
        elif isinstance(partition_by, PartitionSpec):
            spec = partition_by
        else:
            spec = build_partition_spec(partition_by, fields, origin=f"table {name}")
        self.ensure_namespace()
        try:
            return self.catalog.create_table(
                self.identifier(name),
                schema=fields,
                partition_spec=spec,
                properties=dict(properties or {}),
            )
        except TableAlreadyExistsError:
            if not exist_ok:
                raise
            return self.get_table(name)

    def get_table(self, name: str) -> Table:
        return self.catalog.load_table(self.identifier(name))

    def table_exists(self, name: str) -> bool:
        return self.catalog.table_exists(self.identifier(name))

    def list_tables(self) -> list[str]:
        """Table names in the namespace, sorted; none while the namespace does not exist."""
        from pyiceberg.exceptions import NoSuchNamespaceError

        try:
            found = self.catalog.list_tables(tuple(self.namespace.split(".")))
        except NoSuchNamespaceError:
            return []
        return sorted(ident[-1] for ident in found)

    def drop_table(self, name: str) -> None:
        self.catalog.drop_table(self.identifier(name))

    def append(self, name: str, data: pa.Table) -> int:
        """Append rows in one snapshot; returns its id."""
        table = self.get_table(name)
        table.append(data)
        return _current_snapshot_id(table)

    def overwrite(
        self, name: str, data: pa.Table, row_filter: BooleanExpression | str | None = None
    ) -> int:
        """Replace the rows `row_filter` selects (all rows when None) with `data`."""
        from pyiceberg.expressions import AlwaysTrue

        table = self.get_table(name)
        table.overwrite(
            data, overwrite_filter=row_filter if row_filter is not None else AlwaysTrue()
        )
        return _current_snapshot_id(table)

    def read(self, name: str, row_filter: BooleanExpression | str | None = None) -> pa.Table:
        from pyiceberg.expressions import AlwaysTrue

        scope = row_filter if row_filter is not None else AlwaysTrue()
        return self.get_table(name).scan(row_filter=scope).to_arrow()

    def snapshots(self, name: str) -> list[SnapshotInfo]:
        """Snapshots oldest first, from the table's `snapshots` metadata table."""
        rows = self.get_table(name).inspect.snapshots().to_pylist()
        infos = [
            SnapshotInfo(
                snapshot_id=row["snapshot_id"],
                parent_id=row["parent_id"],
                committed_at=_utc(row["committed_at"]),
                operation=row["operation"],
                summary=dict(row["summary"] or []),
            )
            for row in rows
        ]
        return sorted(infos, key=lambda info: info.committed_at)

    def data_files(self, name: str) -> list[DataFileInfo]:
        """Live data files of the current snapshot, from the `files` metadata table."""
        rows = self.get_table(name).inspect.data_files().to_pylist()
        return [
            DataFileInfo(
                path=row["file_path"],
                record_count=row["record_count"],
                size_bytes=row["file_size_in_bytes"],
                partition=dict(row["partition"] or {}),
            )
            for row in rows
        ]

    def expire_snapshots(
        self,
        name: str,
        older_than: datetime | timedelta | None = None,
        retain_last: int = 1,
    ) -> ExpiryResult:
        return expire_snapshots(
            self.get_table(name), older_than=older_than, retain_last=retain_last
        )

    def compact(
        self,
        name: str,
        row_filter: BooleanExpression | str | None = None,
        *,
        target_file_size_bytes: int | None = None,
        min_input_files: int = 2,
    ) -> CompactionResult:
        return compact_table(
            self.get_table(name),
            row_filter=row_filter,
            target_file_size_bytes=target_file_size_bytes,
            min_input_files=min_input_files,
        )


def _current_snapshot_id(table: Table) -> int:
    snapshot = table.current_snapshot()
    if snapshot is None:  # a committed write always makes one
        raise RuntimeError(f"{table.name()} has no current snapshot after a write")
    return snapshot.snapshot_id


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
