"""Cube sync on the example: models generated from real dbt output, compiled by Cube's own
compiler (Node, @cubejs-backend 1.7), and the SQL Cube would run executed by DuckDB against
the tables dbt built. Cube's compiler comes from `.ci/tools/cube.sh`; missing is a failure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from floe_ci.app.compile import compile_pipeline
from floe_ci.artifacts import ColumnClassification, CompiledArtifacts
from floe_ci.integrations.cube.config import generate_cube_config
from floe_ci.integrations.cube.model_sync import build_cube_models
from floe_ci.integrations.cube.selection import exposed_model_names
from floe_ci.integrations.cube.sync import CUBE_JS, CubeSyncResult, sync_cube
from floe_ci.integrations.cube.validate import (
    CubeToolchain,
    CubeValidation,
    find_toolchain,
    validate_models,
)
from floe_ci.integrations.dbt.executor import DbtExecutor
from floe_ci.integrations.dbt.parse import load_manifest
from tests.conftest import copy_example

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def toolchain() -> CubeToolchain:
    found = find_toolchain()
    assert found is not None, "node and Cube's compiler are needed: run `bash .ci/tools/cube.sh`"
    return found


def _configure(floe_yaml: Path) -> None:
    """Row-level security by country; card numbers hashed (not restricted) in production."""
    text = floe_yaml.read_text()
    text = text.replace(
        "    security:\n      row_level: false",
        "    security:\n      row_level: true\n      tenant_column: country",
    )
    text = text.replace(
        "        action: restrict\n        requires_role: [finance]",
        "        action: hash",
    )
    floe_yaml.write_text(text)


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, CompiledArtifacts, CubeSyncResult]:
    root = copy_example(tmp_path_factory.mktemp("cube") / "shop")
    _configure(root / "floe.yaml")
    artifacts = compile_pipeline(root / "floe.yaml")
    build = DbtExecutor(artifacts, root).build()
    assert build.success, build.error or [n.message for n in build.failures]
    result = sync_cube(artifacts, root, manifest_path=built_manifest(root))
    build_pre_aggregations(root, result)
    return root, artifacts, result


def built_manifest(root: Path) -> Path:
    """The manifest `dbt build` wrote with the deployment's profile: the tables Cube reads."""
    return root / "target" / "manifest.json"


def build_pre_aggregations(root: Path, result: CubeSyncResult) -> None:
    """What Cube's refresh worker does: each pre-aggregation's own CREATE TABLE, in DuckDB."""
    assert result.validation is not None and result.validation.pre_aggregations
    with duckdb.connect(str(root / "target" / "shop.duckdb")) as con:
        con.execute("create schema if not exists floe_preaggs")
        for check in result.validation.pre_aggregations:
            for sql, params in check.load_sql:
                con.execute(f"drop table if exists {check.table_names[0]}")
                con.execute(sql, params)


def cube_sql(
    toolchain: CubeToolchain,
    result: CubeSyncResult,
    query: dict[str, Any],
    security_context: dict[str, Any] | None = None,
) -> CubeValidation:
    answer = validate_models(
        toolchain,
        result.model_dir,
        query=query,
        config=result.output_dir / CUBE_JS,
        security_context=security_context or {},
    )
    assert answer.ok, answer.errors
    assert answer.sql is not None
    return answer


def run_sql(root: Path, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(root / "target" / "shop.duckdb"), read_only=True) as con:
        return sorted(con.execute(sql, params).fetchall(), key=str)


def test_generated_cubes_compile_with_cubes_own_compiler(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult], toolchain: CubeToolchain
) -> None:
    _, _, result = synced
    assert result.validation is not None and result.validation.ok, result.validation
    cubes = {c["name"]: c for c in result.validation.cubes}
    assert set(cubes) == {"customers", "orders"}
    assert {"count", "lifetime_value_sum", "lifetime_value_avg"} <= set(
        cubes["customers"]["measures"]
    )
    assert "customer_id_sum" not in cubes["customers"]["measures"]  # keys are not summed
    assert sorted(p.name for p in result.model_dir.iterdir()) == ["customers.yml", "orders.yml"]
    model = yaml.safe_load((result.model_dir / "customers.yml").read_text())["cubes"][0]
    assert model["sql_table"] == '"shop"."main"."customers"'  # the table dbt built
    key = next(d for d in model["dimensions"] if d["name"] == "customer_id")
    assert key["primary_key"] is True and key["type"] == "number"
    types = {d["name"]: d["type"] for d in model["dimensions"]}
    assert types["signed_up_on"] == "time" and types["country"] == "string"
    assert model["pre_aggregations"][0]["refresh_key"] == {"every": "30 minute", "timezone": "UTC"}


