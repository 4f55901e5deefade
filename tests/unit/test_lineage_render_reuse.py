"""A warm lineage run reuses a model's SQL digest instead of rendering it again, unless
something the rendering reads changed (floe_ci.integrations.dbt.compiled_sql._RenderInputs)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from floe_ci.integrations.dbt.lineage import build_column_lineage
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.lineage.column_lineage import ColumnLineage

STG = "model.shop.stg"
MART = "model.shop.mart"


def _node(
    uid: str, raw: str, parents: list[str], macros: list[str] | None = None
) -> dict[str, Any]:
    name = uid.rsplit(".", 1)[-1]
    return {
        "unique_id": uid,
        "resource_type": "model",
        "name": name,
        "package_name": "shop",
        "language": "sql",
        "raw_code": raw,
        "database": "db",
        "schema": "main",
        "alias": name,
        "relation_name": f'"db"."main"."{name}"',
        "config": {"materialized": "table"},
        "depends_on": {"nodes": parents, "macros": macros or []},
        "columns": {},
    }


def _manifest() -> dict[str, Any]:
    source = {
        "unique_id": "source.shop.crm.accounts",
        "resource_type": "source",
        "source_name": "crm",
        "name": "accounts",
        "database": "db",
        "schema": "crm",
        "identifier": "accounts",
        "relation_name": '"db"."crm"."accounts"',
        "columns": {"id": {"name": "id"}, "email": {"name": "email"}},
    }
    stg = _node(STG, "select id, email from {{ source('crm', 'accounts') }}", [source["unique_id"]])
    mart = _node(
        MART,
        "select {{ tag('email') }} as contact, s.* from {{ ref('stg') }} as s",
        [STG],
        ["macro.shop.tag"],
    )
    return {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {STG: stg, MART: mart},
        "sources": {source["unique_id"]: source},
        "macros": {
            "macro.shop.tag": {
                "name": "tag",
                "package_name": "shop",
                "macro_sql": "{% macro tag(c) %}s.{{ c }}{% endmacro %}",
                "depends_on": {"macros": []},
            }
        },
    }


def _project(vars_: dict[str, Any] | None = None) -> DbtProject:
    return DbtProject(Path("."), "shop", "shop", "target", {"name": "shop", "vars": vars_ or {}})


def _run(manifest: dict[str, Any], cache: Path, project: DbtProject | None = None) -> ColumnLineage:
    return build_column_lineage(manifest, project or _project(), cache)


def _lineage_of(lineage: ColumnLineage) -> dict[str, Any]:
    return {
        uid: {c: lineage.upstream(uid, c) for c in lineage.columns(uid) or ()}
        for uid in lineage.models()
    }


@pytest.fixture
def warm(tmp_path: Path) -> tuple[dict[str, Any], Path, ColumnLineage]:
    manifest = _manifest()
    cold = _run(manifest, tmp_path)
    assert (cold.stats.compiled_sql_rendered, cold.stats.compiled_sql_jinja) == (1, 1)
    assert cold.stats.compiled_sql_reused == 0
    return manifest, tmp_path, cold


def test_unchanged_models_reuse_the_digest_and_the_lineage(
    warm: tuple[dict[str, Any], Path, ColumnLineage],
) -> None:
    manifest, cache, cold = warm
    again = _run(copy.deepcopy(manifest), cache)
    stats = again.stats
    assert (stats.compiled_sql_rendered, stats.compiled_sql_jinja) == (0, 0)
    assert (stats.compiled_sql_reused, stats.cache_hits, stats.analysed) == (2, 2, 0)
    assert _lineage_of(again) == _lineage_of(cold)
    assert [str(r) for r in again.upstream(MART, "contact")] == ["stg.email"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda m: m["nodes"][STG].update(raw_code="select id, email, 1 as n from x"),
            id="raw code",
        ),
        pytest.param(lambda m: m["nodes"][STG]["config"].update(tags=["pii"]), id="config"),
        pytest.param(
            lambda m: m["nodes"][STG]["depends_on"]["nodes"].append("model.shop.x"), id="depends_on"
        ),
    ],
)
def test_a_change_to_the_model_renders_it_again(
    warm: tuple[dict[str, Any], Path, ColumnLineage], change: Any
) -> None:
    manifest, cache, _ = warm
    change(manifest)
    again = _run(manifest, cache)
    assert again.stats.compiled_sql_rendered == 1  # stg
    assert again.stats.compiled_sql_reused == 1  # mart: its own inputs did not change


def test_a_parents_relation_name_renders_the_child_again(
    warm: tuple[dict[str, Any], Path, ColumnLineage],
) -> None:
    manifest, cache, _ = warm
    stg = manifest["nodes"][STG]
    stg.update(alias="stg_v2", relation_name='"db"."main"."stg_v2"')
    again = _run(manifest, cache)
    # Every model reading the relation tables is rendered again, and the new SQL traced.
    assert again.stats.compiled_sql_reused == 0
    assert again.stats.analysed == 1  # mart's SQL names stg_v2 now; stg's SQL is the same
    assert [str(r) for r in again.upstream(MART, "contact")] == ["stg.email"]


def test_a_parents_columns_reanalyse_a_reused_model(
    warm: tuple[dict[str, Any], Path, ColumnLineage],
) -> None:
    manifest, cache, _ = warm
    manifest["sources"]["source.shop.crm.accounts"]["columns"]["phone"] = {"name": "phone"}
    manifest["nodes"][STG]["raw_code"] = "select * from {{ source('crm', 'accounts') }}"
    again = _run(manifest, cache)
    # mart's SQL digest is reused, but `s.*` now expands to a new column: its SQL is
    # rendered on demand and analysed again.
    assert again.stats.compiled_sql_reused == 1
    assert again.stats.analysed == 2
    assert again.columns(MART) == ["contact", "id", "email", "phone"]
    assert [str(r) for r in again.upstream(MART, "phone")] == ["stg.phone"]


def test_macro_text_and_vars_render_a_jinja_model_again(
    warm: tuple[dict[str, Any], Path, ColumnLineage],
) -> None:
    manifest, cache, _ = warm
    manifest["macros"]["macro.shop.tag"]["macro_sql"] = "{% macro tag(c) %}s.id{% endmacro %}"
    again = _run(manifest, cache)
    assert (again.stats.compiled_sql_jinja, again.stats.compiled_sql_reused) == (1, 1)
    assert [str(r) for r in again.upstream(MART, "contact")] == ["stg.id"]
    third = _run(manifest, cache, _project({"anything": 1}))
    stats = third.stats  # vars are read by any Jinja: every model is rendered again
    assert (stats.compiled_sql_rendered, stats.compiled_sql_jinja, stats.compiled_sql_reused) == (
        1,
        1,
        0,
    )


def test_models_reading_the_environment_are_rendered_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _manifest()
    manifest["nodes"][MART]["raw_code"] = (
        "select s.{{ env_var('FLOE_TEST_COLUMN') }} as contact from {{ ref('stg') }} as s"
    )
    monkeypatch.setenv("FLOE_TEST_COLUMN", "email")
    _run(manifest, tmp_path)
    monkeypatch.setenv("FLOE_TEST_COLUMN", "id")
    again = _run(manifest, tmp_path)
    assert (again.stats.compiled_sql_jinja, again.stats.compiled_sql_reused) == (1, 1)
    assert [str(r) for r in again.upstream(MART, "contact")] == ["stg.id"]


def test_vars_json_cannot_write_still_fingerprint(tmp_path: Path) -> None:
    import datetime

    project = _project({"start": datetime.date(2024, 1, 1), "tags": {"a", "b"}})
    _run(_manifest(), tmp_path, project)
    again = _run(_manifest(), tmp_path, project)
    assert (again.stats.compiled_sql_reused, again.stats.cache_hits) == (2, 2)


WIDE = "model.shop.wide"


def _needs_warehouse(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with a model whose Jinja asks the warehouse for a relation's columns
    (what Fivetran's packages do for every staging model)."""
    manifest["nodes"][WIDE] = _node(
        WIDE,
        "select {{ adapter.get_columns_in_relation(ref('stg')) | length }} as n"
        " from {{ ref('stg') }}",
        [STG],
    )
    return manifest


