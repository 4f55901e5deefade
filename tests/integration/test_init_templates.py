"""Every `floe-ci init` template validates, compiles, and passes a real `dbt build` on DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_ci.cli.main import cli
from floe_ci.cli.spec_cmds import TEMPLATES

pytestmark = pytest.mark.integration

DBT = str(Path(sys.executable).parent / "dbt")


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_validates_compiles_and_builds(
    tmp_path: Path, template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    created = runner.invoke(cli, ["init", "demo-app", "--template", template])
    assert created.exit_code == 0, created.output
    project = tmp_path / "demo-app"
    first_line = (project / "floe.yaml").read_text().splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    assert oct(project.stat().st_mode & 0o777) != oct(0o700)

    monkeypatch.chdir(project)
    assert runner.invoke(cli, ["validate"]).exit_code == 0
    compiled = runner.invoke(cli, ["compile"])
    assert compiled.exit_code == 0, compiled.output
    artifacts = json.loads((project / ".floe" / "artifacts.json").read_text())
    assert artifacts["metadata"]["pipeline_name"] == "demo-app"
    assert artifacts["column_classifications"], "templates ship classified columns"
    assert artifacts["findings"] == []

    build = subprocess.run(
        [DBT, "build", "--no-version-check"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "DO_NOT_TRACK": "1"},
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:]
    assert "ERROR=0" in build.stdout


def test_init_never_touches_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["init", "taken", "--directory", str(target)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".taken")]


def test_init_rejects_bad_names(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", "Bad Name", "-d", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "invalid project name" in result.output
    assert not (tmp_path / "x").exists()
