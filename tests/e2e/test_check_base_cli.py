"""`floe-ci check --base REF`: the pull-request review, locally, as CI posts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_ci.cli.main import cli
from tests.conftest import copy_example
from tests.git_support import git

pytestmark = pytest.mark.e2e

CLASSIFIED_CARD = "        meta:\n          floe: {classification: financial, sensitivity: high}\n"


@pytest.fixture
def pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose main has the example, and a working tree that declassifies."""
    git(tmp_path, "init", "-q", "-b", "main")
    project = copy_example(tmp_path / "shop")
    (tmp_path / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    # stg_orders.card_last4 loses its classification, and nothing else changes.
    staging = project / "models" / "staging" / "_staging.yml"
    staging.write_text(staging.read_text().replace(CLASSIFIED_CARD, "", 1))
    monkeypatch.chdir(tmp_path)
    return project


def test_declassification_fails_at_warning_and_prints_the_comment(pull_request: Path) -> None:
    runner = CliRunner()
    passed = runner.invoke(cli, ["check", "-c", "shop/floe.yaml", "--base", "main"])
    assert passed.exit_code == 0, passed.output  # a warning does not fail at --fail-on error
    assert "FLOE501" in passed.output

    failed = runner.invoke(
        cli,
        [
            "check",
            "-c",
            "shop/floe.yaml",
            "--base",
            "main",
            "--fail-on",
            "warning",
            "--format",
            "markdown",
        ],
    )
    assert failed.exit_code == 1, failed.output
    text = failed.output
    assert "<!-- floe-ci:sticky -->" in text
    assert "card_last4" in text
    assert "declassification" in text.lower()
    assert "<details>" in text


def test_same_comment_as_the_action_renders(pull_request: Path) -> None:
    """The local Markdown is the comment text the action posts (footer aside)."""
    from floe_ci import __version__
    from floe_ci.app.review import review_pull_request
    from floe_ci.app.templates import comment_template
    from floe_ci.governance.evaluate import CheckOptions
    from floe_ci.report.review_comment import render_review_comment

    result, plan = review_pull_request(
        Path("shop/floe.yaml"), "main", CheckOptions(config_file="shop/floe.yaml")
    )
    expected = render_review_comment(
        result, plan, f"floe-ci {__version__}", template=comment_template()
    ).text
    printed = CliRunner().invoke(
        cli, ["check", "-c", "shop/floe.yaml", "--base", "main", "--format", "markdown"]
    )
    assert printed.output == expected


def test_unknown_base_is_a_usage_error(pull_request: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "-c", "shop/floe.yaml", "--base", "nope"])
    assert result.exit_code == 2
    assert "`nope` is not a commit" in result.output


def test_json_carries_the_plan_and_validates_and_console_prints_it(
    pull_request: Path, tmp_path: Path
) -> None:
    """One real review run, three formats: the JSON report (against its published schema),
    SARIF with the review finding, and the console report with the plan."""
    import json

    import jsonschema

    from floe_ci.governance.result import CheckResult
    from floe_ci.plan.changes import Plan
    from tests.conftest import REPO_ROOT

    report_file, sarif_file = tmp_path / "report.json", tmp_path / "report.sarif"
    printed = CliRunner().invoke(
        cli,
        [
            "check",
            "-c",
            "shop/floe.yaml",
            "--base",
            "main",
            "--format",
            f"json={report_file}",
            "--format",
            f"sarif={sarif_file}",
            "--format",
            "console",
            "--no-color",
        ],
    )
    assert printed.exit_code == 0, printed.output

    report = json.loads(report_file.read_text())
    schema = json.loads((REPO_ROOT / "schemas" / "check-report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    result_keys = {"$schema", *CheckResult.model_fields, "summary", "passed"}
    assert set(report) == result_keys | {"plan"} and list(report)[-1] == "plan"
    plan = Plan.model_validate(report["plan"])
    assert plan.base_ref.startswith("main (") and plan.head_ref == "working tree"
    [change] = plan.policy.classifications
    assert (change.model, change.column, change.before, change.after) == (
        "stg_orders",
        "card_last4",
        "financial",
        None,
    )
    assert change.needs_review
    assert [f.rule_id for f in plan.review_findings] == ["FLOE501"]
    assert "FLOE501" in {f["rule_id"] for f in report["findings"]}

    results = json.loads(sarif_file.read_text())["runs"][0]["results"]
    [declassified] = [r for r in results if r["ruleId"] == "FLOE501"]
    location = declassified["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "shop/models/staging/_staging.yml"

    text = printed.stdout
    assert "\nplan · main (" in text and "1 declassification to review" in text
    assert "policy impact\n  ~ stg_orders.card_last4  financial → none  removed" in text
    assert "review findings (1)\n  ! warning  FLOE501 declassification" in text
    assert text.rstrip().splitlines()[-1].startswith("✓ passed with findings")