def _no_jinja(monkeypatch: pytest.MonkeyPatch) -> None:
    from floe_ci.integrations.dbt import compiled_sql

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the model was rendered again")

    monkeypatch.setattr(compiled_sql, "JinjaRenderer", refuse)


def test_a_model_that_needs_the_warehouse_is_not_rendered_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _needs_warehouse(_manifest())
    cold = _run(manifest, tmp_path)
    reason = cold.model_error(WIDE)
    assert reason is not None and reason.startswith("needs the warehouse to compile")
    # Unchanged inputs: the same reason, without loading dbt's context to render it again.
    # (the mart, a Jinja model too, reuses its digest: no Jinja at all is needed)
    with monkeypatch.context() as patched:
        _no_jinja(patched)
        again = _run(copy.deepcopy(manifest), tmp_path)
    assert again.model_error(WIDE) == reason
    assert again.stats.compiled_sql_cached == 1
    assert _lineage_of(again) == _lineage_of(cold)


def test_a_change_to_the_model_renders_it_again_and_may_resolve_it(tmp_path: Path) -> None:
    manifest = _needs_warehouse(_manifest())
    _run(manifest, tmp_path)
    manifest["nodes"][WIDE]["raw_code"] = "select 1 as n from {{ ref('stg') }}"
    again = _run(manifest, tmp_path)
    assert again.stats.compiled_sql_cached == 0
    assert again.model_error(WIDE) is None and again.columns(WIDE) == ["n"]


