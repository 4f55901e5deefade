"""Edge kinds of column lineage: what the SQL does to each source column's value.

Directly through analyse_sql (one statement, no dbt), then through the lineage of a small
project (floe_ci.testing) to the ColumnOrigin that rules and the OpenLineage facet read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import pytest
from jsonschema import Draft202012Validator
from openlineage.client.serde import Serde

from floe_ci.governance.rules.propagation import EDGE_FORMS
from floe_ci.integrations.openlineage.facets import column_lineage_facet
from floe_ci.lineage.column_refs import EDGE_KINDS, OPENLINEAGE_KINDS, EdgeKind, SqlColumn
from floe_ci.lineage.sql_columns import RelationKey, SqlColumns, analyse_sql
from floe_ci.testing import Model, Project, Source

T = ("", "", "t")
ELIG = ("", "", "elig")
CAL = ("", "", "cal")
COLUMNS: dict[RelationKey, list[str]] = {
    T: ["id", "email", "birth_date", "ssn", "first_name", "x", "country"],
    ELIG: ["member_id", "birth_date"],
    CAL: ["full_date", "day_of_week"],
}
SPEC = Path(__file__).parents[1] / "data" / "openlineage" / "OpenLineage-2-0-2.transcribed.json"


def known(key: RelationKey) -> Sequence[str] | None:
    return COLUMNS.get(key)


def columns(sql: str) -> dict[str, SqlColumn]:
    result: SqlColumns = analyse_sql(sql, "duckdb", known)
    assert result.columns is not None, result.error
    return {c.name: c for c in result.columns}


def edges(column: SqlColumn) -> dict[str, tuple[str, str]]:
    """`relation.column` -> (kind, detail) of each source."""
    assert len(column.edges) == len(column.sources)
    return {
        f"{rel[2]}.{name}": edge
        for (rel, name), edge in zip(column.sources, column.edges, strict=True)
    }


def test_identity_and_rename_are_plain_copies() -> None:
    cols = columns("select email, email as contact from t")
    assert edges(cols["email"]) == {"t.email": ("identity", "")}
    assert edges(cols["contact"]) == {"t.email": ("identity", "")}  # a rename is told later
    assert cols["contact"].transform == "copy"  # stored as before: the cache stays small


def test_cast_names_the_type() -> None:
    cols = columns("select cast(birth_date as date) as born, birth_date::timestamp as at from t")
    assert edges(cols["born"]) == {"t.birth_date": ("cast", "cast to date")}
    assert edges(cols["at"]) == {"t.birth_date": ("cast", "cast to timestamp")}
    assert cols["born"].coarse == "copy"


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ("lower(trim(email))", "derived by lower()"),
        ("split_part(email, '@', 2)", "derived by split_part()"),
        ("first_name || ' ' || email", "derived by `||`"),
        ("birth_date + interval 1 day", "derived by `+`"),
        ("year(birth_date)", "derived by year()"),
        ("coalesce(email, 'n/a')", "derived by coalesce()"),
    ],
)
def test_string_and_date_functions_transform_the_value(expression: str, detail: str) -> None:
    column = columns(f"select {expression} as v from t")["v"]
    assert {kind for kind, _ in column.edges} == {"transformation"}
    assert column.edges[0][1] == detail


def test_an_equality_join_carries_the_other_side() -> None:
    cols = columns(
        "select elig.member_id, cal.full_date as normalized_birth_date, cal.day_of_week "
        "from elig join cal on elig.birth_date = cal.full_date"
    )
    carried = cols["normalized_birth_date"]
    assert edges(carried) == {
        "cal.full_date": ("identity", ""),
        "elig.birth_date": (
            "join",
            "carried through the join on elig.birth_date = cal.full_date",
        ),
    }
    assert carried.carried == 1 and carried.sources[-1] == (ELIG, "birth_date")
    # Only the joined columns are equal; the rest of the row is not carried.
    assert edges(cols["day_of_week"]) == {"cal.day_of_week": ("identity", "")}
    assert cols["member_id"].carried == 0


def test_a_join_carries_through_a_cte_and_only_from_known_relations() -> None:
    cols = columns(
        "with e as (select member_id, cast(birth_date as date) as bd from elig) "
        "select cal.full_date from e left join cal on cal.full_date = e.bd"
    )
    assert edges(cols["full_date"])["elig.birth_date"][0] == "join"
    unknown = analyse_sql(
        "select cal.full_date from nowhere n join cal on n.d = cal.full_date", "duckdb", known
    )
    assert unknown.columns is not None
    assert unknown.columns[0].carried == 0  # `nowhere` is no known relation: never carried


def test_a_null_check_is_a_condition_or_a_test() -> None:
    cols = columns(
        "select case when birth_date is null then 1 else 0 end as birth_date_null, "
        "birth_date is not null as has_birth_date, "
        "case when x > 5 then 'yes' else 'no' end as big from t"
    )
    assert edges(cols["birth_date_null"]) == {
        "t.birth_date": ("condition", "derived by a null check (`birth_date is null`)")
    }
    assert edges(cols["has_birth_date"]) == {
        "t.birth_date": ("test", "derived by a null check (`birth_date is not null`)")
    }
    assert edges(cols["big"]) == {"t.x": ("condition", "derived by a condition (`x > 5`)")}


def test_a_value_in_a_case_branch_is_still_carried() -> None:
    column = columns(
        "select case when birth_date is null then 'unknown' else email end as reach from t"
    )["reach"]
    assert edges(column) == {
        "t.birth_date": ("condition", "derived by a null check (`birth_date is null`)"),
        "t.email": ("transformation", "derived by a CASE expression"),
    }
    # Read both as a condition and as the value: the value wins.
    both = columns("select case when email like '%@x' then email end as e from t")["e"]
    assert both.edges == (("transformation", "derived by a CASE expression"),)


def test_counts_and_sums_of_flags_are_indicators() -> None:
    cols = columns(
        "select count(email) as n, count(distinct email) as d, "
        "sum(case when birth_date is null then 1 else 0 end) as missing, "
        "count_if(ssn is null) as no_ssn, max(email) as last_email, count(*) as rows_ from t"
    )
    assert edges(cols["n"]) == {"t.email": ("count", "derived by count()")}
    assert edges(cols["d"]) == {"t.email": ("count", "derived by count()")}
    assert edges(cols["missing"]) == {
        "t.birth_date": ("condition", "derived by sum() of a null check (`birth_date is null`)")
    }
    assert edges(cols["no_ssn"]) == {
        "t.ssn": ("count", "derived by count_if() of a null check (`ssn is null`)")
    }
    assert edges(cols["last_email"]) == {"t.email": ("aggregation", "aggregated by max()")}
    assert cols["rows_"].sources == ()


def test_a_sum_of_a_flag_computed_in_a_cte() -> None:
    column = columns(
        "with f as (select id, case when birth_date is null then 1 else 0 end as flag from t) "
        "select sum(flag) as missing from f"
    )["missing"]
    assert edges(column) == {
        "t.birth_date": ("condition", "derived by sum() of a null check (`birth_date is null`)")
    }


@pytest.mark.parametrize("function", ["md5", "sha1", "sha256", "hash", "farm_fingerprint"])
def test_a_hash_masks_the_value(function: str) -> None:
    column = columns(f"select {function}(lower(email)) as h from t")["h"]
    assert column.edges[0][0] == "hash"
    assert column.edges[0][1].startswith("hashed by ")


def test_each_source_has_its_own_kind() -> None:
    column = columns("select concat(md5(ssn), first_name) as mixed from t")["mixed"]
    assert edges(column) == {
        "t.ssn": ("hash", "hashed by md5()"),
        "t.first_name": ("transformation", "derived by concat()"),
    }


def test_every_edge_kind_has_a_form_and_an_openlineage_transformation() -> None:
    assert set(EDGE_FORMS) == set(EDGE_KINDS) == set(get_args(EdgeKind))
    assert set(OPENLINEAGE_KINDS) == set(EDGE_KINDS)


# -- through a project's lineage: ColumnOrigin and the OpenLineage facet ------------------

PROJECT = Project(
    sources=[
        Source("crm", "elig", columns=["member_id", "birth_date", "email"]),
        Source("crm", "cal", columns=["full_date"]),
    ],
    models=[
        Model(
            "members",
            "select elig.member_id, elig.email as contact, cal.full_date as normalized_birth_date,"
            " cast(elig.birth_date as date) as born, md5(elig.email) as email_hash,"
            " case when elig.birth_date is null then 1 else 0 end as birth_date_null "
            "from {{ source('crm', 'elig') }} as elig "
            "left join {{ source('crm', 'cal') }} as cal on elig.birth_date = cal.full_date",
        )
    ],
)


def _origins() -> dict[str, Any]:
    lineage = PROJECT.column_lineage(PROJECT.manifest())
    assert lineage is not None
    uid = "model.shop.members"
    return {c: lineage.origin(uid, c) for c in lineage.columns(uid) or []}


def test_origins_keep_upstream_as_it_was_and_add_the_edges() -> None:
    origins = _origins()
    carried = origins["normalized_birth_date"]
    # `upstream` is what the SQL reads, as before; the join's other side is only an edge.
    assert [str(r) for r in carried.upstream] == ["cal.full_date"]
    assert carried.transform == "copy"
    assert [(str(e.ref), e.kind) for e in carried.edges] == [
        ("cal.full_date", "rename"),
        ("elig.birth_date", "join"),
    ]
    assert [(e.kind, e.detail) for e in origins["contact"].edges] == [
        ("rename", "renamed from email")
    ]
    assert [(e.kind, e.detail) for e in origins["born"].edges] == [
        ("cast", "cast to date"),
        ("join", "carried through the join on elig.birth_date = cal.full_date"),
    ]
    assert origins["email_hash"].transform == "expression"
    assert [e.kind for e in origins["email_hash"].edges] == ["hash"]
    # The join's other side is carried under the same condition: an indicator of it too.
    assert [(str(e.ref), e.kind) for e in origins["birth_date_null"].edges] == [
        ("elig.birth_date", "condition"),
        ("cal.full_date", "condition"),
    ]


def test_the_openlineage_facet_names_each_edge_and_validates() -> None:
    facet = column_lineage_facet(_origins(), "duckdb://warehouse", lambda uid: uid.split(".")[-1])
    assert facet is not None
    data = Serde.to_dict(facet)
    fields = data["fields"]
    assert fields["member_id"]["inputFields"][0]["transformations"] == [
        {"type": "DIRECT", "subtype": "IDENTITY"}
    ]
    inputs = fields["normalized_birth_date"]["inputFields"]
    assert [(i["name"], i["field"]) for i in inputs] == [
        ("cal", "full_date"),
        ("elig", "birth_date"),
    ]
    assert inputs[1]["transformations"] == [
        {
            "type": "INDIRECT",
            "subtype": "JOIN",
            "description": "carried through the join on elig.birth_date = cal.full_date",
        }
    ]
    [hashed] = fields["email_hash"]["inputFields"][0]["transformations"]
    assert hashed == {
        "type": "DIRECT",
        "subtype": "TRANSFORMATION",
        "description": "hashed by md5()",
        "masking": True,
    }
    [flag] = fields["birth_date_null"]["inputFields"][0]["transformations"]
    assert (flag["type"], flag["subtype"], flag["masking"]) == ("INDIRECT", "CONDITIONAL", True)
    spec = json.loads(SPEC.read_text())
    schema = {"$defs": spec["$defs"], "$ref": "#/$defs/ColumnLineageDatasetFacet"}
    Draft202012Validator(schema).validate(data)