def test_restricted_columns_are_excluded_for_every_group_but_the_required_role(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult],
) -> None:
    _, _, result = synced
    assert result.validation is not None
    policy = next(c for c in result.validation.cubes if c["name"] == "customers")["accessPolicy"]
    by_group = {p["group"]: p["memberLevel"] for p in policy}
    assert set(by_group["*"]["excludesMembers"]) == {"customers.email", "customers.full_name"}
    assert by_group["pii_reader"]["excludesMembers"] == []
    assert "customers.email" in by_group["pii_reader"]["includesMembers"]


def test_count_and_dimension_sql_from_cube_runs_on_the_dbt_tables(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult], toolchain: CubeToolchain
) -> None:
    root, _, result = synced
    answer = cube_sql(
        toolchain,
        result,
        {"measures": ["orders.count", "orders.amount_sum"], "dimensions": ["orders.status"]},
        {"tenant_id": "US"},
    )
    assert answer.sql is not None
    rows = run_sql(root, *answer.sql)
    with duckdb.connect(str(root / "target" / "shop.duckdb"), read_only=True) as con:
        expected = sorted(
            con.execute(
                "select status, count(*), sum(amount) from main.orders "
                "where country = 'US' group by status"
            ).fetchall(),
            key=str,
        )
    assert [(r[0], r[1]) for r in rows] == [(e[0], e[1]) for e in expected]
    assert [float(r[2]) for r in rows] == pytest.approx([float(e[2]) for e in expected])
    assert len(rows) >= 1


def test_row_level_security_filters_by_the_tokens_tenant(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult], toolchain: CubeToolchain
) -> None:
    root, _, result = synced
    query = {"measures": ["customers.count"], "dimensions": ["customers.country"]}
    answer = cube_sql(toolchain, result, query, {"tenant_id": "GB"})
    assert answer.query is not None
    assert {"member": "customers.country", "operator": "equals", "values": ["GB"]} in answer.query[
        "filters"
    ]
    assert answer.sql is not None
    assert run_sql(root, *answer.sql) == [("GB", 2)]
    refused = validate_models(
        toolchain, result.model_dir, query=query, config=result.output_dir / CUBE_JS
    )
    assert not refused.ok and "no tenant_id" in " ".join(refused.errors)


def test_hashed_column_is_served_as_its_governed_value(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult], toolchain: CubeToolchain
) -> None:
    root, _, result = synced
    answer = cube_sql(
        toolchain,
        result,
        {"dimensions": ["orders.order_id", "orders.card_last4"]},
        {"tenant_id": "GB"},
    )
    assert answer.sql is not None
    rows = run_sql(root, *answer.sql)
    assert rows and all(re.fullmatch(r"[0-9a-f]{64}", str(card)) for _, card in rows)
    with duckdb.connect(str(root / "target" / "shop.duckdb"), read_only=True) as con:
        raw = {r[0] for r in con.execute("select card_last4 from main.orders").fetchall()}
    assert not raw & {card for _, card in rows}


def test_a_broken_model_is_rejected_with_cubes_message(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult],
    toolchain: CubeToolchain,
    tmp_path: Path,
) -> None:
    _, _, result = synced
    broken = tmp_path / "model"
    broken.mkdir()
    text = (result.model_dir / "orders.yml").read_text()
    (broken / "orders.yml").write_text(text.replace("type: string", "type: text", 1))
    answer = validate_models(toolchain, broken)
    assert not answer.ok
    message = "\n".join(answer.errors)
    assert "orders cube" in message
    assert "must be one of [string, number, boolean, time, geo]" in message


