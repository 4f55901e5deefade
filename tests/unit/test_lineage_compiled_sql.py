"""Rendering plain dbt models to compiled SQL without dbt (floe_ci.lineage.compiled_sql)."""

from __future__ import annotations

from typing import Any

from floe_ci.lineage.compiled_sql import jinja_fingerprint, obtain_compiled_sql


def _node(uid: str, raw: str, **extra: Any) -> dict[str, Any]:
    name = uid.rsplit(".", 1)[-1]
    return {
        "unique_id": uid,
        "resource_type": extra.pop("resource_type", "model"),
        "name": name,
        "package_name": extra.pop("package_name", "shop"),
        "language": "sql",
        "raw_code": raw,
        "relation_name": f'"db"."main"."{name}"',
        "config": extra.pop("config", {"materialized": "table"}),
        "depends_on": {"nodes": [], "macros": extra.pop("macros", [])},
        **extra,
    }


def _manifest(*nodes: dict[str, Any]) -> dict[str, Any]:
    source = {
        "source_name": "crm",
        "name": "accounts",
        "relation_name": '"db"."crm"."accounts"',
    }
    return {
        "nodes": {n["unique_id"]: n for n in nodes},
        "sources": {"source.shop.crm.accounts": source},
        "macros": {"macro.shop.cents": {"macro_sql": "{% macro cents(c) %}{{ c }}{% endmacro %}"}},
    }


def _render(raw: str, *others: dict[str, Any]) -> str | None:
    manifest = _manifest(_node("model.shop.target", raw), *others)
    return obtain_compiled_sql(manifest, None, None).sql.get("model.shop.target")


def test_ref_source_this_config_and_comments_render_like_dbt() -> None:
    raw = (
        "{{ config(materialized='view', tags=['a']) }}\n"
        "{# a comment #}\n"
        "select * from {{ ref('stg') }} join {{ source('crm', 'accounts') }} on true"
        " where x not in (select x from {{ this }})"
    )
    rendered = _render(raw, _node("model.shop.stg", "select 1"))
    assert rendered == (
        '\n\nselect * from "db"."main"."stg" join "db"."crm"."accounts" on true'
        ' where x not in (select x from "db"."main"."target")'
    )


def test_whitespace_control_strips_like_jinja() -> None:
    rendered = _render(
        "select 1 as a\nfrom   {{- ref('stg') -}}   \n", _node("model.shop.stg", "x")
    )
    assert rendered == 'select 1 as a\nfrom"db"."main"."stg"'


def test_package_and_version_refs() -> None:
    v1 = _node("model.shop.orders.v1", "x", version=1, latest_version=2)
    v2 = _node("model.shop.orders.v2", "x", version=2, latest_version=2)
    v1["relation_name"], v2["relation_name"] = '"db"."main"."orders_v1"', '"db"."main"."orders_v2"'
    v1["name"] = v2["name"] = "orders"
    assert _render("select * from {{ ref('orders', v=1) }}", v1, v2) == (
        'select * from "db"."main"."orders_v1"'
    )
    assert _render("select * from {{ ref('orders') }}", v1, v2) == (
        'select * from "db"."main"."orders_v2"'
    )
    other = _node("model.lib.orders", "x", package_name="lib")
    other["relation_name"] = '"db"."lib"."orders"'
    assert _render("select * from {{ ref('lib', 'orders') }}", other) == (
        'select * from "db"."lib"."orders"'
    )


def test_anything_else_is_left_to_dbt() -> None:
    stg = _node("model.shop.stg", "x")
    ephemeral = _node("model.shop.eph", "x", config={"materialized": "ephemeral"})
    for raw in (
        "select {{ cents('a') }} from {{ ref('stg') }}",
        "{% if var('x', true) %}select 1{% endif %}",
        "select * from {{ ref('missing') }}",
        "select * from {{ ref('eph') }}",  # dbt inlines ephemeral models as CTEs
        "select '{{ target.name }}'",
    ):
        assert _render(raw, stg, ephemeral) is None, raw
    manifest = _manifest(_node("model.shop.target", "{% set x = 1 %}select 1"))
    result = obtain_compiled_sql(manifest, None, None)
    assert "no dbt project" in result.failures["model.shop.target"]


def test_sql_without_jinja_and_compiled_code_are_used_as_they_are() -> None:
    assert _render("select 1 as a") == "select 1 as a"
    node = _node("model.shop.target", "{{ weird() }}", compiled_code="select 2 as b")
    result = obtain_compiled_sql(_manifest(node), None, None)
    assert result.sql["model.shop.target"] == "select 2 as b"
    assert result.from_manifest == 1


def test_jinja_fingerprint_follows_code_config_and_macros() -> None:
    node = _node("model.shop.target", "select {{ cents('a') }}", macros=["macro.shop.cents"])
    manifest = _manifest(node)
    before = jinja_fingerprint(manifest, node)
    assert jinja_fingerprint(manifest, dict(node)) == before
    manifest["macros"]["macro.shop.cents"]["macro_sql"] = (
        "{% macro cents(c) %}{{ c }}/100{% endmacro %}"
    )
    assert jinja_fingerprint(manifest, node) != before
    changed = {**node, "config": {"materialized": "view"}}
    assert jinja_fingerprint(manifest, changed) != jinja_fingerprint(manifest, node)
