"""Partition terms in Spark/Trino syntax -> Iceberg partition fields (pure parsing and building)."""

from __future__ import annotations

import pytest
from pyiceberg.schema import Schema
from pyiceberg.types import DateType, LongType, NestedField, StringType, StructType

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.iceberg.partitioning import (
    PartitionTerm,
    build_partition_spec,
    parse_partition_term,
)

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=True),
    NestedField(2, "region", StringType()),
    NestedField(3, "day", DateType()),
    NestedField(4, "address", StructType(NestedField(5, "city", StringType()))),
)


@pytest.mark.parametrize(
    ("text", "term", "field_name"),
    [
        ("region", PartitionTerm("identity", "region"), "region"),
        ("identity(region)", PartitionTerm("identity", "region"), "region"),
        ("day(day)", PartitionTerm("day", "day"), "day_day"),
        ("DAYS( day )", PartitionTerm("day", "day"), "day_day"),
        ("months(day)", PartitionTerm("month", "day"), "day_month"),
        ("bucket(16, id)", PartitionTerm("bucket", "id", 16), "id_bucket"),
        ("truncate(3,region)", PartitionTerm("truncate", "region", 3), "region_trunc"),
        ("address.city", PartitionTerm("identity", "address.city"), "address_city"),
    ],
)
def test_terms_parse(text: str, term: PartitionTerm, field_name: str) -> None:
    parsed = parse_partition_term(text)
    assert parsed == term
    assert parsed.field_name == field_name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bucket(0, id)", "needs a positive number"),
        ("truncate(region)", "needs a positive number"),
        ("day(3, day)", "takes only a column"),
        ("week(day)", "unknown transform `week`"),
        ("day(day", "cannot read partition term"),
        ("", "cannot read partition term"),
    ],
)
def test_bad_terms_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(FloeUsageError) as caught:
        parse_partition_term(text, "floe.yaml")
    assert message in str(caught.value)
    assert "floe.yaml" in str(caught.value)


def test_spec_uses_source_ids_and_numbers_fields_from_1000() -> None:
    spec = build_partition_spec(["month(day)", "bucket(8, id)", "address.city"], SCHEMA)
    assert [(f.source_id, f.field_id, f.name, str(f.transform)) for f in spec.fields] == [
        (3, 1000, "day_month", "month"),
        (1, 1001, "id_bucket", "bucket[8]"),
        (5, 1002, "address_city", "identity"),
    ]


def test_spec_rejects_wrong_types_unknown_columns_and_repeats() -> None:
    with pytest.raises(FloeUsageError, match="hour cannot partition `day` of type date"):
        build_partition_spec(["hour(day)"], SCHEMA)
    with pytest.raises(FloeUsageError, match="no column `city`"):
        build_partition_spec(["city"], SCHEMA)
    with pytest.raises(FloeUsageError, match="repeated"):
        build_partition_spec(["region", "identity(region)"], SCHEMA)
