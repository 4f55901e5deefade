"""A base-vs-head Plan in the pull-request comment: breaking changes name their consumers,
declassifications are flagged, and a plan far over GitHub's limit keeps its policy verdicts."""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options

from floe_ci.app.templates import comment_template
from floe_ci.governance.result import CheckResult, CheckStats, Finding
from floe_ci.report.check_sections import sections_for_check
from floe_ci.report.plan_sections import plan_headline, plan_sections
from floe_ci.report.pr_comment import GITHUB_COMMENT_LIMIT
from floe_ci.report.review_comment import render_review_comment
from tests.unit.report_samples import sample_plan


def _result(findings: int) -> CheckResult:
    return CheckResult(
        tool_version="0.1.0",
        pipeline="shop",
        config_file="floe.yaml",
        environments=["production"],
        fail_on="warning",
        stats=CheckStats(models=5000),
        findings=[
            Finding(
                rule_id="FLOE501",
                rule_name="declassification",
                severity="warning",
                message=f"`m{i}.email` is no longer classified (was `pii`)",
                model=f"m{i}",
                column="email",
                file="models/x.yml",
                line=i + 1,
            )
            for i in range(findings)
        ],
    )


def test_a_breaking_change_names_the_affected_models_and_cubes() -> None:
    plan = sample_plan()
    assert "**1 breaking**" in plan_headline(plan)
    assert "**1 declassification(s) to review**" in plan_headline(plan)
    text = "\n".join(s.render() for s in plan_sections(plan))
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    row = next(line for line in text.splitlines() if line.startswith("| `stg_orders` |"))
    assert "💥 breaking" in row and "`orders`, `customers`" in row and row.endswith("| `orders` |")
    assert "| `stg_orders.amount` | removed | 💥 breaking |" in text
    assert "`orders.amount`, `customers.lifetime_value`" in text
    assert "`varchar` → `integer`" in text
    assert "`stg_customers.email` | `pii` → `none` | removed | ⚠️ needs review" in text
    assert '<code class="language-mermaid">' in html or "mermaid" in html
    assert html.count("<table>") == 4  # policy impact, models, columns, floe.yaml


def test_a_plan_far_over_the_limit_drops_the_graph_first_and_keeps_policy_verdicts() -> None:
    plan = sample_plan(models=3000, graph_lines=5000)
    result = _result(40)
    sections = [
        sections_for_check(result)[0],
        *plan_sections(plan),
        *sections_for_check(result)[1:],
    ]
    assert sum(len(s.render()) for s in sections) > 3 * GITHUB_COMMENT_LIMIT
    rendered = render_review_comment(result, plan, "footer", template=comment_template())
    assert len(rendered.text) <= GITHUB_COMMENT_LIMIT
    assert rendered.dropped[0] == "Lineage graph of the change"
    assert "Models changed (3000)" in rendered.dropped
    assert "Policy verdicts (40)" in rendered.text and rendered.text.count("| ⚠️ warning |") == 40
    assert "Policy impact" in rendered.text
    assert (
        "Cut to fit GitHub's 65,536-character comment limit: Lineage graph of the change"
        in rendered.text
    )
