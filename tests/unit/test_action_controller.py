"""The action's controller (floe_ci.app.action) and its thin command, without dbt or GitHub:
what it delegates, what the second stage writes, how a broken floe.yaml is annotated."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_ci.app.action import Delegate, review_base, run_action
from floe_ci.cli.main import cli
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.github.checks import conclusion
from floe_ci.integrations.github.comment import post_comment
from floe_ci.integrations.github.event import EventContext
from floe_ci.integrations.github.runner import Step
from floe_ci.report.pr_comment import GITHUB_COMMENT_LIMIT
from tests.conftest import EXAMPLE_SHOP, REPO_ROOT
from tests.e2e.test_action_entry import parse_outputs

TOKEN = "ghs_unitTokenValue123"


@pytest.fixture
def runner_files(tmp_path: Path) -> dict[str, str]:
    """The environment of a step in Actions: a workspace, its output and summary files."""
    (tmp_path / "output").touch()
    (tmp_path / "summary").touch()
    return {
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "INPUT_GITHUB-TOKEN": TOKEN,
    }


def test_another_command_is_handed_back_after_the_masks(runner_files: dict[str, str]) -> None:
    log = io.StringIO()
    env = {**runner_files, "INPUT_COMMAND": "validate", "INPUT_WORKING-DIRECTORY": "shop"}
    outcome = run_action(env, log, ["action", "check", "validate"])
    config = Path(runner_files["GITHUB_WORKSPACE"]).resolve() / "shop" / "floe.yaml"
    assert outcome == Delegate(("validate", "--config", str(config)))
    assert log.getvalue() == f"::add-mask::{TOKEN}\n"


def test_a_command_the_cli_does_not_name_is_refused() -> None:
    with pytest.raises(FloeUsageError, match="`validate` is not one of check, comment"):
        run_action({"INPUT_COMMAND": "validate"}, io.StringIO())


def test_the_second_stage_without_a_pull_request_warns_and_keeps_the_comment_in_the_summary(
    runner_files: dict[str, str],
) -> None:
    from floe_ci.report.json_report import render_json
    from tests.unit.report_samples import sample_plan, sample_result

    artifact = Path(runner_files["GITHUB_WORKSPACE"]) / "floe-pr"
    artifact.mkdir()
    (artifact / "report.json").write_text(render_json(sample_result(), sample_plan()))
    (artifact / "comment.md").write_text("x" * (GITHUB_COMMENT_LIMIT + 5))  # never read
    (artifact / "verdict").write_text("forged\n")
    env = {**runner_files, "INPUT_COMMAND": "comment", "INPUT_WORKING-DIRECTORY": "floe-pr"}
    log = io.StringIO()
    assert run_action({**env, "GITHUB_EVENT_NAME": "push"}, log) == 0
    assert log.getvalue().splitlines()[1] == (
        "::warning::no pull request number in the event or the artifact: no comment posted"
    )
    summary = Path(runner_files["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("<!-- floe-ci") and "x" * 100 not in summary
    outputs = parse_outputs(Path(runner_files["GITHUB_OUTPUT"]).read_text())
    assert outputs == {"verdict": "failed", "comment-url": "", "artifacts-path": "floe-pr"}


def test_a_broken_floe_yaml_is_annotated_on_its_line_and_raised(
    runner_files: dict[str, str],
) -> None:
    shop = Path(runner_files["GITHUB_WORKSPACE"]) / "shop"
    shop.mkdir()
    (shop / "floe.yaml").write_text("name: shop\nconsumtion: {}\n")
    log = io.StringIO()
    env = {**runner_files, "INPUT_WORKING-DIRECTORY": "shop"}
    with pytest.raises(FloeUsageError):
        run_action(env, log)
    assert any(
        line.startswith("::error file=shop/floe.yaml,line=2,col=1::unknown key `consumtion`")
        for line in log.getvalue().splitlines()
    )
    assert "configuration error" in Path(runner_files["GITHUB_STEP_SUMMARY"]).read_text()
    outputs = parse_outputs(Path(runner_files["GITHUB_OUTPUT"]).read_text())
    assert outputs["verdict"] == "error" and int(outputs["findings-count"]) >= 2


def test_no_token_means_a_warning_and_no_request() -> None:
    log = io.StringIO()
    event = EventContext("pull_request", "o/r", 7, "abc")
    assert post_comment(Step(log), "", {}, event, "body") == ""
    assert log.getvalue() == (
        "::warning::no github-token: the verdict is in the job summary only\n"
    )


def test_the_command_runs_the_delegated_command_on_its_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith(("INPUT_", "GITHUB_")):
            monkeypatch.delenv(name)
    env = {
        "GITHUB_WORKSPACE": str(REPO_ROOT),
        "INPUT_COMMAND": "validate",
        "INPUT_WORKING-DIRECTORY": str(EXAMPLE_SHOP.relative_to(REPO_ROOT)),
    }
    done = CliRunner().invoke(cli, ["action"], env=env)
    assert done.exit_code == 0, done.output
    assert "is valid: pipeline `shop`" in done.output
    done = CliRunner().invoke(cli, ["action"], env={**env, "INPUT_CONFIG": "missing.yaml"})
    assert done.exit_code == 2, done.output


def test_only_a_pull_request_event_with_a_base_commit_is_reviewed_by_default(
    tmp_path: Path,
) -> None:
    log = io.StringIO()
    push = EventContext("push", "o/r", None, "abc")
    assert review_base(tmp_path, push, TOKEN, {}, Step(log)) == ""
    no_base = EventContext("pull_request", "o/r", 7, "abc")  # a payload without base.sha
    assert review_base(tmp_path, no_base, TOKEN, {}, Step(log)) == ""
    # A pull request outside a git checkout: the fix is named, nothing is silently skipped.
    event = EventContext("pull_request_target", "o/r", 7, "abc", base_sha="a" * 40)
    with pytest.raises(FloeUsageError, match="not a git checkout") as caught:
        review_base(tmp_path, event, TOKEN, {}, Step(log))
    assert "fetch-depth: 0" in str(caught.value)
    assert log.getvalue() == ""


def test_the_check_runs_conclusion_is_the_verdict() -> None:
    from floe_ci.governance.result import CheckResult, Finding

    def result(severity: str | None, fail_on: str = "error") -> CheckResult:
        findings = []
        if severity is not None:
            findings.append(
                Finding.model_validate(
                    {"rule_id": "FLOE101", "rule_name": "x", "severity": severity, "message": "m"}
                )
            )
        # Only the findings and the threshold decide a verdict.
        fields: dict[str, object] = {"fail_on": fail_on, "findings": findings}
        return CheckResult.model_construct(**fields)  # type: ignore[arg-type]

    assert conclusion(result(None)) == "success"
    assert conclusion(result("warning")) == "neutral"
    assert conclusion(result("error")) == "failure"
    assert conclusion(result("error", fail_on="never")) == "neutral"
