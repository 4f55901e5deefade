"""Table maintenance without a Spark cluster: compaction of small files and snapshot expiry.

Compaction reads the rows in scope with `scan().to_arrow()` and overwrites exactly that scope in
one transaction, so readers see either the old files or the new ones, never a mix, and the
rows are unchanged. The commit asserts that the table did not move since the scan, so a
concurrent writer makes it fail instead of losing data. Rows are held in memory: compact a
large table partition by partition with `row_filter`.

Expiry removes snapshots from the table metadata (pyiceberg 0.12's
`tbl.maintenance.expire_snapshots()`); it never removes the current snapshot, a branch or tag
head, or the last `retain_last` snapshots in the current snapshot's history. Data files that
only expired snapshots referenced are left on storage for an orphan-file clean-up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from floe_ci.errors import FloeUsageError

if TYPE_CHECKING:
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.table import FileScanTask, Table

# Iceberg's default `write.target-file-size-bytes`.
DEFAULT_TARGET_FILE_SIZE = 512 * 1024 * 1024
COMPACTION_PROPERTY = "floe.compaction"


@dataclass(frozen=True)
class CompactionResult:
    """What a compaction did (or why it did nothing)."""

    table: str
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    rows: int
    skipped: bool
    reason: str
    snapshot_id: int | None = None

    def describe(self) -> str:
        if self.skipped:
            return f"{self.table}: nothing to compact ({self.reason})"
        return (
            f"{self.table}: {self.files_before} data files -> {self.files_after} "
            f"({self.rows} rows, {self.bytes_before} -> {self.bytes_after} bytes)"
        )


@dataclass(frozen=True)
class ExpiryResult:
    """Snapshots removed and kept by an expiry."""

    expired: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)


def _target_size(table: Table, requested: int | None) -> int:
    if requested is not None:
        if requested < 1:
            raise FloeUsageError.single(
                "compaction", "target_file_size_bytes must be positive", hint="e.g. 134217728"
            )
        return requested
    value = table.properties.get("write.target-file-size-bytes")
    return int(value) if value and value.isdigit() else DEFAULT_TARGET_FILE_SIZE


def _partition_key(task: FileScanTask) -> tuple[int, str]:
    return task.file.spec_id, repr(task.file.partition)


def _needs_compaction(tasks: list[FileScanTask], target: int, min_input_files: int) -> str | None:
    """Why the scope is worth rewriting, or None when it is not."""
    if any(task.delete_files for task in tasks):
        return "delete files to apply"
    small: dict[tuple[int, str], int] = defaultdict(int)
    for task in tasks:
        if task.file.file_size_in_bytes < target:
            small[_partition_key(task)] += 1
    crowded = [count for count in small.values() if count >= min_input_files]
    if crowded:
        return f"{sum(crowded)} small files in {len(crowded)} partition(s)"
    return None


def compact_table(
    table: Table,
    *,
    row_filter: BooleanExpression | str | None = None,
    target_file_size_bytes: int | None = None,
    min_input_files: int = 2,
) -> CompactionResult:
    """Rewrite the small data files of `table` (or of the rows `row_filter` selects) into few.

    Nothing is written when no partition in scope holds `min_input_files` files smaller than
    the target size (default: the table's `write.target-file-size-bytes`) and no delete file
    is pending. The new files are written with the table's own writer settings.
    """
    from pyiceberg.expressions import AlwaysTrue

    if min_input_files < 2:
        raise FloeUsageError.single(
            "compaction", "min_input_files must be at least 2: one file is already compact"
        )
    name = ".".join(table.name())
    scope = row_filter if row_filter is not None else AlwaysTrue()
    target = _target_size(table, target_file_size_bytes)
    snapshot = table.current_snapshot()
    if snapshot is None:
        return CompactionResult(name, 0, 0, 0, 0, 0, True, "the table has no data")

    scan = table.scan(row_filter=scope, snapshot_id=snapshot.snapshot_id)
    tasks = list(scan.plan_files())
    before = len(tasks)
    bytes_before = sum(task.file.file_size_in_bytes for task in tasks)
    reason = _needs_compaction(tasks, target, min_input_files)
    if reason is None:
        rows = sum(task.file.record_count for task in tasks)
        why = f"{before} data file(s), none crowded below {target} bytes"
        return CompactionResult(name, before, before, bytes_before, bytes_before, rows, True, why)

    data = scan.to_arrow()
    with table.transaction() as transaction:
        transaction.overwrite(
            data,
            overwrite_filter=scope,
            snapshot_properties={COMPACTION_PROPERTY: f"{before} files"},
        )
    after_tasks = list(table.scan(row_filter=scope).plan_files())
    current = table.current_snapshot()
    return CompactionResult(
        table=name,
        files_before=before,
        files_after=len(after_tasks),
        bytes_before=bytes_before,
        bytes_after=sum(task.file.file_size_in_bytes for task in after_tasks),
        rows=data.num_rows,
        skipped=False,
        reason=reason,
        snapshot_id=current.snapshot_id if current else None,
    )


def _cutoff_ms(older_than: datetime | timedelta | None) -> int | None:
    if older_than is None:
        return None
    if isinstance(older_than, timedelta):
        older_than = datetime.now(tz=UTC) - older_than
    if older_than.tzinfo is None:
        # A naive time is taken as UTC, the time zone of Iceberg snapshot timestamps.
        older_than = older_than.replace(tzinfo=UTC)
    return int(older_than.timestamp() * 1000)


def _retained(table: Table, retain_last: int) -> set[int]:
    """The current snapshot, its `retain_last - 1` newest ancestors, and every ref head."""
    metadata = table.metadata
    by_id = {snap.snapshot_id: snap for snap in metadata.snapshots}
    kept: set[int] = {ref.snapshot_id for ref in metadata.refs.values()}
    current_id = metadata.current_snapshot_id
    for _ in range(retain_last):
        if current_id is None or current_id not in by_id:
            break  # history shorter than N, or its older part already expired
        kept.add(current_id)
        current_id = by_id[current_id].parent_snapshot_id
    return kept


def expire_snapshots(
    table: Table,
    *,
    older_than: datetime | timedelta | None = None,
    retain_last: int = 1,
) -> ExpiryResult:
    """Remove snapshots older than `older_than` (all old ones when None), keeping the last N."""
    if retain_last < 1:
        raise FloeUsageError.single(
            "expire_snapshots",
            f"retain_last={retain_last}: the current snapshot is always kept",
            hint="use retain_last=1 or more",
        )
    cutoff = _cutoff_ms(older_than)
    kept = _retained(table, retain_last)
    expired = sorted(
        snap.snapshot_id
        for snap in table.metadata.snapshots
        if snap.snapshot_id not in kept and (cutoff is None or snap.timestamp_ms < cutoff)
    )
    if expired:
        table.maintenance.expire_snapshots().by_ids(expired).commit()
    remaining = sorted(snap.snapshot_id for snap in table.metadata.snapshots)
    return ExpiryResult(expired=expired, kept=remaining)
