"""dbt profiles from CompiledArtifacts: shape, env_var credentials, paths, required keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from floe_ci.artifacts import ArtifactMetadata, CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.profiles import (
    PROFILE_TARGET,
    REQUIRED_KEYS,
    env_prefix,
    generate_profiles,
    make_database_folder,
    profile_name,
    required_key_problems,
    resolve_env_references,
    write_profiles,
)
from floe_ci.spec.models import (
    ComputeConfig,
    ComputeTarget,
    ConsumptionConfig,
    DeployConfig,
    GovernanceConfig,
    ObservabilityConfig,
    OrchestrationConfig,
    TransformConfig,
)

# Complete, non-secret settings per target; credentials come from connection_secret_ref.
COMPLETE: dict[ComputeTarget, dict[str, Any]] = {
    ComputeTarget.DUCKDB: {"path": "target/p.duckdb", "threads": 2},
    ComputeTarget.POSTGRES: {"host": "db", "dbname": "analytics", "schema": "shop"},
    ComputeTarget.REDSHIFT: {"host": "rs", "dbname": "dev", "schema": "shop"},
    ComputeTarget.SNOWFLAKE: {
        "account": "xy123",
        "database": "DB",
        "schema": "S",
        "warehouse": "W",
    },
    ComputeTarget.BIGQUERY: {"project": "my-proj", "dataset": "shop"},
    ComputeTarget.DATABRICKS: {
        "host": "x.cloud.databricks.com",
        "http_path": "/sql/1",
        "schema": "s",
    },
    ComputeTarget.SPARK: {"host": "spark", "schema": "s", "cluster": "c-1"},
}

# The environment variables each target's profile reads for connection_secret_ref `wh`.
CREDENTIAL_VARS: dict[ComputeTarget, dict[str, str]] = {
    ComputeTarget.DUCKDB: {},
    ComputeTarget.POSTGRES: {"user": "WH_USER", "password": "WH_PASSWORD"},
    ComputeTarget.REDSHIFT: {"user": "WH_USER", "password": "WH_PASSWORD"},
    ComputeTarget.SNOWFLAKE: {"user": "WH_USER", "password": "WH_PASSWORD"},
    ComputeTarget.BIGQUERY: {"keyfile": "WH_KEYFILE"},
    ComputeTarget.DATABRICKS: {"token": "WH_TOKEN"},
    ComputeTarget.SPARK: {"token": "WH_TOKEN"},
}


def make_artifacts(
    target: ComputeTarget,
    properties: dict[str, Any],
    secret_ref: str | None = "wh",
    project_path: str = ".",
) -> CompiledArtifacts:
    return CompiledArtifacts(
        metadata=ArtifactMetadata(
            compiled_at=datetime(2024, 1, 1, tzinfo=UTC),
            floe_core_version="0",
            source_hash="sha256:0",
            pipeline_name="p",
            spec_version="1.0",
        ),
        compute=ComputeConfig(
            target=target, connection_secret_ref=secret_ref, properties=properties
        ),
        transforms=[TransformConfig(type="dbt", path=project_path)],
        consumption=ConsumptionConfig(),
        governance=GovernanceConfig(),
        observability=ObservabilityConfig(),
        orchestration=OrchestrationConfig(),
        deploy=DeployConfig(),
        dbt_project_path=project_path,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop_profile\n")
    return tmp_path


@pytest.mark.parametrize(
    ("ref", "prefix"),
    [
        ("WAREHOUSE", "WAREHOUSE"),
        ("warehouse", "WAREHOUSE"),
        ("prod/warehouse-db", "PROD_WAREHOUSE_DB"),
        ("team.pg", "TEAM_PG"),
        ("9lives", "_9LIVES"),
    ],
)
def test_env_prefix_is_a_valid_variable_stem(ref: str, prefix: str) -> None:
    assert env_prefix(ref) == prefix


@pytest.mark.parametrize("target", list(ComputeTarget))
def test_every_target_gets_env_var_credentials_and_its_settings(
    target: ComputeTarget, root: Path
) -> None:
    profiles = generate_profiles(make_artifacts(target, COMPLETE[target]), root)
    assert list(profiles) == ["shop_profile"]
    profile = profiles["shop_profile"]
    assert profile["target"] == PROFILE_TARGET
    output = profile["outputs"][PROFILE_TARGET]
    assert output["type"] == target.value
    for key, value in COMPLETE[target].items():
        if key != "path":
            assert output[key] == value
    for key, var in CREDENTIAL_VARS[target].items():
        assert output[key] == "{{ env_var('" + var + "') }}"
    assert required_key_problems(target, output) == []


@pytest.mark.parametrize("target", list(ComputeTarget))
def test_each_required_key_missing_is_a_problem_naming_the_adapter(
    target: ComputeTarget, root: Path
) -> None:
    complete = generate_profiles(make_artifacts(target, COMPLETE[target]), root)
    for alternatives in REQUIRED_KEYS[target]:
        output = dict(complete["shop_profile"]["outputs"][PROFILE_TARGET])
        for name in alternatives:
            output.pop(name, None)
        problems = required_key_problems(target, output)
        assert len(problems) == 1, f"{target}: removing {alternatives} gave {problems}"
        assert problems[0].adapter == target.value
        assert f"`{alternatives[0]}`" in problems[0].message
        assert problems[0].describe().startswith(f"dbt-{target.value} cannot load")


def test_method_dependent_keys(root: Path) -> None:
    spark = {"type": "spark", "method": "http", "host": "h", "schema": "s", "token": "t"}
    assert [p.key for p in required_key_problems(ComputeTarget.SPARK, spark)] == [
        "properties.cluster"
    ]
    bigquery = {"type": "bigquery", "method": "service-account", "project": "p", "dataset": "d"}
    assert [p.key for p in required_key_problems(ComputeTarget.BIGQUERY, bigquery)] == [
        "connection_secret_ref"
    ]
    oauth = make_artifacts(
        ComputeTarget.BIGQUERY, {**COMPLETE[ComputeTarget.BIGQUERY], "method": "oauth"}
    )
    output = generate_profiles(oauth, root)["shop_profile"]["outputs"][PROFILE_TARGET]
    assert "keyfile" not in output
    assert required_key_problems(ComputeTarget.BIGQUERY, output) == []


def test_spark_session_needs_no_host_or_credentials(root: Path) -> None:
    artifacts = make_artifacts(ComputeTarget.SPARK, {"method": "session", "schema": "s"}, None)
    output = generate_profiles(artifacts, root)["shop_profile"]["outputs"][PROFILE_TARGET]
    assert output == {"type": "spark", "method": "session", "schema": "s"}
    assert required_key_problems(ComputeTarget.SPARK, output) == []


def test_snowflake_key_pair_reads_the_passphrase_not_a_password(root: Path) -> None:
    props = {**COMPLETE[ComputeTarget.SNOWFLAKE], "private_key_path": "/keys/rsa.p8"}
    output = generate_profiles(make_artifacts(ComputeTarget.SNOWFLAKE, props), root)
    target = output["shop_profile"]["outputs"][PROFILE_TARGET]
    assert "password" not in target
    assert target["private_key_passphrase"] == "{{ env_var('WH_PRIVATE_KEY_PASSPHRASE') }}"


def test_an_explicit_env_var_setting_wins_over_the_derived_one(root: Path) -> None:
    props = {**COMPLETE[ComputeTarget.POSTGRES], "user": "{{ env_var('PGUSER') }}"}
    output = generate_profiles(make_artifacts(ComputeTarget.POSTGRES, props), root)
    target = output["shop_profile"]["outputs"][PROFILE_TARGET]
    assert target["user"] == "{{ env_var('PGUSER') }}"
    assert target["password"] == "{{ env_var('WH_PASSWORD') }}"


def test_duckdb_path_is_anchored_at_the_dbt_project_folder(tmp_path: Path) -> None:
    project = tmp_path / "transform"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: shop\n")
    artifacts = make_artifacts(
        ComputeTarget.DUCKDB, {"path": "target/shop.duckdb"}, None, "transform"
    )
    output = generate_profiles(artifacts, tmp_path)["shop"]["outputs"][PROFILE_TARGET]
    assert output["path"] == str(project.resolve() / "target" / "shop.duckdb")


@pytest.mark.parametrize("path", [":memory:", "md:my_db", "s3://bucket/x.duckdb", "/abs/x.duckdb"])
def test_duckdb_special_and_absolute_paths_are_kept(path: str, root: Path) -> None:
    artifacts = make_artifacts(ComputeTarget.DUCKDB, {"path": path}, None)
    output = generate_profiles(artifacts, root)["shop_profile"]["outputs"][PROFILE_TARGET]
    assert output["path"] == path


def test_profile_name_falls_back_to_the_project_name(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: jaffle\n")
    artifacts = make_artifacts(ComputeTarget.DUCKDB, {}, None)
    assert profile_name(artifacts, tmp_path) == "jaffle"


def test_transform_target_names_the_dbt_target(root: Path) -> None:
    artifacts = make_artifacts(ComputeTarget.DUCKDB, {}, None)
    artifacts.transforms[0].target = "ci"
    profile = generate_profiles(artifacts, root)["shop_profile"]
    assert profile["target"] == "ci"
    assert list(profile["outputs"]) == ["ci"]


def test_write_profiles_writes_the_file_and_returns_its_folder(root: Path) -> None:
    artifacts = make_artifacts(ComputeTarget.DUCKDB, {"path": "t.duckdb"}, None)
    folder = write_profiles(artifacts, root, validate=False)
    assert folder == root / ".floe" / "profiles"
    written = yaml.safe_load((folder / "profiles.yml").read_text())
    assert written == generate_profiles(artifacts, root)
    assert [p.name for p in folder.iterdir()] == ["profiles.yml"]  # no temporary left


def test_the_duckdb_files_folder_is_made_before_dbt_connects(root: Path) -> None:
    """dbt-duckdb does not create it, and a run into its own target folder never makes
    `target/`: `floe run` of a fresh `path: target/shop.duckdb` project would fail."""
    artifacts = make_artifacts(ComputeTarget.DUCKDB, {"path": "target/shop.duckdb"}, None)
    write_profiles(artifacts, root, validate=False)
    assert not (root / "target").exists()  # writing the profile (compile) makes nothing
    make_database_folder(artifacts, root)
    assert (root / "target").is_dir() and list((root / "target").iterdir()) == []


def test_the_duckdb_files_folder_is_never_made_through_a_link_out_of_the_project(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (root / "target").symlink_to(outside, target_is_directory=True)
    artifacts = make_artifacts(ComputeTarget.DUCKDB, {"path": "target/db/shop.duckdb"}, None)
    with pytest.raises(FloeUsageError) as refused:
        make_database_folder(artifacts, root)
    assert f"{root / 'target'} -> {outside}" in str(refused.value)
    assert list(outside.iterdir()) == []


def test_resolve_env_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WH_PASSWORD", "s3cret")
    output = {"password": "{{ env_var('WH_PASSWORD') }}", "port": 5, "x": "{{ env_var('N', 'd') }}"}
    assert resolve_env_references(output) == {"password": "s3cret", "port": 5, "x": "d"}
    monkeypatch.delenv("WH_PASSWORD")
    with pytest.raises(FloeUsageError, match="WH_PASSWORD is not set"):
        resolve_env_references(output)