def test_a_change_to_a_macro_it_calls_renders_it_again(tmp_path: Path) -> None:
    manifest = _needs_warehouse(_manifest())
    manifest["nodes"][WIDE]["depends_on"]["macros"].append("macro.shop.tag")
    _run(manifest, tmp_path)
    manifest["macros"]["macro.shop.tag"]["macro_sql"] = "{% macro tag(c) %}{{ c }}{% endmacro %}"
    again = _run(manifest, tmp_path)
    assert again.stats.compiled_sql_cached == 0
    assert (again.model_error(WIDE) or "").startswith("needs the warehouse to compile")


def test_other_renderer_code_or_another_dbt_renders_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from floe_ci.integrations.dbt import compiled_sql

    manifest = _needs_warehouse(_manifest())
    _run(manifest, tmp_path)
    # a newer renderer (or a development build of one) may need the warehouse less
    code = compiled_sql._renderer_code()
    monkeypatch.setattr(compiled_sql, "_renderer_code", lambda: code + "+changed")
    again = _run(manifest, tmp_path)
    assert again.stats.compiled_sql_cached == 0
    assert (again.model_error(WIDE) or "").startswith("needs the warehouse to compile")
    manifest["metadata"]["dbt_version"] = "1.99.0"  # another dbt's compile context
    assert _run(manifest, tmp_path).stats.compiled_sql_cached == 0
    assert _run(manifest, tmp_path).stats.compiled_sql_cached == 1


def test_without_dbts_adapter_the_verdict_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from floe_ci.integrations.dbt.jinja_render import JinjaRenderer

    manifest = _needs_warehouse(_manifest())
    with monkeypatch.context() as patched:
        # the machine's fault, not the model's: the render proved nothing
        patched.setattr(JinjaRenderer, "_build_dbt_context", lambda self: False)
        first = _run(manifest, tmp_path)
    assert (first.model_error(WIDE) or "").startswith("needs the warehouse to compile")
    again = _run(manifest, tmp_path)
    assert again.stats.compiled_sql_cached == 0  # tried again, now with the adapter


def test_a_model_that_reads_the_environment_is_never_cached_as_needing_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _needs_warehouse(_manifest())
    manifest["nodes"][WIDE]["raw_code"] += " where '{{ env_var('FLOE_TEST_REGION', 'eu') }}' = 'eu'"
    _run(manifest, tmp_path)
    again = _run(manifest, tmp_path)
    assert again.stats.compiled_sql_cached == 0


def _fingerprints(manifest: dict[str, Any], project: DbtProject) -> dict[str, str | None]:
    from floe_ci.integrations.dbt.compiled_sql import _Renderer, _RenderInputs
    from floe_ci.integrations.dbt.packages import PackageVars

    inputs = _RenderInputs(manifest, _Renderer(manifest), project, PackageVars(project))
    return {uid: inputs.fingerprint(uid, node) for uid, node in manifest["nodes"].items()}


def test_an_ephemeral_parents_code_is_part_of_the_childs_fingerprint() -> None:
    """dbt inlines an ephemeral model as a CTE of each model that refs it (so does floe-ci's
    renderer): a change to its code changes the child's SQL, whose own inputs are the same."""
    manifest = _manifest()
    before = _fingerprints(manifest, _project())
    manifest["nodes"][STG]["raw_code"] += " where id > 0"
    table_parent = _fingerprints(manifest, _project())
    assert table_parent[MART] == before[MART]  # a table: the child names it, nothing more
    manifest["nodes"][STG]["config"] = {"materialized": "ephemeral"}
    ephemeral = _fingerprints(manifest, _project())
    manifest["nodes"][STG]["raw_code"] += " and id < 9"
    changed = _fingerprints(manifest, _project())
    assert changed[MART] is not None and changed[MART] != ephemeral[MART]
    manifest["nodes"][STG]["raw_code"] += " and '{{ env_var(\"X\") }}' = ''"
    assert _fingerprints(manifest, _project())[MART] is None  # the parent reads the environment


def test_a_packages_own_vars_are_part_of_its_models_fingerprint(tmp_path: Path) -> None:
    """A package's dbt_project.yml gives its vars' defaults (`var('x')` in its models)."""
    package = tmp_path / "dbt_packages" / "crm"
    package.mkdir(parents=True)
    (package / "dbt_project.yml").write_text("name: crm\nvars:\n  crm_schema: raw\n")
    project = DbtProject(tmp_path, "shop", "shop", "target", {"name": "shop"})
    manifest = _manifest()
    manifest["nodes"][STG]["package_name"] = "crm"
    before = _fingerprints(manifest, project)
    (package / "dbt_project.yml").write_text("name: crm\nvars:\n  crm_schema: landing\n")
    after = _fingerprints(manifest, project)
    assert after[STG] != before[STG]
    assert after[MART] == before[MART]  # the root project's model reads the root's vars
