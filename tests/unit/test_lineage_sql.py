"""Column lineage of single SQL statements (floe_ci.lineage.sql_columns), no dbt involved."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from floe_ci.lineage.sql_columns import RelationKey, SqlColumn, SqlColumns, analyse_sql

CUSTOMERS = ("memory", "main", "stg_customers")
ORDERS = ("memory", "main", "stg_orders")
COLUMNS: dict[RelationKey, list[str]] = {
    CUSTOMERS: ["customer_id", "first_name", "last_name", "email", "country"],
    ORDERS: ["order_id", "customer_id", "amount", "status"],
}
C = '"memory"."main"."stg_customers"'
O = '"memory"."main"."stg_orders"'  # noqa: E741


def known(key: RelationKey) -> Sequence[str] | None:
    return COLUMNS.get(key)


def unknown(key: RelationKey) -> Sequence[str] | None:
    return None


def analyse(sql: str, columns: object = known) -> SqlColumns:
    return analyse_sql(sql, "duckdb", columns)  # type: ignore[arg-type]


def by_name(result: SqlColumns) -> dict[str, SqlColumn]:
    assert result.columns is not None, result.error
    return {c.name: c for c in result.columns}


def sources(column: SqlColumn) -> set[tuple[str, str]]:
    return {(rel[2], col) for rel, col in column.sources}


def test_plain_select_with_rename_and_cast() -> None:
    cols = by_name(
        analyse(f"select customer_id as id, cast(email as varchar) as mail, country from {C}")
    )
    assert list(cols) == ["id", "mail", "country"]
    assert sources(cols["mail"]) == {("stg_customers", "email")}
    assert cols["mail"].coarse == "copy"
    assert cols["id"].unresolved is None


def test_rename_through_cte_chain() -> None:
    sql = f"""
        with source as (select * from {C}),
        renamed as (select customer_id, email as contact_email from source)
        select * from renamed
    """
    cols = by_name(analyse(sql))
    assert list(cols) == ["customer_id", "contact_email"]
    assert sources(cols["contact_email"]) == {("stg_customers", "email")}
    assert cols["contact_email"].coarse == "copy"


def test_join_with_aliases_and_aggregate_cte() -> None:
    sql = f"""
        with orders as (
            select customer_id, count(*) as order_count, sum(amount) as total
            from {O} group by customer_id
        )
        select c.customer_id, c.email as contact_email, coalesce(o.total, 0) as total,
               o.order_count
        from {C} as c left join orders as o on o.customer_id = c.customer_id
    """
    cols = by_name(analyse(sql))
    assert sources(cols["contact_email"]) == {("stg_customers", "email")}
    assert sources(cols["total"]) == {("stg_orders", "amount")}
    assert cols["total"].coarse == "aggregate"
    assert cols["order_count"].sources == ()  # count(*) reads no column's value
    assert cols["order_count"].unresolved is None


def test_select_star_over_join_expands_in_source_order() -> None:
    sql = f"select * from {C} c join {O} o on o.customer_id = c.customer_id"
    result = analyse(sql)
    assert result.columns is not None
    # duplicates keep the first (the warehouse renames the second)
    assert [c.name for c in result.columns] == [
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "country",
        "order_id",
        "amount",
        "status",
    ]


def test_qualified_star_exclude_replace_and_rename() -> None:
    cols = by_name(analyse(f"select c.* exclude (first_name, last_name) from {C} as c"))
    assert list(cols) == ["customer_id", "email", "country"]
    cols = by_name(analyse(f"select * replace (lower(email) as email) from {C}"))
    assert cols["email"].coarse == "expression"
    assert sources(cols["email"]) == {("stg_customers", "email")}
    cols = by_name(analyse(f"select * rename (email as contact_email) from {C}"))
    assert sources(cols["contact_email"]) == {("stg_customers", "email")}


def test_star_over_unknown_columns_is_unresolved_not_guessed() -> None:
    result = analyse(f"select * from {C}", unknown)
    assert result.columns is None
    assert result.error is not None and "stg_customers" in result.error


def test_qualified_columns_resolve_without_known_columns() -> None:
    cols = by_name(analyse(f"select c.email from {C} c join {O} o using (customer_id)", unknown))
    assert sources(cols["email"]) == {("stg_customers", "email")}


def test_unqualified_column_over_two_unknown_relations_is_unresolved() -> None:
    cols = by_name(analyse(f"select email from {C} c join {O} o on true", unknown))
    assert cols["email"].sources == ()
    assert cols["email"].unresolved is not None and "unqualified" in cols["email"].unresolved


def test_unqualified_column_found_in_one_of_two_known_relations() -> None:
    cols = by_name(analyse(f"select email, amount from {C} c join {O} o on true"))
    assert sources(cols["email"]) == {("stg_customers", "email")}
    assert sources(cols["amount"]) == {("stg_orders", "amount")}


def test_ambiguous_column_is_unresolved_but_using_column_reads_both() -> None:
    cols = by_name(analyse(f"select customer_id as x from {C} c join {O} o on true"))
    assert cols["x"].unresolved is not None and "ambiguous" in cols["x"].unresolved
    cols = by_name(analyse(f"select customer_id from {C} c join {O} o using (customer_id)"))
    assert sources(cols["customer_id"]) == {
        ("stg_customers", "customer_id"),
        ("stg_orders", "customer_id"),
    }


def test_union_merges_branches_by_position() -> None:
    sql = f"select email as contact from {C} union all select status from {O}"
    cols = by_name(analyse(sql))
    assert list(cols) == ["contact"]
    assert sources(cols["contact"]) == {("stg_customers", "email"), ("stg_orders", "status")}


def test_union_of_different_widths_is_unresolved() -> None:
    result = analyse(f"select email, country from {C} union all select status from {O}")
    assert result.columns is None and result.error is not None and "width" in result.error


def test_derived_table_and_correlated_scalar_subquery() -> None:
    sql = f"""
        select d.mail,
               (select max(o.amount) from {O} o where o.customer_id = d.customer_id) as top
        from (select customer_id, email as mail from {C}) as d
    """
    cols = by_name(analyse(sql))
    assert sources(cols["mail"]) == {("stg_customers", "email")}
    assert sources(cols["top"]) == {("stg_orders", "amount")}
    assert cols["top"].coarse == "aggregate"


def test_case_coalesce_and_functions_collect_every_input() -> None:
    sql = f"""
        select
            case when country = 'DE' then upper(email) else coalesce(first_name, last_name) end
                as label,
            first_name || ' ' || last_name as full_name,
            md5(email) as email_hash,
            1 as one
        from {C}
    """
    cols = by_name(analyse(sql))
    assert sources(cols["label"]) == {
        ("stg_customers", c) for c in ("country", "email", "first_name", "last_name")
    }
    assert cols["label"].coarse == "expression"
    assert sources(cols["full_name"]) == {
        ("stg_customers", "first_name"),
        ("stg_customers", "last_name"),
    }
    assert sources(cols["email_hash"]) == {("stg_customers", "email")}
    assert cols["one"].sources == () and cols["one"].unresolved is None


def test_lateral_alias_reference() -> None:
    cols = by_name(analyse(f"select lower(email) as mail, mail || '!' as shout from {C}"))
    assert sources(cols["shout"]) == {("stg_customers", "email")}


def test_lambda_variables_are_not_columns() -> None:
    sql = f"select list_transform([email], x -> upper(x)) as mails from {C}"
    cols = by_name(analyse(sql))
    assert sources(cols["mails"]) == {("stg_customers", "email")}
    assert cols["mails"].unresolved is None


def test_table_function_is_unresolved() -> None:
    cols = by_name(analyse("select a from read_csv('x.csv')"))
    assert cols["a"].unresolved is not None and "table function" in cols["a"].unresolved


def test_column_missing_from_a_cte_is_unresolved() -> None:
    cols = by_name(analyse(f"with c as (select email from {C}) select c.phone from c"))
    assert cols["phone"].unresolved is not None and "no column `phone`" in cols["phone"].unresolved


def test_unknown_table_alias_is_unresolved() -> None:
    cols = by_name(analyse(f"select zz.email from {C} c"))
    assert cols["email"].unresolved is not None


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("select from where", "cannot parse"),
        (f"insert into t select * from {C}", "does not end with a SELECT"),
    ],
)
def test_unanalysable_statements_report_a_reason(sql: str, fragment: str) -> None:
    result = analyse(sql)
    assert result.columns is None
    assert result.error is not None and fragment in result.error


def test_short_relation_names_keep_their_parts() -> None:
    cols = by_name(analyse("select email from main.stg_customers", unknown))
    assert cols["email"].sources == ((("", "main", "stg_customers"), "email"),)


def test_struct_field_access_traces_the_struct_column() -> None:
    cols = by_name(analyse(f"select email.domain as domain from {C}"))
    assert sources(cols["domain"]) == {("stg_customers", "email")}
    assert cols["domain"].coarse == "expression"


def test_window_partition_and_order_give_no_values() -> None:
    sql = f"""
        select
            row_number() over (partition by email order by country) as rank_in_email,
            sum(customer_id) over (partition by email) as running
        from {C}
    """
    cols = by_name(analyse(sql))
    assert cols["rank_in_email"].sources == ()
    assert sources(cols["running"]) == {("stg_customers", "customer_id")}
    assert cols["running"].coarse == "aggregate"


def test_a_relation_key_is_the_last_three_name_parts_lowered_and_padded_in_front() -> None:
    from floe_ci.lineage.column_refs import relation_key

    assert relation_key(["DB", "Main", "Orders"]) == ("db", "main", "orders")
    assert relation_key(["cat", "db", "main", "orders"]) == ("db", "main", "orders")
    assert relation_key(["Main", "Orders"]) == ("", "main", "orders")
    assert relation_key(("Orders",)) == ("", "", "orders")
    assert relation_key([]) == ("", "", "")
