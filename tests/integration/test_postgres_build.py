"""The example pipeline builds on a real PostgreSQL server through the generated profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from floe_ci.app.compile import compile_pipeline
from floe_ci.integrations.dbt.executor import DbtExecutor
from tests.conftest import copy_example
from tests.fixtures.postgres import PostgresServer, use_postgres

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_shop(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: PostgresServer,
) -> Iterator[Path]:
    project = copy_example(tmp_path_factory.mktemp("pg") / "shop")
    use_postgres(project, postgres_server, "shop-pg", "shop")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOP_PG_USER", postgres_server.user)
        patch.setenv("SHOP_PG_PASSWORD", postgres_server.password)
        yield project


def test_generated_profile_names_env_vars_not_values(
    pg_shop: Path,
    postgres_server: PostgresServer,
) -> None:
    artifacts = compile_pipeline(pg_shop / "floe.yaml")
    assert artifacts.dbt_profiles_path == ".floe/profiles"
    text = (pg_shop / ".floe/profiles/profiles.yml").read_text()
    output = yaml.safe_load(text)["shop"]["outputs"]["floe"]
    assert output["password"] == "{{ env_var('SHOP_PG_PASSWORD') }}"
    assert output["user"] == "{{ env_var('SHOP_PG_USER') }}"
    assert output["port"] == postgres_server.port
    assert postgres_server.password not in text


def test_example_builds_on_postgres(
    pg_shop: Path,
    postgres_server: PostgresServer,
) -> None:
    artifacts = compile_pipeline(pg_shop / "floe.yaml")
    result = DbtExecutor(artifacts, pg_shop).build()
    assert result.success, [(n.name, n.message) for n in result.failures] or result.error
    assert {n.name for n in result.built()} == {
        "stg_customers",
        "stg_orders",
        "customers",
        "orders",
    }
    assert all(n.status == "pass" for n in result.nodes if n.resource_type == "test")

    conn = postgres_server.connect()
    try:
        cur = conn.cursor()
        counts = {}
        for table in ("raw_customers", "raw_orders", "customers", "orders", "stg_orders"):
            cur.execute(f"select count(*) from shop.{table}")
            counts[table] = cur.fetchone()[0]
    finally:
        conn.close()
    assert counts == {
        "raw_customers": 6,
        "raw_orders": 10,
        "customers": 6,
        "orders": 10,
        "stg_orders": 10,
    }
    log = (pg_shop / ".floe/logs/dbt.log").read_text()
    assert postgres_server.password not in log


def test_wrong_password_fails_the_build(
    pg_shop: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The password really comes from the env var the profile names."""
    monkeypatch.setenv("SHOP_PG_PASSWORD", "not-the-password")
    artifacts = compile_pipeline(pg_shop / "floe.yaml")
    result = DbtExecutor(artifacts, pg_shop).run_command("seed")
    assert not result.success
    assert "not-the-password" not in (pg_shop / ".floe/logs/dbt.log").read_text()
