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


def _git(folder: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True
    ).stdout


def test_the_state_is_kept_out_of_git_and_the_users_lines_are_kept(
    dbt_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(dbt_project, "init", "-q")
    (dbt_project / ".gitignore").write_text("target/\n# mine\n*.log")  # no final newline
    monkeypatch.chdir(dbt_project)
    done = CliRunner().invoke(cli, ["init", "--existing"])
    assert done.exit_code == 0, done.output
    assert "added .floe/ to .gitignore" in done.output
    text = (dbt_project / ".gitignore").read_text()
    assert text.startswith("target/\n# mine\n*.log\n") and text.endswith("\n.floe/\n")
    # what a check leaves behind is never picked up by `git add -A`
    (dbt_project / ".floe" / "cache").mkdir(parents=True)
    (dbt_project / ".floe" / "cache" / "findings.json").write_text("{}")
    _git(dbt_project, "add", "-A")
    tracked = _git(dbt_project, "ls-files").split()
    assert not [f for f in tracked if f.startswith((".floe/", "target/"))], tracked
    assert "floe.yaml" in tracked


def test_state_git_already_tracks_gets_the_command_that_untracks_it(
    dbt_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(dbt_project, "init", "-q")
    (dbt_project / ".floe").mkdir()
    (dbt_project / ".floe" / "old.json").write_text("{}")
    (dbt_project / "models").mkdir()
    (dbt_project / "models" / "a.sql").write_text("select 1 as x\n")
    _git(dbt_project, "add", "-A")
    monkeypatch.chdir(dbt_project)
    done = CliRunner().invoke(cli, ["init", "--existing"])
    assert done.exit_code == 0, done.output
    assert "git tracks files in .floe/;" in done.output
    assert "git rm -r --cached .floe`" in done.output
    _git(dbt_project, "rm", "-r", "-q", "--cached", ".floe")  # as told: nothing else to say
    (dbt_project / "floe.yaml").unlink()
    again = CliRunner().invoke(cli, ["init", "--existing"])
    assert again.exit_code == 0 and "git tracks" not in again.output, again.output


def test_without_git_the_gitignore_is_made_and_names_dbts_target_too(dbt_project: Path) -> None:
    (dbt_project / "dbt_project.yml").write_text(
        "name: My_Shop\nprofile: warehouse\ntarget-path: build\n"
    )
    done = CliRunner().invoke(
        cli,
        ["init", "--existing", "-d", str(dbt_project)],
        env={"DBT_PROFILES_DIR": str(dbt_project), "GIT_DIR": str(dbt_project / "no-git")},
    )
    assert done.exit_code == 0, done.output
    lines = (dbt_project / ".gitignore").read_text().splitlines()
    assert lines[1:] == [".floe/", "build/"] and lines[0].startswith("# floe-ci")


def test_a_project_that_ignores_both_is_left_as_it_is(dbt_project: Path) -> None:
    _git(dbt_project, "init", "-q")
    (dbt_project / ".gitignore").write_text("/target\n.floe\n")
    done = CliRunner().invoke(
        cli,
        ["init", "--existing", "-d", str(dbt_project)],
        env={"DBT_PROFILES_DIR": str(dbt_project)},
    )
    assert done.exit_code == 0, done.output
    assert (dbt_project / ".gitignore").read_text() == "/target\n.floe\n"
    assert ".gitignore" not in done.output


def test_crlf_lines_are_kept_and_a_global_exclude_is_not_enough(
    dbt_project: Path, tmp_path: Path
) -> None:
    _git(dbt_project, "init", "-q")
    home = tmp_path / "home"
    home.mkdir()
    (home / "ignore").write_text(".floe/\n")  # ignored on this machine only
    (home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {home / 'ignore'}\n")
    (dbt_project / ".gitignore").write_bytes(b"target/\r\n*.log\r\n")
    done = CliRunner().invoke(
        cli,
        ["init", "--existing", "-d", str(dbt_project)],
        env={"DBT_PROFILES_DIR": str(dbt_project), "HOME": str(home)},
    )
    assert done.exit_code == 0, done.output
    text = (dbt_project / ".gitignore").read_bytes()
    assert text.startswith(b"target/\r\n*.log\r\n\r\n# floe-ci") and text.endswith(
        b"\r\n.floe/\r\n"
    )
    assert b"\n" not in text.replace(b"\r\n", b"")


def test_an_unreadable_gitignore_writes_no_floe_yaml(dbt_project: Path) -> None:
    (dbt_project / ".gitignore").mkdir()  # not a file: it cannot be read
    done = CliRunner().invoke(
        cli,
        ["init", "--existing", "-d", str(dbt_project)],
        env={"DBT_PROFILES_DIR": str(dbt_project), "GIT_DIR": str(dbt_project / "no-git")},
    )
    assert done.exit_code == 2 and "cannot read .gitignore" in done.output, done.output
    assert "Traceback" not in done.output
    assert not (dbt_project / "floe.yaml").exists()  # so a second run is not refused
