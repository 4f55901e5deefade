"""Apache Iceberg tables: creation with partitioning, writes, compaction, snapshots (seed 6).

pyiceberg is imported only inside the functions that need it, never at import time.
"""

from floe_ci.integrations.iceberg.catalog import catalog_from_config
from floe_ci.integrations.iceberg.maintenance import (
    CompactionResult,
    ExpiryResult,
    compact_table,
    expire_snapshots,
)
from floe_ci.integrations.iceberg.partitioning import build_partition_spec, parse_partition_term
from floe_ci.integrations.iceberg.tables import IcebergTableManager

__all__ = [
    "CompactionResult",
    "ExpiryResult",
    "IcebergTableManager",
    "build_partition_spec",
    "catalog_from_config",
    "compact_table",
    "expire_snapshots",
    "parse_partition_term",
]
