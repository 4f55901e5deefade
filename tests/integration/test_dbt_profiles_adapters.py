"""Generated profiles load with the real dbt adapters; bad ones fail compilation, adapter named."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from floe_ci.app.compile import compile_pipeline
from floe_ci.errors import FloeUsageError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(parsed_shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the parsed example (manifest fresh: compiling does not re-parse)."""
    dest = tmp_path_factory.mktemp("profiles") / "shop"
    shutil.copytree(parsed_shop, dest, ignore=shutil.ignore_patterns(".floe", "*.duckdb"))
    return dest


def with_compute(project: Path, compute: dict[str, Any]) -> Path:
    config = project / "floe.yaml"
    spec = yaml.safe_load(config.read_text())
    spec["compute"] = compute
    config.write_text(yaml.safe_dump(spec, sort_keys=False))
    return config


def load_with_dbt(profiles_dir: Path, profile: str = "shop") -> Any:
    """Load profiles.yml exactly as dbt does (render env_var, pick target, build credentials)."""
    import os

    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(dict(os.environ))  # dbt reads env_var from this snapshot, as dbt run
    raw = read_profile(str(profiles_dir))
    return Profile.from_raw_profiles(raw, profile, ProfileRenderer({}))


def test_duckdb_profile_loads_with_dbt_duckdb(project: Path) -> None:
    with_compute(project, {"target": "duckdb", "properties": {"path": "target/x.duckdb"}})
    artifacts = compile_pipeline(project / "floe.yaml")
    assert artifacts.dbt_profiles_path == ".floe/profiles"
    profile = load_with_dbt(project / artifacts.dbt_profiles_path)
    credentials = profile.credentials
    assert type(credentials).__name__ == "DuckDBCredentials"
    assert credentials.path == str(project.resolve() / "target" / "x.duckdb")
    assert profile.target_name == "floe"


def test_postgres_profile_loads_with_dbt_postgres(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_compute(
        project,
        {
            "target": "postgres",
            "connection_secret_ref": "shop_pg",
            "properties": {"host": "db.internal", "dbname": "analytics", "schema": "shop"},
        },
    )
    artifacts = compile_pipeline(project / "floe.yaml")  # no credentials needed to compile
    profiles_dir = project / str(artifacts.dbt_profiles_path)
    monkeypatch.setenv("SHOP_PG_USER", "loader")
    monkeypatch.setenv("SHOP_PG_PASSWORD", "pw-from-env")
    credentials = load_with_dbt(profiles_dir).credentials
    assert type(credentials).__name__ == "PostgresCredentials"
    assert (credentials.host, credentials.port, credentials.database) == (
        "db.internal",
        5432,
        "analytics",
    )
    assert (credentials.user, credentials.password) == ("loader", "pw-from-env")
    assert "pw-from-env" not in (profiles_dir / "profiles.yml").read_text()


@pytest.mark.parametrize(
    ("compute", "adapter", "key"),
    [
        ({"target": "postgres", "connection_secret_ref": "pg", "properties": {"host": "h"}},
         "postgres", "database"),
        ({"target": "postgres", "properties": {"host": "h", "dbname": "d", "schema": "s"}},
         "postgres", "connection_secret_ref"),
        ({"target": "duckdb", "properties": {"path": "x.duckdb", "threads": "many"}},
         "duckdb", "threads"),
        ({"target": "duckdb", "properties": {"path": "x.duckdb", "extensions": 5}},
         "duckdb", "extensions"),
        ({"target": "snowflake", "connection_secret_ref": "sf",
          "properties": {"database": "D", "schema": "S"}}, "snowflake", "account"),
        ({"target": "bigquery", "connection_secret_ref": "bq",
          "properties": {"project": "p"}}, "bigquery", "dataset"),
        ({"target": "redshift", "connection_secret_ref": "rs",
          "properties": {"host": "h", "schema": "s"}}, "redshift", "dbname"),
        ({"target": "databricks", "connection_secret_ref": "dbx",
          "properties": {"host": "h", "schema": "s"}}, "databricks", "http_path"),
        ({"target": "spark", "connection_secret_ref": "sp",
          "properties": {"host": "h", "schema": "s"}}, "spark", "cluster"),
    ],
)  # fmt: skip
def test_a_profile_the_adapter_cannot_load_fails_compilation(
    project: Path, compute: dict[str, Any], adapter: str, key: str
) -> None:
    config = with_compute(project, compute)
    with pytest.raises(FloeUsageError) as caught:
        compile_pipeline(config, display="floe.yaml")
    problem = caught.value.problems[0]
    assert f"dbt-{adapter} cannot load the generated profile" in problem.message
    assert key in problem.message + (problem.hint or "")
    assert problem.file == "floe.yaml"
    compute_line = config.read_text().splitlines().index("compute:") + 1
    assert problem.line is not None and problem.line >= compute_line


@pytest.mark.parametrize(
    "compute",
    [
        {"target": "snowflake", "connection_secret_ref": "sf",
         "properties": {"account": "a", "database": "D", "schema": "S"}},
        {"target": "bigquery", "connection_secret_ref": "bq",
         "properties": {"project": "p", "dataset": "d"}},
        {"target": "redshift", "connection_secret_ref": "rs",
         "properties": {"host": "h", "dbname": "d", "schema": "s"}},
        {"target": "databricks", "connection_secret_ref": "dbx",
         "properties": {"host": "h", "http_path": "/sql", "schema": "s"}},
        {"target": "spark", "connection_secret_ref": "sp",
         "properties": {"host": "h", "schema": "s", "cluster": "c"}},
    ],
)  # fmt: skip
def test_complete_profiles_of_other_adapters_compile(
    project: Path, compute: dict[str, Any]
) -> None:
    artifacts = compile_pipeline(with_compute(project, compute))
    text = (project / str(artifacts.dbt_profiles_path) / "profiles.yml").read_text()
    output = yaml.safe_load(text)["shop"]["outputs"]["floe"]
    assert output["type"] == compute["target"]
    secrets = {k: v for k, v in output.items() if "env_var" in str(v)}
    assert secrets and all(v.startswith("{{ env_var('") for v in secrets.values())
