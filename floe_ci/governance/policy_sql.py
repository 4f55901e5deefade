"""SQL that turns a classified column's raw value into its governed value.

Every governed value keeps the column's type (the expression is cast back to it), so models,
tests, dashboards and Cube that read the column keep working. Per action and kind of value:

| action     | text                                   | number        | date / timestamp       |
|------------|----------------------------------------|---------------|------------------------|
| mask       | first character + `***` (e-mail keeps  | NULL          | first day of the year  |
|            | its domain: `a***@example.com`)        |               |                        |
| hash       | sha256 hex of the value                | 28-bit hash   | 1970-01-01 + hash days |
| redact     | `[REDACTED]`                           | NULL          | NULL                   |
| synthesize | fake value of the pii_type (synthetic) | fake number   | fake date              |

Other types (boolean, JSON, ...) become NULL for every action. `mask` and `redact` are
idempotent (applying them twice changes nothing). NULL stays NULL.
"""

from __future__ import annotations

import re

from floe_ci.governance.sql_dialect import SqlDialect, TypeFamily, quote_ident
from floe_ci.governance.synthetic import synthetic_sql
from floe_ci.spec.models import PolicyAction

REDACTED = "[REDACTED]"
# Identifiers whose raw value keeps meaning in its last characters only.
_MASK_KEEP_TAIL = ("phone", "credit_card", "bank_account")


def governed_value_sql(
    action: PolicyAction,
    column: str,
    sql_type: str,
    family: TypeFamily,
    pii_type: str | None,
    sql: SqlDialect,
) -> str:
    """`CAST(<governed expression> AS <sql_type>)` for the quoted column `column`."""
    ref = quote_ident(column)
    expr = _governed(action, ref, family, pii_type, sql)
    limit = number_limit(sql_type) if family == TypeFamily.NUMBER else None
    if expr is not None and limit is not None:
        expr = f"(({expr}) % {limit})"  # stay inside the column's range (smallint, numeric(6,2))
    return f"CAST({expr or 'NULL'} AS {sql_type})"


_SMALL_INTEGERS = {"tinyint": 127, "int1": 127, "smallint": 32767, "int2": 32767}


def number_limit(sql_type: str) -> int | None:
    """An exclusive upper bound for generated numbers when the type is narrower than 2^28."""
    name = sql_type.strip().lower()
    if name in _SMALL_INTEGERS:
        return _SMALL_INTEGERS[name]
    match = re.match(r"(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", name)
    if match:
        digits = int(match.group(1)) - int(match.group(2) or 0)
        return 10**digits if digits < 9 else None
    return None


def _governed(
    action: PolicyAction, ref: str, family: TypeFamily, pii_type: str | None, sql: SqlDialect
) -> str | None:
    if action == PolicyAction.REDACT:
        return (
            f"CASE WHEN {ref} IS NULL THEN NULL ELSE '{REDACTED}' END" if _is_text(family) else None
        )
    if action == PolicyAction.MASK:
        return _mask(ref, family, pii_type)
    if action == PolicyAction.HASH:
        return _hash(ref, family, sql)
    if action == PolicyAction.SYNTHESIZE:
        return synthetic_sql(ref, family, pii_type, sql)
    raise ValueError(f"{action} is not a value transformation")  # restrict: grants, not values


def _is_text(family: TypeFamily) -> bool:
    return family == TypeFamily.TEXT


def _mask(ref: str, family: TypeFamily, pii_type: str | None) -> str | None:
    if family in (TypeFamily.DATE, TypeFamily.TIMESTAMP):
        return f"date_trunc('year', {ref})"
    if family != TypeFamily.TEXT:
        return None
    if pii_type == "email":
        return (
            f"CASE WHEN {ref} IS NULL THEN NULL "
            f"WHEN position('@' in {ref}) > 1 "
            f"THEN left({ref}, 1) || '***' || substr({ref}, position('@' in {ref})) "
            f"ELSE left({ref}, 1) || '***' END"
        )
    if pii_type in _MASK_KEEP_TAIL:
        # `**** **01`: the last two characters, everything else starred (length kept).
        return (
            f"CASE WHEN {ref} IS NULL THEN NULL WHEN length({ref}) <= 4 THEN '****' "
            f"ELSE repeat('*', length({ref}) - 2) || right({ref}, 2) END"
        )
    return f"CASE WHEN {ref} IS NULL THEN NULL ELSE left({ref}, 1) || '***' END"


def _hash(ref: str, family: TypeFamily, sql: SqlDialect) -> str | None:
    if family == TypeFamily.TEXT:
        return sql.sha256_hex(ref)
    if family == TypeFamily.NUMBER:
        return sql.hash_int(ref)
    if family in (TypeFamily.DATE, TypeFamily.TIMESTAMP):
        return sql.add_days("1970-01-01", f"{sql.hash_int(ref)} % 36500")
    return None
