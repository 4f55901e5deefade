"""One format dispatch for findings and the Plan: `render(result, fmt, plan)` per --format.

After `check --base`, app/review folds the plan's review findings into the result; these
tests render such a pair, as the CLI does, and check what each format makes of the plan."""

from __future__ import annotations

import json

import pytest

from floe_ci.app.templates import comment_template
from floe_ci.governance.result import CheckResult
from floe_ci.plan.changes import Plan
from floe_ci.report.console import render_console
from floe_ci.report.formats import FORMATS, render
from floe_ci.report.json_report import render_json
from floe_ci.report.markdown import render_markdown
from floe_ci.report.review_comment import render_review_comment
from floe_ci.report.sarif import render_sarif
from tests.unit.report_samples import DECLASSIFIED, review_plan, sample_result


@pytest.fixture
def review() -> tuple[CheckResult, Plan]:
    return sample_result([DECLASSIFIED]), review_plan()


def test_without_a_plan_every_format_is_the_plain_renderer() -> None:
    result = sample_result()
    assert render(result, "console") == render_console(result)
    assert render(result, "json") == render_json(result)
    assert render(result, "markdown") == render_markdown(result)
    assert render(result, "sarif") == render_sarif(result)
    for fmt in FORMATS:
        assert render(result, fmt) == render(result, fmt, None, comment_template=None)


def test_console_and_json_show_the_plan(review: tuple[CheckResult, Plan]) -> None:
    result, plan = review
    assert render(result, "console", plan) == render_console(result, plan)
    assert "plan · origin/main (abc123) → HEAD" in render(result, "console", plan)
    assert json.loads(render(result, "json", plan))["plan"]["base_ref"] == plan.base_ref


def test_markdown_with_a_plan_is_the_pull_request_comment(
    review: tuple[CheckResult, Plan],
) -> None:
    result, plan = review
    text = render(result, "markdown", plan, comment_template=comment_template())
    expected = render_review_comment(
        result, plan, f"floe-ci {result.tool_version}", template=comment_template()
    ).text
    assert text == expected
    assert "Policy impact" in text and "Models changed (2)" in text
    other_footer = render(
        result, "markdown", plan, comment_template=comment_template(), footer="run 7"
    )
    assert "run 7" in other_footer and f"floe-ci {result.tool_version}" not in other_footer
    with pytest.raises(ValueError, match="needs its template"):
        render(result, "markdown", plan)


def test_sarif_and_annotations_carry_the_review_findings(
    review: tuple[CheckResult, Plan],
) -> None:
    result, plan = review
    log = json.loads(render(result, "sarif", plan))
    [declassified] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "FLOE501"]
    assert declassified["level"] == "warning"
    assert declassified["message"]["text"].startswith("`stg_customers.email` is no longer")
    location = declassified["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == (
        "examples/shop/models/staging/_staging.yml"
    )
    assert location["physicalLocation"]["region"]["startLine"] == 12
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "stg_customers.email"
    annotations = render(result, "github", plan)
    assert "::warning file=examples/shop/models/staging/_staging.yml,line=12," in annotations
    assert "FLOE501" in annotations


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render(sample_result(), "xml")