def test_cube_config_names_the_secret_never_its_value(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, artifacts, result = synced
    monkeypatch.setenv("CUBE_API_SECRET", "s3cr3t-value-for-test")
    config = generate_cube_config(artifacts)
    assert config["dbType"] == "duckdb" and config["apiPort"] == 4000
    assert config["env"] == {"CUBEJS_API_SECRET": {"secretRef": "CUBE_API_SECRET"}}
    assert config["rowLevelSecurity"] == {"tenantColumn": "country"}
    written = "".join(p.read_text() for p in result.output_dir.rglob("*") if p.is_file())
    assert "s3cr3t" not in written


def test_selection_follows_consumption_models(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    floe_yaml = root / "floe.yaml"
    artifacts = compile_pipeline(floe_yaml)
    assert artifacts.dbt_manifest_path is not None
    manifest = load_manifest(root / artifacts.dbt_manifest_path)
    assert exposed_model_names(artifacts, manifest) == ["customers", "orders"]
    cube = artifacts.consumption.cube
    assert cube is not None
    cube.models = []  # all marts
    assert exposed_model_names(artifacts, manifest) == ["customers", "orders"]
    cube.models = ["stg_orders"]
    assert exposed_model_names(artifacts, manifest) == ["stg_orders"]


def test_without_cubes_compiler_the_models_are_written_and_validation_is_skipped(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, artifacts, _ = synced
    monkeypatch.setenv("FLOE_CUBE_TOOLS", str(tmp_path / "nowhere"))
    out = tmp_path / "cube"
    (out / "model").mkdir(parents=True)
    (out / "model" / "stale.yml").write_text("cubes: []\n")
    result = sync_cube(artifacts, root, output_dir=out, manifest_path=built_manifest(root))
    assert result.validation is None and result.skipped_reason
    assert "cube.sh" in result.skipped_reason
    assert sorted(p.name for p in (out / "model").iterdir()) == ["customers.yml", "orders.yml"]


def test_columns_named_like_generated_measures_keep_their_names(
    parsed_shop: Path, toolchain: CubeToolchain, tmp_path: Path
) -> None:
    artifacts = compile_pipeline(parsed_shop / "floe.yaml")
    assert artifacts.dbt_manifest_path is not None
    manifest = load_manifest(parsed_shop / artifacts.dbt_manifest_path)
    columns = manifest["nodes"]["model.shop.orders"]["columns"]
    for name in ("count", "amount_sum"):
        columns[name] = {**columns["amount"], "name": name, "data_type": "bigint"}
    (model,) = build_cube_models(artifacts, manifest, ["orders"])
    measures = [m["name"] for m in model.definition["measures"]]
    assert measures[0] == "row_count" and "amount_sum" not in measures
    assert model.definition["pre_aggregations"][0]["measures"][0] == "CUBE.row_count"
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / model.file_name).write_text(model.render())
    answer = validate_models(toolchain, tmp_path / "model")
    assert answer.ok, answer.errors


@pytest.mark.parametrize(
    ("token", "sees_pii"),
    [({}, False), ({"groups": ["analyst"]}, False), ({"groups": ["pii_reader"]}, True)],
)
def test_cubes_access_policy_shows_restricted_columns_only_to_their_role(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult],
    toolchain: CubeToolchain,
    token: dict[str, Any],
    sees_pii: bool,
) -> None:
    """Cube's own access-policy code (server-core) with the generated contextToGroups."""
    _, _, result = synced
    answer = validate_models(
        toolchain, result.model_dir, config=result.output_dir / CUBE_JS, security_context=token
    )
    assert answer.ok, answer.errors
    customers = set(answer.visible["customers"])
    assert {"customers.count", "customers.country", "customers.customer_id"} <= customers
    assert ({"customers.email", "customers.full_name"} <= customers) is sees_pii
    assert not ({"customers.email", "customers.full_name"} & customers) or sees_pii
    assert "orders.card_last4" in answer.visible["orders"]  # hashed: served to everyone


def test_a_classified_tenant_column_still_filters_rows_but_is_never_shown(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult],
    toolchain: CubeToolchain,
    tmp_path: Path,
) -> None:
    root, artifacts, _ = synced
    classified = dict(artifacts.column_classifications or {})
    classified["customers"] = {
        **classified["customers"],
        "country": ColumnClassification(classification="no_policy_here"),
    }
    changed = artifacts.model_copy(update={"column_classifications": classified})
    result = sync_cube(
        changed, root, output_dir=tmp_path / "cube", manifest_path=built_manifest(root)
    )
    assert result.validation is not None and result.validation.ok, result.validation
    build_pre_aggregations(root, result)
    customers = next(m for m in result.models if m.name == "customers")
    assert customers.has_tenant_column
    assert "customers.country" not in result.validation.visible["customers"]
    answer = cube_sql(toolchain, result, {"measures": ["customers.count"]}, {"tenant_id": "US"})
    assert answer.sql is not None
    assert run_sql(root, *answer.sql) == [(3,)]


