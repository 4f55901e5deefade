"""Read a few values of each column of a relation (`floe-ci classify --sample`).

At most `limit` non-null values per column, one column at a time, read into memory and
handed to the pure value detector; nothing here prints, logs or stores a value. Relations
are found in the warehouse by name (dbt's alias or a source's identifier), preferring the
schema dbt would build into, because the manifest was parsed against floe's own profile.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_ci.governance.sql_dialect import TypeFamily, quote_ident, type_family
from floe_ci.integrations.warehouse.connection import (
    Column,
    DuckDBWarehouse,
    PostgresWarehouse,
    Relation,
    Warehouse,
)
from floe_ci.spec.models import ComputeTarget

SAMPLE_TARGETS = (ComputeTarget.DUCKDB, ComputeTarget.POSTGRES)
# The schema floe's parse profile uses; dbt puts custom schemas after it (`main_staging`).
_PARSE_SCHEMA = "main"


def open_sampling_warehouse(target: ComputeTarget, output: Mapping[str, Any]) -> Warehouse:
    """A connection from a profile output whose env_var() references are resolved."""
    if target == ComputeTarget.DUCKDB:
        import duckdb

        # Read-only: sampling never writes, and a dbt run may hold the file open.
        return DuckDBWarehouse(duckdb.connect(str(output["path"]), read_only=True))
    return PostgresWarehouse.open(
        host=output["host"],
        port=int(output.get("port", 5432)),
        user=output["user"],
        password=output.get("password") or output.get("pass"),
        dbname=output.get("dbname") or output.get("database"),
    )


def database_of(target: ComputeTarget, output: Mapping[str, Any]) -> str:
    if target == ComputeTarget.DUCKDB:
        return str(output.get("database") or Path(str(output["path"])).stem)
    return str(output.get("dbname") or output.get("database"))


@dataclass
class RelationFinder:
    """Relations of one database by lower-case name -> [(schema, name)]."""

    database: str
    target_schema: str
    tables: dict[str, list[tuple[str, str]]]

    @classmethod
    def load(cls, warehouse: Warehouse, database: str, target_schema: str) -> RelationFinder:
        rows = warehouse.query(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema NOT IN ('information_schema', "
            "'pg_catalog')".replace("?", warehouse.placeholder),
            (database,),
        )
        tables: dict[str, list[tuple[str, str]]] = {}
        for schema, name in rows:
            tables.setdefault(str(name).lower(), []).append((str(schema), str(name)))
        return cls(database, target_schema, tables)

    def find(self, node: Mapping[str, Any]) -> Relation | None:
        """The node's relation: its name in the schema dbt builds it into, else the only
        relation of that name; None when there is none or the name is ambiguous."""
        name = str(node.get("identifier") or node.get("alias") or node.get("name") or "")
        found = self.tables.get(name.lower(), [])
        if not found:
            return None
        wanted = self._schema(node)
        for schema, table in found:
            if schema.lower() == wanted.lower():
                return Relation(self.database, schema, table)
        if len(found) == 1:
            return Relation(self.database, *found[0])
        return None

    def _schema(self, node: Mapping[str, Any]) -> str:
        schema = str(node.get("schema") or _PARSE_SCHEMA)
        if node.get("resource_type") != "source" and (
            schema == _PARSE_SCHEMA or schema.startswith(_PARSE_SCHEMA + "_")
        ):
            schema = self.target_schema + schema[len(_PARSE_SCHEMA) :]
        return schema


def samplable(column: Column) -> bool:
    """Text (formats, names) and dates (birth dates); numbers reveal nothing by format."""
    return type_family(column.sql_type) in (TypeFamily.TEXT, TypeFamily.DATE)


def sample_columns(
    warehouse: Warehouse, relation: Relation, columns: list[Column], limit: int
) -> Iterator[tuple[Column, list[object]]]:
    """(column, at most `limit` of its non-null values), one query per column."""
    table = warehouse.qualified(relation)
    for column in columns:
        name = quote_ident(column.name)
        rows = warehouse.query(
            f"SELECT {name} FROM {table} WHERE {name} IS NOT NULL LIMIT {int(limit)}"
        )
        yield column, [row[0] for row in rows]
