"""The few SQL spellings that differ between the warehouses run-time governance supports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Dialect(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"


class TypeFamily(StrEnum):
    """What kind of value a column holds; governed values keep the column's type."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    TIMESTAMP = "timestamp"
    OTHER = "other"


_NUMBER_WORDS = ("int", "numeric", "decimal", "double", "float", "real", "serial", "number")


def type_family(sql_type: str) -> TypeFamily:
    """Classify a type name as the warehouse reports it (`character varying`, `DECIMAL(18,3)`)."""
    name = sql_type.strip().lower()
    if "char" in name or name in ("text", "string", "varchar", "citext", "name"):
        return TypeFamily.TEXT
    if name.startswith("timestamp") or name == "datetime":
        return TypeFamily.TIMESTAMP
    if name == "date":
        return TypeFamily.DATE
    if any(word in name for word in _NUMBER_WORDS):
        return TypeFamily.NUMBER
    return TypeFamily.OTHER


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class SqlDialect:
    dialect: Dialect

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def sha256_hex(self, expr: str) -> str:
        """Lower-case hex sha256 of the value's text."""
        text = self.as_text(expr)
        if self.dialect == Dialect.DUCKDB:
            return f"sha256({text})"
        return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"

    def hash_int(self, expr: str) -> str:
        """A deterministic integer in [0, 2^28) derived from the value (md5, 7 hex digits)."""
        digits = f"left(md5({self.as_text(expr)}), 7)"
        if self.dialect == Dialect.DUCKDB:
            return f"CAST('0x' || {digits} AS INTEGER)"
        return f"CAST(CAST('x' || lpad({digits}, 8, '0') AS bit(32)) AS integer)"

    def pick(self, options: tuple[str, ...], index_expr: str) -> str:
        """One of `options`, chosen by a non-negative integer expression."""
        items = ", ".join(quote_literal(option) for option in options)
        return f"(ARRAY[{items}])[1 + ({index_expr}) % {len(options)}]"

    def int_div(self, left: str, right: int) -> str:
        """Integer division (DuckDB's `/` always returns a DOUBLE)."""
        operator = "//" if self.dialect == Dialect.DUCKDB else "/"
        return f"({left} {operator} {right})"

    def padded(self, number_expr: str, width: int) -> str:
        return f"lpad({self.as_text(number_expr)}, {width}, '0')"

    def add_days(self, date_literal: str, days_expr: str) -> str:
        return f"(DATE {quote_literal(date_literal)} + CAST({days_expr} AS INTEGER))"
