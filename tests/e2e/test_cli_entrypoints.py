"""The installed `floe-ci` and `floe` commands, driven as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from floe_ci import __version__
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
HEAVY = ("dbt", "dagster", "dagster_dbt", "pyiceberg", "github", "sqlglot", "openlineage")


def run(
    *args: str, cwd: Path | None = None, command: str = "floe-ci"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "DO_NOT_TRACK": "1"},
        timeout=300,
    )


@pytest.mark.parametrize("command", ["floe-ci", "floe"])
def test_version_and_help(command: str) -> None:
    version = run("--version", command=command)
    assert version.returncode == 0
    assert __version__ in version.stdout
    helped = run("--help", command=command)
    assert helped.returncode == 0
    for name in (
        "validate",
        "compile",
        "init",
        "schema",
        "check",
        "rules",
        "run",
        "dev",
        "test",
        "deploy",
        "action",
    ):
        assert name in helped.stdout


@pytest.mark.parametrize(
    "sub",
    [
        ["validate"],
        ["compile"],
        ["init"],
        ["schema"],
        ["schema", "export"],
        ["check"],
        ["rules"],
        ["run"],
        ["dev"],
        ["test"],
        ["deploy"],
        ["action"],
    ],
)
def test_every_command_explains_itself_with_an_example(sub: list[str]) -> None:
    result = run(*sub, "--help")
    assert result.returncode == 0
    assert "Example" in result.stdout


def test_start_up_imports_no_heavy_library() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import floe_ci.cli.main"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_a_plain_check_does_not_import_the_review_plan() -> None:
    """The plan's models (floe_ci.plan) cost ~40 ms to import: only `check --base` needs them."""
    code = (
        "import sys, floe_ci.app.check, floe_ci.report.json_report, floe_ci.report.formats;"
        "print(sorted(m for m in sys.modules if m.startswith('floe_ci.plan')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_readme_example_job(tmp_path: Path) -> None:
    """The README's first command, minus set-up: validate and compile the example."""
    import shutil

    from tests.conftest import copy_example

    project = copy_example(tmp_path / "shop")
    valid = run("validate", "--config", "shop/floe.yaml", cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith("✓ shop/floe.yaml is valid")
    compiled = run("compile", "--config", "shop/floe.yaml", cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    assert "-> shop/.floe/artifacts.json" in compiled.stdout
    artifacts = json.loads((project / ".floe" / "artifacts.json").read_text())
    assert artifacts["metadata"]["pipeline_name"] == "shop"
    shutil.rmtree(project / ".floe")
    printed = run("compile", "-c", "shop/floe.yaml", "-o", "-", cwd=tmp_path)
    assert (
        json.loads(printed.stdout)["column_classifications"] == artifacts["column_classifications"]
    )


BAD_INPUTS = {
    "unknown-key": (b"name: x\ncompute: {target: duckdb}\nconsumtion: {}\n", r"floe.yaml:3:1: "),
    "malformed": (b"name: x\ncompute: [\n", r"floe.yaml:3:1: "),
    "duplicate": (b"name: x\nname: y\ncompute: {target: duckdb}\n", r"floe.yaml:2:1: "),
    "bomb": (
        b"a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + b"".join(
            f"{n}: &{n} [{','.join([f'*{p}'] * 10)}]\n".encode()
            for p, n in zip("abcdef", "bcdefg", strict=True)
        ),
        r"floe.yaml:\d+:\d+: ",
    ),
    "non-utf8": (b"name: \xff\xfe\n", r"floe.yaml:1:7: "),
    "empty": (b"", r"floe.yaml:1:1: "),
    "huge": (b"name: x\n" + b"#" * (3 * 1024 * 1024) + b"\n", r"floe.yaml:1:1: "),
    "secret": (
        b"name: x\ncompute:\n  target: postgres\n  properties: {password: hunter2}\n",
        r"floe.yaml:4:16: ",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("command", ["validate", "compile"])
def test_bad_input_exits_2_with_a_located_message(tmp_path: Path, case: str, command: str) -> None:
    content, location = BAD_INPUTS[case]
    (tmp_path / "floe.yaml").write_bytes(content)
    result = run(command, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert re.match(location + "error: ", result.stderr), result.stderr
    assert len(result.stderr.splitlines()) <= 24, "one screen"
    assert "hunter2" not in result.stderr + result.stdout
    assert not (tmp_path / ".floe" / "artifacts.json").exists()


def test_missing_config_is_a_usage_error(tmp_path: Path) -> None:
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 2
    assert "floe.yaml: error: file not found" in result.stderr


def test_schema_export_writes_the_checked_in_schema(tmp_path: Path) -> None:
    out = tmp_path / "floe.schema.json"
    result = run("schema", "export", "--type", "floespec", "--output", str(out))
    assert result.returncode == 0
    assert out.read_text() == (REPO_ROOT / "schemas" / "floe.schema.json").read_text()