def test_every_pre_aggregation_passes_cubes_refresh_key_check_and_is_used_by_a_tenant(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult], toolchain: CubeToolchain
) -> None:
    """Cube 1.7's compiler, with the generated queryRewrite under a tenant's token: the
    refresh-key SQL builds, and the measure-by-day query reads the pre-aggregation table."""
    root, _, result = synced
    assert result.validation is not None
    checks = {c.id: c for c in result.validation.pre_aggregations}
    assert set(checks) == {"customers.main", "orders.main"}
    for check in checks.values():
        assert check.error is None and check.used, check
        assert check.query is not None
        assert {
            "member": f"{check.cube}.country",
            "operator": "equals",
            "values": ["floe-sample-tenant"],
        } in check.query["filters"]
        assert check.table_names == (f"floe_preaggs.{check.cube}_main",)
        assert check.sql is not None and f"floe_preaggs.{check.cube}_main" in check.sql[0]
    assert result.findings == []
    orders = yaml.safe_load((result.model_dir / "orders.yml").read_text())["cubes"][0]
    rollup = orders["pre_aggregations"][0]
    assert rollup["dimensions"] == ["CUBE.country"]  # the tenant filter is answerable
    assert rollup["measures"] == ["CUBE.count", "CUBE.amount_sum"]

    by_day = cube_sql(
        toolchain,
        result,
        {
            "measures": ["orders.amount_sum"],
            "timeDimensions": [{"dimension": "orders.ordered_on", "granularity": "day"}],
        },
        {"tenant_id": "GB"},
    )
    assert by_day.sql is not None and "floe_preaggs.orders_main" in by_day.sql[0]
    assert "GB" in by_day.sql[1]
    with duckdb.connect(str(root / "target" / "shop.duckdb"), read_only=True) as con:
        expected = con.execute(
            "select ordered_on, sum(amount) from main.orders where country = 'GB' "
            "group by 1 order by 1"
        ).fetchall()
    rows = sorted(run_sql(root, *by_day.sql))
    assert [(r[0], float(r[1])) for r in rows] == [(d, float(v)) for d, v in expected]


@pytest.mark.parametrize("schedule", ["0 9 * * 1-5", "*/7 * * * *"])
def test_a_schedule_cube_refuses_is_refused_by_cube_too(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult],
    toolchain: CubeToolchain,
    tmp_path: Path,
    schedule: str,
) -> None:
    """floe.yaml refuses these schedules; written by hand as `every`, Cube refuses them
    the same way, and the sync reports FLOE403 with Cube's message."""
    _, _, result = synced
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    for name in ("customers.yml", "orders.yml"):
        text = (result.model_dir / name).read_text()
        (model_dir / name).write_text(text.replace("every: 30 minute", f"every: '{schedule}'"))
    answer = validate_models(
        toolchain,
        model_dir,
        config=result.output_dir / CUBE_JS,
        security_context={"tenant_id": "GB"},
        check_pre_aggregations=True,
    )
    assert answer.ok, answer.errors
    errors = {c.id: c.error for c in answer.pre_aggregations}
    assert all(e and "we support only equal time intervals" in e for e in errors.values()), errors


def test_without_the_tenant_dimension_cube_skips_the_pre_aggregation_and_floe403_says_so(
    synced: tuple[Path, CompiledArtifacts, CubeSyncResult], tmp_path: Path
) -> None:
    """The rollup generated before this fix (no tenant dimension): Cube answers the tenant's
    query from the table, and the sync turns that into a FLOE403 finding."""
    root, artifacts, _ = synced
    import floe_ci.integrations.cube.model_sync as model_sync

    original = model_sync._pre_aggregation

    def without_tenant(*args: Any) -> dict[str, Any]:
        rollup = original(*args)
        rollup.pop("dimensions", None)
        return rollup

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model_sync, "_pre_aggregation", without_tenant)
        result = sync_cube(
            artifacts,
            root,
            output_dir=tmp_path / "cube",
            manifest_path=built_manifest(root),
            locate_spec=lambda path: (17, 5) if path[:2] == ("consumption", "cube") else None,
        )
    assert result.validation is not None and result.validation.ok
    assert [(f.rule_id, f.model, f.line) for f in result.findings] == [
        ("FLOE403", "customers", 17),
        ("FLOE403", "orders", 17),
    ]
    assert "reads the source table" in result.findings[0].message
    assert any(line.startswith("warning FLOE403") for line in result.lines())
