"""OpenLineage names for the warehouse's datasets, after the OpenLineage naming conventions.

A dataset is (namespace, name): the namespace says which warehouse (`postgres://host:5432`,
`duckdb:///abs/path/shop.duckdb`, `bigquery`), the name which relation in it
(`database.schema.table`). Jobs live in the pipeline's lineage namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_ci.spec.models import ComputeTarget

_DEFAULT_PORTS = {ComputeTarget.POSTGRES: 5432, ComputeTarget.REDSHIFT: 5439}


def dataset_namespace(target: ComputeTarget, output: Mapping[str, Any]) -> str:
    """The namespace of every relation in the warehouse that a dbt profile output points at."""

    def literal(key: str) -> str | None:
        value = output.get(key)
        # An env_var() reference is not a name: leave it out rather than leak a template.
        if value is None or "{{" in str(value):
            return None
        return str(value)

    if target == ComputeTarget.DUCKDB:
        path = literal("path") or ":memory:"
        if path == ":memory:" or "://" in path or path.startswith("md:"):
            return f"duckdb://{path}"
        return "duckdb://" + Path(path).resolve().as_posix()
    if target in _DEFAULT_PORTS:
        host = literal("host") or "localhost"
        port = literal("port") or str(_DEFAULT_PORTS[target])
        return f"{target.value}://{host}:{port}"
    if target == ComputeTarget.SNOWFLAKE:
        return f"snowflake://{literal('account') or 'unknown-account'}"
    if target == ComputeTarget.BIGQUERY:
        return "bigquery"
    host = literal("host") or "unknown-host"
    if target == ComputeTarget.SPARK:
        spark_port = literal("port")
        return f"spark://{host}:{spark_port}" if spark_port else f"spark://{host}"
    return f"{target.value}://{host}"


def dataset_name(database: str | None, schema: str | None, identifier: str) -> str:
    """`database.schema.table`, leaving out the parts that are unknown."""
    return ".".join(part for part in (database, schema, identifier) if part)


def job_name(unique_id: str) -> str:
    """`model.shop.customers` -> `shop.customers` (dbt package and node name)."""
    parts = unique_id.split(".")
    return ".".join(parts[1:]) if len(parts) > 1 else unique_id
