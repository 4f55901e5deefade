"""`floe-ci init --existing` on a dbt project with its own profiles.yml (no dbt run)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from floe_ci.app.spec_file import load_spec
from floe_ci.cli.main import cli

pytestmark = pytest.mark.integration

LITERAL = "s3cret-Literal-Pa55"
PROFILES = f"""\
warehouse:
  target: prod
  outputs:
    prod:
      type: postgres
      host: db.internal
      port: 5433
      user: "{{{{ env_var('PG_USER') }}}}"
      password: {LITERAL}
      dbname: analytics
      schema: marts
      threads: 4
    dev:
      type: duckdb
      path: dev.duckdb
"""


@pytest.fixture
def dbt_project(tmp_path: Path) -> Path:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: My_Shop\nprofile: warehouse\n")
    (project / "profiles.yml").write_text(PROFILES)
    return project


def test_the_profile_becomes_compute_without_any_credential(
    dbt_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(dbt_project)
    done = CliRunner().invoke(cli, ["init", "--existing"])
    assert done.exit_code == 0, done.output
    text = (dbt_project / "floe.yaml").read_text()
    assert LITERAL not in text and LITERAL not in done.output
    assert text.startswith("# yaml-language-server: $schema=")
    spec = load_spec(dbt_project / "floe.yaml").spec
    assert spec.name == "my_shop"
    assert spec.compute.target.value == "postgres"
    assert spec.compute.connection_secret_ref == "DBT_WAREHOUSE"
    assert spec.compute.properties == {
        "host": "db.internal",
        "port": 5433,
        "user": "{{ env_var('PG_USER') }}",  # a reference the user wrote stays
        "dbname": "analytics",
        "schema": "marts",
        "threads": 4,
    }
    assert [t.path for t in spec.transforms] == ["."]
    assert set(spec.governance.policies) == {"pii", "financial"}
    assert "credentials (password) were not copied" in done.output
    assert "floe-ci classify --write" in done.output

    again = CliRunner().invoke(cli, ["init", "--existing"])
    assert again.exit_code == 2 and "already exists" in again.output
    assert (dbt_project / "floe.yaml").read_text() == text


def test_another_folder_and_target(dbt_project: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "pipeline"
    pipeline.mkdir()
    done = CliRunner().invoke(
        cli,
        ["init", "--existing", "-d", str(pipeline), "--dbt", str(dbt_project), "--target", "dev"],
        env={"DBT_PROFILES_DIR": str(dbt_project)},
    )
    assert done.exit_code == 0, done.output
    data = yaml.safe_load((pipeline / "floe.yaml").read_text())
    assert data["compute"] == {"target": "duckdb", "properties": {"path": "dev.duckdb"}}
    assert data["transforms"] == [{"type": "dbt", "path": "../shop", "target": "dev"}]
    assert "-c " in done.output  # next steps name the config


def test_no_dbt_project_or_no_such_target_is_a_usage_error(
    dbt_project: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = CliRunner().invoke(cli, ["init", "--existing", "-d", str(empty)])
    assert done.exit_code == 2 and "no dbt_project.yml" in done.output
    done = CliRunner().invoke(
        cli,
        ["init", "--existing", "-d", str(dbt_project), "--target", "nope"],
        env={"DBT_PROFILES_DIR": str(dbt_project)},
    )
    assert done.exit_code == 2 and "has no target `nope`" in done.output
    assert "Traceback" not in done.output
