"""A base-vs-head Plan in the pull-request comment: breaking changes name their consumers,
declassifications are flagged, and a plan far over GitHub's limit keeps its policy verdicts."""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options

from floe_ci.app.templates import comment_template
from floe_ci.governance.result import CheckResult, CheckStats, Finding
from floe_ci.plan.changes import (
    ClassificationChange,
    ColumnChange,
    ConfigChange,
    LineageChange,
    ModelChange,
    Plan,
    PolicyImpact,
)
from floe_ci.report.check_sections import sections_for_check
from floe_ci.report.plan_sections import plan_headline, plan_sections
from floe_ci.report.pr_comment import GITHUB_COMMENT_LIMIT
from floe_ci.report.review_comment import render_review_comment


def _plan(models: int = 1, graph_lines: int = 3) -> Plan:
    dropped = ModelChange(
        name="stg_orders",
        node_id="model.shop.stg_orders",
        kind="modified",
        category="breaking",
        reasons=["sql"],
        columns=[
            ColumnChange(
                column="amount",
                kind="removed",
                category="breaking",
                used_by=["orders.amount", "customers.lifetime_value"],
            ),
            ColumnChange(
                column="status",
                kind="type_changed",
                category="breaking",
                before_type="varchar",
                after_type="integer",
            ),
        ],
        downstream_models=["orders", "customers"],
        affected_cubes=["orders"],
    )
    filler = [
        ModelChange(
            name=f"m_{i:05d}",
            node_id=f"model.shop.m_{i:05d}",
            kind="added",
            category="non_breaking",
        )
        for i in range(models - 1)
    ]
    return Plan(
        base_ref="origin/main (abc123)",
        head_ref="HEAD",
        config=[ConfigChange(path="deploy.namespace", kind="modified", before="a", after="b")],
        models=[dropped, *filler],
        lineage=LineageChange(
            nodes_added=["model.shop.m_00000"],
            mermaid="graph LR\n" + "\n".join(f"  n{i} --> n{i + 1}" for i in range(graph_lines)),
        ),
        policy=PolicyImpact(
            classifications=[
                ClassificationChange(
                    model="stg_customers",
                    column="email",
                    before="pii",
                    after=None,
                    direction="removed",
                    needs_review=True,
                    effective_before={"production": "restrict"},
                    effective_after={"production": "none"},
                )
            ]
        ),
    )


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
    plan = _plan()
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
    plan = _plan(models=3000, graph_lines=5000)
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
