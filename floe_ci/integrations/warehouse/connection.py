"""Warehouse access for run-time governance: DuckDB (file) and PostgreSQL.

Each class answers the same questions (what a relation is, its columns and their types, a
view's query, who may read it) and runs statements in one transaction per relation.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from floe_ci.governance.enforcement import RelationKind
from floe_ci.governance.sql_dialect import Dialect, SqlDialect, quote_ident, quote_literal

GOVERNED_MARK = "floe-governed:non_production"

_NAME_PART = r"(?:\"(?:[^\"]|\"\")*\"|[^\s(.\"]+)"
_VIEW_DDL = re.compile(
    rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+{_NAME_PART}(?:\.{_NAME_PART})*\s*"
    r"(?P<columns>\([^)]*\))?\s*AS\s+(?P<query>.*?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Relation:
    database: str
    schema: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Relation:
        """`"db"."schema"."name"` (dbt's relation_name) or `db.schema.name`."""
        tokens = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', text)
        parts = [quoted.replace('""', '"') if quoted else bare for quoted, bare in tokens]
        if len(parts) != 3:
            raise ValueError(f"not a database.schema.name relation: {text}")
        return cls(parts[0], parts[1], parts[2])

    def __str__(self) -> str:
        return f"{self.database}.{self.schema}.{self.name}"


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str


class Warehouse(ABC):
    """Base: the statements both engines share."""

    sql: SqlDialect
    supports_grants: bool = False
    label: str = ""
    placeholder = "?"

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.connection.close()

    @abstractmethod
    def qualified(self, relation: Relation) -> str:
        """The relation as this engine names it in SQL."""

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        cursor.execute(statement, params)
        rows = cursor.fetchall()
        return [tuple(row) for row in rows]

    def run_in_transaction(self, statements: list[str]) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        try:
            for statement in statements:
                cursor.execute(statement)
            cursor.execute("COMMIT")
        except Exception:
            cursor.execute("ROLLBACK")
            raise

    def kind(self, relation: Relation) -> RelationKind | None:
        rows = self.query(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ?".replace(
                "?", self.placeholder
            ),
            (relation.database, relation.schema, relation.name),
        )
        if not rows:
            return None
        return "view" if "VIEW" in str(rows[0][0]).upper() else "table"

    def comment_statement(self, relation: Relation, kind: RelationKind, comment: str) -> str:
        keyword = "VIEW" if kind == "view" else "TABLE"
        return f"COMMENT ON {keyword} {self.qualified(relation)} IS {quote_literal(comment)}"

    def marked_comment(self, relation: Relation, kind: RelationKind) -> str | None:
        """The comment to set to mark the relation governed; None when it already is."""
        current = self.comment(relation, kind) or ""
        if GOVERNED_MARK in current:
            return None
        return f"{current} [{GOVERNED_MARK}]".strip()

    @abstractmethod
    def comment(self, relation: Relation, kind: RelationKind) -> str | None:
        """The relation's comment, if any."""

    @abstractmethod
    def columns(self, relation: Relation) -> list[Column]:
        """Columns in order, with the engine's full type names."""

    @abstractmethod
    def view_query(self, relation: Relation) -> tuple[str, str | None]:
        """The view's SELECT and its column list (`(a, b)`) when the definition has one."""


class DuckDBWarehouse(Warehouse):
    sql = SqlDialect(Dialect.DUCKDB)
    label = "duckdb"

    @classmethod
    def open(cls, path: str) -> DuckDBWarehouse:
        import duckdb

        return cls(duckdb.connect(path))

    def qualified(self, relation: Relation) -> str:
        return ".".join(quote_ident(p) for p in (relation.database, relation.schema, relation.name))

    def comment(self, relation: Relation, kind: RelationKind) -> str | None:
        source = "duckdb_views()" if kind == "view" else "duckdb_tables()"
        name = "view_name" if kind == "view" else "table_name"
        rows = self.query(
            f"SELECT comment FROM {source} WHERE database_name = ? AND schema_name = ? "
            f"AND {name} = ?",
            (relation.database, relation.schema, relation.name),
        )
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def columns(self, relation: Relation) -> list[Column]:
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            (relation.database, relation.schema, relation.name),
        )
        return [Column(str(name), str(sql_type)) for name, sql_type in rows]

    def view_query(self, relation: Relation) -> tuple[str, str | None]:
        rows = self.query(
            "SELECT sql FROM duckdb_views() WHERE database_name = ? AND schema_name = ? "
            "AND view_name = ?",
            (relation.database, relation.schema, relation.name),
        )
        match = _VIEW_DDL.match(str(rows[0][0])) if rows else None
        if match is None:
            raise ValueError(f"cannot read the definition of view {relation}")
        return match.group("query"), match.group("columns")


class PostgresWarehouse(Warehouse):
    sql = SqlDialect(Dialect.POSTGRES)
    supports_grants = True
    label = "postgres"
    placeholder = "%s"

    @classmethod
    def open(cls, **connect_args: Any) -> PostgresWarehouse:
        from floe_ci.integrations.extras import require_extra

        require_extra("psycopg2", "postgres", "a postgres target")
        import psycopg2  # type: ignore[import-untyped]

        connection = psycopg2.connect(**connect_args)
        connection.autocommit = True  # transactions are explicit (run_in_transaction)
        return cls(connection)

    def qualified(self, relation: Relation) -> str:
        return f"{quote_ident(relation.schema)}.{quote_ident(relation.name)}"

    def _regclass(self, relation: Relation) -> str:
        return quote_literal(self.qualified(relation)) + "::regclass"

    def comment(self, relation: Relation, kind: RelationKind) -> str | None:
        rows = self.query(f"SELECT obj_description({self._regclass(relation)}, 'pg_class')")
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def columns(self, relation: Relation) -> list[Column]:
        rows = self.query(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            f"WHERE attrelid = {self._regclass(relation)} AND attnum > 0 AND NOT attisdropped "
            "ORDER BY attnum"
        )
        return [Column(str(name), str(sql_type)) for name, sql_type in rows]

    def view_query(self, relation: Relation) -> tuple[str, str | None]:
        rows = self.query(f"SELECT pg_get_viewdef({self._regclass(relation)}, true)")
        return str(rows[0][0]).strip().rstrip(";"), None

    def owner(self, relation: Relation) -> str:
        rows = self.query(
            f"SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = {self._regclass(relation)}"
        )
        return str(rows[0][0])

    def select_grantees(self, relation: Relation) -> set[str]:
        """Roles (and PUBLIC) holding SELECT on the relation or any of its columns."""
        rows = self.query(
            "SELECT grantee FROM information_schema.role_table_grants "
            "WHERE table_schema = %s AND table_name = %s AND privilege_type = 'SELECT' "
            "UNION SELECT grantee FROM information_schema.column_privileges "
            "WHERE table_schema = %s AND table_name = %s AND privilege_type = 'SELECT'",
            (relation.schema, relation.name, relation.schema, relation.name),
        )
        acl = self.query(
            f"SELECT relacl::text FROM pg_class WHERE oid = {self._regclass(relation)}"
        )
        grantees = {str(row[0]) for row in rows}
        # information_schema lists only grants visible to the current role; PUBLIC shows as `=r/`.
        if acl and acl[0][0] and re.search(r"[{,]=[a-zA-Z]*r", str(acl[0][0])):
            grantees.add("PUBLIC")
        return grantees

    def existing_roles(self, names: list[str]) -> set[str]:
        if not names:
            return set()
        rows = self.query("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,))
        return {str(row[0]) for row in rows}
