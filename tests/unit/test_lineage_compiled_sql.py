"""Rendering plain dbt models to compiled SQL without dbt (integrations/dbt/compiled_sql)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_ci.integrations.dbt.compiled_sql import jinja_fingerprint, obtain_compiled_sql
from floe_ci.integrations.dbt.project import DbtProject


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
        "macros": {
            "macro.shop.cents": {
                "name": "cents",
                "package_name": "shop",
                "macro_sql": "{% macro cents(c) %}{{ c }}{% endmacro %}",
            },
            "macro.dbt.is_incremental": {"name": "is_incremental", "package_name": "dbt"},
            "macro.dbt.run_query": {"name": "run_query", "package_name": "dbt"},
        },
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
        "select {{ cents('a') }} from {{ ref('stg') }}",  # a macro the manifest does not list
        "{% if var('x', true) %}select 1{% endif %}",  # no project: its vars are unknown
        "select * from {{ ref('missing') }}",
        "select * from {{ ref('eph') }}",  # dbt inlines ephemeral models as CTEs
        "select '{{ target.name }}'",
        "select * from {{ adapter.get_relation('a', 'b', 'c') }}",
        "select {{ dbt_utils.star(ref('stg')) }}",
    ):
        assert _render(raw, stg, ephemeral) is None, raw
    manifest = _manifest(_node("model.shop.target", "select '{{ target.name }}'"))
    result = obtain_compiled_sql(manifest, None, None)
    assert "no dbt project" in result.failures["model.shop.target"]


def _project(vars_: dict[str, Any]) -> DbtProject:
    return DbtProject(Path("."), "shop", "shop", "target", {"name": "shop", "vars": vars_})


def _render_jinja(raw: str, project: DbtProject | None, **extra: Any) -> str | None:
    manifest = _manifest(_node("model.shop.target", raw, **extra), _node("model.shop.stg", "x"))
    result = obtain_compiled_sql(manifest, project, None)
    assert result.rendered == 1  # only stg is plain
    return result.sql.get("model.shop.target")


def test_jinja_with_macros_loops_and_vars_renders_in_process() -> None:
    raw = (
        "{% set cols = ['a', 'b'] %}"
        "select {% for c in cols %}{{ cents(c) }} as {{ c }}{{ ',' if not loop.last }}"
        "{% endfor %} from {{ ref('stg') }}"
        "{% if var('only_open', false) %} where open{% endif %}"
        "{% if is_incremental() %} and late{% endif %}"
    )
    project = _project({"only_open": True})
    rendered = _render_jinja(raw, project, macros=["macro.shop.cents", "macro.dbt.is_incremental"])
    assert rendered == 'select a as a,b as b from "db"."main"."stg" where open'
    # a var scoped to the project wins; a var the project lacks takes the default
    assert _render_jinja("{{ var('x', 1) }}", _project({"shop": {"x": 2}})) == "2"
    assert _render_jinja("{{ var('x', 1) }}", _project({})) == "1"
    # a var without a default that the project lacks: dbt would fail; so do we, to dbt
    assert _render_jinja("{{ var('x') }}", _project({})) is None
    # a var holding Jinja is rendered by dbt, not guessed
    assert _render_jinja("{{ var('x') }}", _project({"x": "{{ env_var('A') }}"})) is None


def test_unknown_macros_and_duplicate_names_go_to_dbt() -> None:
    assert _render_jinja("{{ cents('a') }}", _project({}), macros=["macro.shop.nope"]) is None
    assert _render_jinja("{{ cents('a') }}", _project({}), macros=["macro.dbt.run_query"]) is None


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


def test_a_model_reading_an_unbuilt_relations_columns_names_it_instead_of_compiling() -> None:
    from floe_ci.integrations.dbt.compiled_sql import Warehouse

    stg = _node("model.shop.stg", "select 1 as id", schema="main", alias="stg")
    reader = _node(
        "model.shop.wide",
        "select {{ dbt_utils.star(ref('stg')) }} from {{ ref('stg') }}",
        schema="main",
        alias="wide",
        compiled_code='select cast(null as text) as "id" from "db"."main"."stg"',
        macros=["macro.dbt_utils.star"],
    )
    reader["depends_on"]["nodes"] = ["model.shop.stg"]
    manifest = _manifest(stg, reader)
    manifest["macros"]["macro.dbt_utils.star"] = {
        "name": "star",
        "package_name": "dbt_utils",
        "macro_sql": "{% set cols = adapter.get_columns_in_relation(from) %}",
    }
    absent = Warehouse(columns={"main.other": [["id", "int"]]})
    compiled = obtain_compiled_sql(manifest, None, None, warehouse=absent)
    assert not compiled.has_sql("model.shop.wide")
    reason = compiled.failures["model.shop.wide"]
    assert reason.startswith("`stg`, which it reads to compile (`dbt_utils.star` calls")
    assert "build it there first (`dbt run -s stg`)" in reason
    # built in the warehouse: dbt's compiled SQL is used
    built = Warehouse(columns={"main.stg": [["id", "int"]]})
    compiled = obtain_compiled_sql(manifest, None, None, warehouse=built)
    assert compiled.has_sql("model.shop.wide")
    # a model that does not read the warehouse is never held back
    compiled = obtain_compiled_sql(manifest, None, None, warehouse=absent)
    assert compiled.has_sql("model.shop.stg")


def test_render_fingerprints_follow_every_called_macro_and_skip_env_var() -> None:
    """The fingerprint that lets a warm check skip rendering digests each distinct list of
    called macros once: every model calling the edited macro, directly or through another,
    gets a new fingerprint, the others keep theirs, and a macro reading `env_var` leaves its
    callers without one (rendered every time)."""
    manifest = _manifest(
        _node("model.shop.a", "select {{ cents('a') }} as a", macros=["macro.shop.cents"]),
        _node("model.shop.b", "select {{ cents('b') }} as b", macros=["macro.shop.cents"]),
        _node("model.shop.c", "select {{ wrap('c') }} as c", macros=["macro.shop.wrap"]),
        _node("model.shop.d", "select 1 as d"),
    )
    manifest["macros"]["macro.shop.wrap"] = {
        "name": "wrap",
        "package_name": "shop",
        "macro_sql": "{% macro wrap(c) %}{{ cents(c) }}{% endmacro %}",
        "depends_on": {"macros": ["macro.shop.cents"]},
    }

    def fingerprints() -> dict[str, str]:
        plain = obtain_compiled_sql(manifest, _project({}), None, plain={}).plain
        return {uid: fingerprint for uid, (fingerprint, _digest) in plain.items()}

    before = fingerprints()
    assert set(before) == {f"model.shop.{name}" for name in "abcd"}
    assert before["model.shop.a"] != before["model.shop.b"]  # their own code differs
    cents = manifest["macros"]["macro.shop.cents"]
    cents["macro_sql"] = "{% macro cents(c) %}{{ c }} / 100{% endmacro %}"
    after = fingerprints()
    assert all(after[f"model.shop.{n}"] != before[f"model.shop.{n}"] for n in "abc")
    assert after["model.shop.d"] == before["model.shop.d"]
    cents["macro_sql"] = "{% macro cents(c) %}{{ env_var('RATE') }}{% endmacro %}"
    assert set(fingerprints()) == {"model.shop.d"}
