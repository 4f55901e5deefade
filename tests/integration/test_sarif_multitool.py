"""SARIF from a real check, validated by Microsoft's SARIF Multitool (spec + GitHub rules).

The JSON Schema test (tests/unit/test_report_sarif.py) checks the shape; the Multitool also
applies the SARIF spec's rules and GitHub code scanning's ingestion rules (`--rule-kind Gh`).
Installed by .ci/tools/sarif-multitool.sh.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from floe_ci.report.sarif import render_sarif
from tests.conftest import REPO_ROOT
from tests.integration.rules_support import EXAMPLE_FINDINGS, ParsedProject, parsed_example

MULTITOOL = REPO_ROOT / ".tools" / "sarif-multitool" / "package" / "Sarif.Multitool"


@pytest.fixture(scope="module")
def findings_project(tmp_path_factory: pytest.TempPathFactory) -> ParsedProject:
    return parsed_example(EXAMPLE_FINDINGS, tmp_path_factory)


def multitool_problems(sarif: Path, out: Path) -> list[dict[str, object]]:
    assert MULTITOOL.is_file(), f"{MULTITOOL} missing: run `bash .ci/tools/sarif-multitool.sh`"
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    completed = subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            str(sarif),
            "--output",
            str(out),
            "--rule-kind",
            "Sarif;Gh",
            "--level",
            "Error;Warning",
            "--log",
            "ForceOverwrite",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.is_file(), completed.stdout + completed.stderr
    results: list[dict[str, object]] = json.loads(out.read_text())["runs"][0]["results"]
    return results


def test_real_check_sarif_passes_the_multitool(
    findings_project: ParsedProject, tmp_path: Path
) -> None:
    # As in a repository: paths relative to the root, the example in its folder.
    result = findings_project.result.model_copy(update={"base_path": "examples/shop-findings"})
    assert len(result.findings) > 10
    sarif = tmp_path / "floe.sarif"
    sarif.write_text(render_sarif(result))
    assert multitool_problems(sarif, tmp_path / "validation.sarif") == []


def test_the_multitool_rejects_a_broken_log(tmp_path: Path) -> None:
    sarif = tmp_path / "broken.sarif"
    sarif.write_text(json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}))
    assert multitool_problems(sarif, tmp_path / "validation.sarif") != []
