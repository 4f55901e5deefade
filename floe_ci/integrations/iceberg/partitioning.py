"""Partition specs from short strings: `["day(ordered_at)", "bucket(16, customer_id)", "region"]`.

The syntax is the one Spark SQL and Trino use for Iceberg (`PARTITIONED BY (...)`):
`identity`, `year`, `month`, `day`, `hour` (also their plural forms), `bucket(N, col)`,
`truncate(W, col)` and `void(col)`; a bare column name is `identity`. Field names follow
Iceberg's own convention (`ordered_at_day`, `customer_id_bucket`, `name_trunc`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from floe_ci.errors import FloeUsageError

if TYPE_CHECKING:
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import Transform
    from pyiceberg.types import NestedField

# Iceberg numbers partition fields from 1000 (PARTITION_DATA_ID_START).
FIRST_FIELD_ID = 1000

_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*\(\s*(?:(\d+)\s*,\s*)?([^(),\s][^(),]*?)\s*\)\s*$")
_COLUMN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*$")

_ALIASES = {"years": "year", "months": "month", "days": "day", "hours": "hour"}
_WITH_ARGUMENT = {"bucket", "truncate"}
_WITHOUT_ARGUMENT = {"identity", "year", "month", "day", "hour", "void"}
_SUFFIX = {"truncate": "trunc"}

_HINT = (
    "write `column`, `day(column)` (also year/month/hour/identity/void), "
    "`bucket(N, column)` or `truncate(W, column)`"
)


@dataclass(frozen=True)
class PartitionTerm:
    """One parsed entry: transform name, its number argument (bucket/truncate), the column."""

    transform: str
    column: str
    argument: int | None = None

    @property
    def field_name(self) -> str:
        if self.transform == "identity":
            return self.column.replace(".", "_")
        suffix = _SUFFIX.get(self.transform, self.transform)
        return f"{self.column.replace('.', '_')}_{suffix}"


def parse_partition_term(text: str, origin: str = "partition spec") -> PartitionTerm:
    """Parse one entry; a malformed one is a FloeUsageError naming it and the syntax."""
    column = _COLUMN.match(text)
    if column:
        return PartitionTerm("identity", column.group(1))
    call = _CALL.match(text)
    if not call:
        raise FloeUsageError.single(origin, f"cannot read partition term `{text}`", hint=_HINT)
    name = _ALIASES.get(call.group(1).lower(), call.group(1).lower())
    number = int(call.group(2)) if call.group(2) is not None else None
    column_name = call.group(3).strip()
    if not _COLUMN.match(column_name):
        raise FloeUsageError.single(
            origin, f"`{column_name}` in `{text}` is not a column name", hint=_HINT
        )
    if name in _WITH_ARGUMENT:
        if number is None or number < 1:
            raise FloeUsageError.single(
                origin,
                f"`{text}`: {name} needs a positive number first, e.g. `{name}(16, {column_name})`",
                hint=_HINT,
            )
    elif name in _WITHOUT_ARGUMENT:
        if number is not None:
            raise FloeUsageError.single(
                origin, f"`{text}`: {name} takes only a column, e.g. `{name}({column_name})`"
            )
    else:
        raise FloeUsageError.single(origin, f"`{text}`: unknown transform `{name}`", hint=_HINT)
    return PartitionTerm(name, column_name, number)


def _transform(term: PartitionTerm) -> Transform[Any, Any]:
    from pyiceberg import transforms

    if term.transform == "bucket":
        return transforms.BucketTransform(num_buckets=term.argument or 0)
    if term.transform == "truncate":
        return transforms.TruncateTransform(width=term.argument or 0)
    simple: dict[str, Transform[Any, Any]] = {
        "identity": transforms.IdentityTransform(),
        "year": transforms.YearTransform(),
        "month": transforms.MonthTransform(),
        "day": transforms.DayTransform(),
        "hour": transforms.HourTransform(),
        "void": transforms.VoidTransform(),
    }
    return simple[term.transform]


def build_partition_spec(
    terms: Sequence[str], schema: Schema, origin: str = "partition spec"
) -> PartitionSpec:
    """A PartitionSpec for `schema` (whose field ids are the source ids) from short strings."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec

    fields: list[PartitionField] = []
    names: set[str] = set()
    for offset, text in enumerate(terms):
        term = parse_partition_term(text, origin)
        source = _find(schema, term.column)
        if source is None:
            known = ", ".join(f.name for f in schema.fields)
            raise FloeUsageError.single(
                origin,
                f"`{text}`: no column `{term.column}` in the table",
                hint=f"columns: {known}",
            )
        transform = _transform(term)
        if not transform.can_transform(source.field_type):
            raise FloeUsageError.single(
                origin,
                f"`{text}`: {term.transform} cannot partition `{term.column}` of type "
                f"{source.field_type}",
                hint="year/month/day need a date or timestamp, hour a timestamp; "
                "truncate a number, string or binary",
            )
        if term.field_name in names:
            raise FloeUsageError.single(origin, f"`{text}`: partition field repeated")
        names.add(term.field_name)
        fields.append(
            PartitionField(
                source_id=source.field_id,
                field_id=FIRST_FIELD_ID + offset,
                transform=transform,
                name=term.field_name,
            )
        )
    return PartitionSpec(*fields)


def _find(schema: Schema, column: str) -> NestedField | None:
    try:
        return schema.find_field(column, case_sensitive=True)
    except ValueError:
        return None
