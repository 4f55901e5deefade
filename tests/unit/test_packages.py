"""Package-aware projects without dbt: package folders, files in findings, seeds, warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from floe_ci.dbt_manifest import Manifest
from floe_ci.governance.evaluate import package_locator
from floe_ci.governance.result import CheckResult, CheckStats, Finding
from floe_ci.integrations.dbt import compiled_sql
from floe_ci.integrations.dbt.column_locations import FastColumnLocations
from floe_ci.integrations.dbt.compiled_sql import obtain_compiled_sql, warehouse_reads
from floe_ci.integrations.dbt.jinja_render import JinjaRenderer
from floe_ci.integrations.dbt.packages import package_roots, relative_roots
from floe_ci.integrations.dbt.project import read_project
from floe_ci.integrations.dbt.properties import ColumnLocations
from floe_ci.integrations.dbt.seeds import seed_columns
from tests.conftest import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "data" / "package_project"


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The fixture with its local package copied into dbt_packages/, as `dbt deps` does,
    and a second package installed from a hub (no local source)."""
    shutil.copytree(FIXTURE, tmp_path / "repo")
    root = tmp_path / "repo" / "root"
    shutil.copytree(tmp_path / "repo" / "crm", root / "dbt_packages" / "crm")
    hub = root / "dbt_packages" / "utils-1.0"  # the folder's name is not the package's
    (hub / "models").mkdir(parents=True)
    (hub / "dbt_project.yml").write_text("name: hub_utils\nversion: '1'\n")
    return root


def test_local_packages_name_their_source_and_installed_ones_their_folder(installed: Path) -> None:
    roots = package_roots(read_project(installed, "dbt_project.yml"))
    assert roots == {
        "shop_root": installed.resolve(),
        "crm": (installed.parent / "crm").resolve(),  # not dbt_packages/crm: a copy
        "hub_utils": (installed / "dbt_packages" / "utils-1.0").resolve(),
    }
    assert relative_roots(roots, installed) == {
        "shop_root": ".",
        "crm": "../crm",
        "hub_utils": "dbt_packages/utils-1.0",
    }


def test_packages_install_path_is_read_from_dbt_project(installed: Path) -> None:
    shutil.move(installed / "dbt_packages", installed / "vendor")
    (installed / "dbt_project.yml").write_text(
        (installed / "dbt_project.yml").read_text() + "packages-install-path: vendor\n"
    )
    roots = package_roots(read_project(installed, "dbt_project.yml"))
    assert roots["hub_utils"] == (installed / "vendor" / "utils-1.0").resolve()


CRM_MODEL = {
    "name": "stg_crm_customers",
    "resource_type": "model",
    "package_name": "crm",
    "original_file_path": "models/stg_crm_customers.sql",
    "patch_path": "crm://models/_crm.yml",
}


@pytest.mark.parametrize("locator", [ColumnLocations, FastColumnLocations])
def test_a_package_models_yaml_line_is_found_in_the_packages_file(
    installed: Path, locator: Any
) -> None:
    roots = package_roots(read_project(installed, "dbt_project.yml"))
    locate = locator(installed, installed, packages=roots)
    assert locate(CRM_MODEL, "email") == ("../crm/models/_crm.yml", 7)
    sql_only = {k: v for k, v in CRM_MODEL.items() if k != "patch_path"}
    assert locate(sql_only, "") == ("../crm/models/stg_crm_customers.sql", None)
    # without the package folders, the path is joined to the root project (the old bug)
    assert locator(installed, installed)(sql_only, "")[0] == "models/stg_crm_customers.sql"


def test_a_sources_column_is_found_under_its_table(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "src.yml").write_text(
        "version: 2\nsources:\n  - name: crm\n    tables:\n      - name: other\n"
        "      - name: people\n        columns:\n          - name: id\n          - name: email\n"
    )
    source = {
        "resource_type": "source",
        "source_name": "crm",
        "name": "people",
        "original_file_path": "models/src.yml",
    }
    fast = FastColumnLocations(tmp_path, tmp_path)
    assert fast(source, "email") == ("models/src.yml", 9)
    assert fast(source, "missing") == ("models/src.yml", 6)  # the table's line


def test_the_core_joins_package_folders_without_reading_files() -> None:
    locate = package_locator({"crm": "../crm", "shop_root": "."})
    assert locate(CRM_MODEL, "email") == ("../crm/models/_crm.yml", None)
    root_model = {**CRM_MODEL, "package_name": "shop_root", "patch_path": None}
    assert locate(root_model, "email") == ("models/stg_crm_customers.sql", None)


def test_repo_path_of_a_local_package_file_is_normalised() -> None:
    result = CheckResult(
        tool_version="0",
        pipeline="p",
        config_file="integration_tests/floe.yaml",
        base_path="integration_tests",
        environments=["production"],
        fail_on="error",
        stats=CheckStats(),
        findings=[],
    )
    finding = Finding(
        rule_id="FLOE201", rule_name="x", severity="warning", message="m", file="../models/a.sql"
    )
    assert result.repo_path(finding) == "models/a.sql"
    inside = finding.model_copy(update={"file": "models/b.yml"})
    assert result.repo_path(inside) == "integration_tests/models/b.yml"


