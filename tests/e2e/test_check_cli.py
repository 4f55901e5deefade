"""`floe-ci check` and `floe-ci rules` through the installed command, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO_ROOT, copy_example

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
FINDINGS = REPO_ROOT / "examples" / "shop-findings"
SHOP = REPO_ROOT / "examples" / "shop"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [str(BIN / "floe-ci"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A parsed copy of examples/shop-findings (the first check parses it)."""
    project = copy_example(tmp_path_factory.mktemp("e2e") / "shop-findings", FINDINGS)
    run("check", "-c", str(project / "floe.yaml"), "--fail-on", "never")
    return project


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_example(tmp_path_factory.mktemp("e2e") / "shop", SHOP)
    run("check", "-c", str(project / "floe.yaml"), "--fail-on", "never")
    return project


def test_clean_project_exits_0_even_on_warnings(clean: Path) -> None:
    result = run("check", "-c", str(clean / "floe.yaml"), "--fail-on", "warning")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ passed: no findings (fail-on warning)" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_findings_exit_1_with_the_report_on_stdout(findings: Path) -> None:
    result = run("check", "-c", str(findings / "floe.yaml"))
    assert result.returncode == 1
    assert "model customer_contacts" in result.stdout
    assert "path: stg_customers.email -> customer_contacts.contact_email" in result.stdout
    assert "waived: the domain alone identifies nobody" in result.stdout
    assert "Traceback" not in result.stderr


def test_fail_on_thresholds(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop", SHOP)
    config = project / "floe.yaml"
    # One warning only: a Cube selection that selects nothing (FLOE402).
    config.write_text(
        config.read_text().replace("models: [customers, orders]", "models: [customers, tag:x]")
    )
    assert run("check", "-c", str(config), "--fail-on", "error").returncode == 0
    assert run("check", "-c", str(config), "--fail-on", "warning").returncode == 1
    assert run("check", "-c", str(config), "--fail-on", "never").returncode == 0


def test_several_formats_to_files_in_both_syntaxes(findings: Path, tmp_path: Path) -> None:
    sarif, report, summary = tmp_path / "r.sarif", tmp_path / "r.json", tmp_path / "summary.md"
    result = run(
        "check",
        "-c",
        str(findings / "floe.yaml"),
        "--format",
        "sarif",
        "--output",
        str(sarif),
        "--format",
        f"json={report}",
        "-f",
        "markdown",
        "-o",
        str(summary),
        "--format",
        "github",
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    data = json.loads(report.read_text())
    assert data["passed"] is False and data["summary"]["waived"] == 1
    assert summary.read_text().startswith("## ❌ floe-ci check: failed")
    annotations = result.stdout.splitlines()
    assert annotations and all(line.startswith("::") for line in annotations)
    assert "wrote the sarif report to" in result.stderr


def test_json_to_stdout_is_parseable(findings: Path) -> None:
    result = run(
        "check", "-c", str(findings / "floe.yaml"), "--format", "json", "--env", "production"
    )
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["environments"] == ["production"]
    assert {f["rule_id"] for f in data["findings"]} >= {"FLOE101", "FLOE301", "FLOE401"}
    schema = json.loads((REPO_ROOT / "schemas" / "check-report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert "plan" not in data  # only `check --base` has a plan


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "unknown format `xml`"),
        (["--format", "json", "--format", "sarif"], "would both print to standard output"),
        (["--output", "x.json"], "put --output after the --format it writes"),
        (["--format", "json=a.json", "--output", "b.json"], "already names its file"),
        (["--fail-on", "sometimes"], "Invalid value for '--fail-on'"),
    ],
)
def test_usage_errors_exit_2(findings: Path, args: list[str], message: str) -> None:
    result = run("check", "-c", str(findings / "floe.yaml"), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_exits_2_with_a_located_message(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop", SHOP)
    config = project / "floe.yaml"
    config.write_text(
        config.read_text().replace("    pii:\n", "    pii:\n      prodution: {action: mask}\n", 1)
    )
    result = run("check", "-c", str(config))
    assert result.returncode == 2
    assert "floe.yaml:" in result.stderr and "prodution" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_exits_2(tmp_path: Path) -> None:
    result = run("check", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "file not found" in result.stderr


def test_rules_lists_and_explains() -> None:
    listing = run("rules")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert len(lines) >= 14 and lines[0].startswith("FLOE101  unpoliced-classification")
    explained = run("rules", "unclassified-pii")
    assert explained.returncode == 0
    assert explained.stdout.startswith("FLOE201 unclassified-pii (warning)")
    assert "governance.pii_detection" in explained.stdout
    unknown = run("rules", "FLOE999")
    assert unknown.returncode == 2 and "no rule `FLOE999`" in unknown.stderr


def test_help_explains_formats_and_outputs() -> None:
    result = run("check", "--help")
    assert result.returncode == 0
    for text in ("FMT[=FILE]", "--output FILE", "Exit codes", "Example"):
        assert text in result.stdout


@pytest.mark.parametrize("template", ["basic", "dbt-only", "full"])
def test_a_new_project_passes_the_check(template: str, tmp_path: Path) -> None:
    created = run("init", "demo", "--template", template, "-d", str(tmp_path / "demo"))
    assert created.returncode == 0, created.stderr
    result = run("check", "-c", str(tmp_path / "demo" / "floe.yaml"), "--fail-on", "warning")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed: no findings" in result.stdout