def test_a_package_seed_is_read_from_the_package_folder(installed: Path) -> None:
    seed = {
        "resource_type": "seed",
        "package_name": "crm",
        "original_file_path": "seeds/crm_customers.csv",
    }
    manifest = {"nodes": {"seed.crm.crm_customers": seed}, "sources": {}}
    project = read_project(installed, "dbt_project.yml")
    assert seed_columns(manifest, project) == {
        "seed.crm.crm_customers": ["customer_id", "email", "phone_number", "signup_date"]
    }


def _macro(package: str, name: str, sql: str, calls: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "package_name": package,
        "name": name,
        "macro_sql": sql,
        "depends_on": {"macros": list(calls)},
    }


MACROS = {
    "macro.crm._trimmed": _macro(
        "crm", "_trimmed", "{% macro _trimmed(c) %}trim({{ c }}){% endmacro %}"
    ),
    "macro.crm.cleaned": _macro(
        "crm",
        "cleaned",
        "{% macro cleaned(c) %}lower({{ _trimmed(c) }}){% endmacro %}",
        ("macro.crm._trimmed",),
    ),
    "macro.utils.star": _macro(
        "utils",
        "star",
        "{% macro star(r) %}{{ adapter.get_columns_in_relation(r) | join(',') }}{% endmacro %}",
    ),
    "macro.utils.select_star": _macro(
        "utils",
        "select_star",
        "{% macro select_star(r) %}{{ star(r) }}{% endmacro %}",
        ("macro.utils.star",),
    ),
}


def _model(raw: str, macros: list[str]) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "name": "m",
        "package_name": "crm",
        "language": "sql",
        "raw_code": raw,
        "relation_name": '"db"."main"."m"',
        "fqn": ["crm", "staging", "m"],
        "depends_on": {"macros": macros, "nodes": []},
        "config": {"materialized": "view"},
    }


def test_a_macro_named_with_an_underscore_renders_in_process() -> None:
    manifest = {"nodes": {}, "sources": {}, "macros": MACROS}
    renderer = JinjaRenderer(manifest, None, lambda *a: None, lambda *a: None)
    model = _model("select {{ cleaned('email') }} as email", ["macro.crm.cleaned"])
    assert renderer.render(model) == "select lower(trim(email)) as email"


def test_models_that_read_the_warehouse_are_named_and_not_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = _model("select {{ adapter.get_columns_in_relation(this) }}", [])
    via = _model("select {{ select_star(this) }}", ["macro.utils.select_star"])
    manifest = {
        "nodes": {"model.crm.a": direct, "model.crm.b": via},
        "sources": {},
        "macros": MACROS,
    }
    assert warehouse_reads(manifest, direct) == "the model calls `adapter.get_columns_in_relation`"
    assert warehouse_reads(manifest, via) == (
        "`utils.select_star` calls `adapter.get_columns_in_relation` (through `utils.star`)"
    )

    def no_dbt(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("dbt was started")

    monkeypatch.setattr(compiled_sql, "start_dbt_compile", no_dbt)
    result = obtain_compiled_sql(Manifest(manifest), None, tmp_path)
    assert result.failures["model.crm.b"].startswith(
        "needs the warehouse to compile: `utils.select_star` calls"
    )
    assert "--compile-target NAME" in result.failures["model.crm.a"]


def test_a_failed_compilation_is_reused_without_dbt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model("select '{{ target.name }}' as t", [])
    manifest = {"nodes": {"model.crm.m": model}, "sources": {}, "macros": {}}
    started: list[list[str]] = []

    class Job:
        def result(self) -> tuple[dict[str, str], str | None, dict[str, str]]:
            return {}, "dbt compile reported failures", {"model.crm.m": "Compilation Error: x"}

        def cancel(self) -> None: ...

    def fake_start(*args: Any, **kwargs: Any) -> Job:
        started.append(list(args[4]))
        return Job()

    monkeypatch.setattr(compiled_sql, "start_dbt_compile", fake_start)
    project = read_project(FIXTURE / "root", "dbt_project.yml")
    first = obtain_compiled_sql(Manifest(manifest), project, tmp_path)
    first.finish()
    assert started == [["fqn:crm.staging.m"]]  # by fqn: `path:` is package-relative
    assert first.failures["model.crm.m"] == "`dbt compile` failed: Compilation Error: x"
    again = obtain_compiled_sql(Manifest(manifest), project, tmp_path, failed=first.failed)
    assert len(started) == 1 and again.failures == first.failures
    changed = {**model, "raw_code": model["raw_code"] + " -- edited"}
    obtain_compiled_sql(
        Manifest({**manifest, "nodes": {"model.crm.m": changed}}),
        project,
        tmp_path,
        failed=first.failed,
    )
    assert len(started) == 2  # a changed model is compiled again
