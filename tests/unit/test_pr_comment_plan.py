"""A base-vs-head Plan in the pull-request comment: new findings first and old ones counted
and listed last, two-column tables, breaking changes naming their consumers (capped),
renames followed downstream, declared columns marked, and a plan far over GitHub's limit
that loses the old findings before any plan section."""

from __future__ import annotations

import re

import cmarkgfm
from cmarkgfm.cmark import Options

from floe_ci.app.templates import comment_template
from floe_ci.governance.result import CheckResult, CheckStats, Finding
from floe_ci.plan.changes import ColumnChange, ModelChange, Plan
from floe_ci.report.links import BlobLinks
from floe_ci.report.plan_sections import plan_headline, plan_sections
from floe_ci.report.pr_comment import GITHUB_COMMENT_LIMIT
from floe_ci.report.review_comment import render_review_comment, split_findings
from tests.unit.report_samples import sample_plan

SHA = "0123456789abcdef0123456789abcdef01234567"


def html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def _finding(i: int, severity: str = "warning") -> Finding:
    return Finding(
        rule_id="FLOE201",
        rule_name="unclassified-pii",
        severity=severity,  # type: ignore[arg-type]
        message=f"`m{i}.email` looks like personal data (email, from its name) "
        "but has no classification",
        hint="classify it",
        model=f"m{i}",
        column="email",
        file="models/x.yml",
        line=i + 1,
    )


def _result(findings: list[Finding]) -> CheckResult:
    return CheckResult(
        tool_version="0.1.0",
        pipeline="shop",
        config_file="floe.yaml",
        base_path="project",
        environments=["production"],
        fail_on="warning",
        stats=CheckStats(models=737, models_unresolved=6),
        findings=findings,
    )


def _with_new(plan: Plan, new: list[Finding]) -> Plan:
    return plan.model_copy(update={"policy": plan.policy.model_copy(update={"new_findings": new})})


def test_a_breaking_change_names_the_affected_models_and_cubes_in_two_columns() -> None:
    plan = sample_plan()
    headline = plan_headline(plan, new_findings=2, existing_findings=23)
    assert "**1 breaking**" in headline and "**1 declassification to review**" in headline
    assert headline.endswith("**2 new findings**, 23 findings existed before this change.")
    text = "\n".join(s.render() for s in plan_sections(plan))
    page = html(text)
    row = next(line for line in text.splitlines() if line.startswith("| `stg_orders` |"))
    assert row == (
        "| `stg_orders` | modified · 💥 breaking · sql"
        "<br>downstream: `orders`, `customers`<br>cubes: `orders` |"
    )
    assert "exposures" not in row  # absent rather than an empty cell
    assert (
        "| `stg_orders.amount` | removed · 💥 breaking"
        "<br>used by: `orders.amount`, `customers.lifetime_value` |"
    ) in text
    assert "| `stg_orders.status` | type changed: `varchar` → `integer` · 💥 breaking |" in text
    assert "| `stg_customers.email` | `pii` → `none` · removed · ⚠️ needs review" in text
    assert "->" not in text.split("```mermaid")[0]  # one arrow style (Mermaid has its own)
    assert page.count("<table>") == 4  # policy impact, models, columns, floe.yaml
    for header in re.findall(r"<thead>.*?</thead>", page, re.S):
        assert header.count("<th>") == 2


def test_downstream_lists_are_capped_and_renames_show_their_chain() -> None:
    many = [f"mart_{i:03d}" for i in range(406)]
    origin = ModelChange(
        name="stg_contact",
        node_id="model.p.stg_contact",
        kind="modified",
        category="breaking",
        reasons=["sql", "columns"],
        columns=[
            ColumnChange(
                column="email_address",
                kind="renamed",
                category="breaking",
                renamed_from="email",
                used_by=[f"{m}.email" for m in many],
                renamed_downstream=["int_contact.email_address", "contacts.email_address"],
            )
        ],
        downstream_models=many,
    )
    unresolved = ModelChange(
        name="py_model",
        node_id="model.p.py_model",
        kind="modified",
        category="non_breaking",
        reasons=["sql"],
        declared_columns=True,
    )
    text = "\n".join(
        s.render()
        for s in plan_sections(sample_plan().model_copy(update={"models": [origin, unresolved]}))
    )
    assert "downstream: `mart_000`, " in text and "`mart_009` and 396 more" in text
    assert "`mart_010`" not in text
    assert "used by: `mart_000.email`" in text and "`mart_009.email` and 396 more" in text
    assert (
        "| `stg_contact.email_address` | renamed from `email` · 💥 breaking"
        "<br>followed downstream: `int_contact.email_address`, `contacts.email_address`"
    ) in text
    assert (
        "| `py_model` | modified · non-breaking · sql<br>_declared columns: lineage unresolved_ |"
        in text
    )


def test_new_findings_come_first_in_full_and_old_ones_are_counted_and_listed_last() -> None:
    findings = [_finding(i) for i in range(25)] + [_finding(99, "error")]
    new = [findings[3], findings[-1]]
    plan = _with_new(sample_plan(), new)
    result = _result(findings)
    assert split_findings(result, plan) == (
        [findings[3], findings[-1]],
        findings[:3] + findings[4:25],
    )
    links = BlobLinks("octo/shop", SHA)
    text = render_review_comment(
        result, plan, "footer", template=comment_template(), links=links
    ).text
    lines = text.splitlines()
    assert lines[1].startswith("### ❌ floe-ci: failed: 1 error, 25 warnings")
    assert "**2 new findings**, 24 findings existed before this change." in text
    assert "737 models · lineage: 731 of 737 models" in text
    order = [
        text.index(t)
        for t in (
            "New findings (2)",
            "Policy impact",
            "Models changed",
            "24 findings existed before this change</b>",
            "What was checked",
        )
    ]
    assert order == sorted(order)
    new_part = text[text.index("New findings (2)") : text.index("Policy impact")]
    assert new_part.index(
        "FLOE201** unclassified-pii · [`project/models/x.yml:100`]"
    ) < new_part.index("`m3.email`")  # errors first
    assert f"(https://github.com/octo/shop/blob/{SHA}/project/models/x.yml#L4)" in new_part
    assert "<details open><summary><b>New findings (2)" in text
    assert "<details><summary><b>24 findings existed before this change" in text


def test_a_plan_far_over_the_limit_drops_old_findings_first_and_keeps_new_ones() -> None:
    findings = [_finding(i) for i in range(300)]
    plan = _with_new(sample_plan(models=3000, graph_lines=5000), findings[:40])
    rendered = render_review_comment(_result(findings), plan, "footer", template=comment_template())
    assert len(rendered.text) <= GITHUB_COMMENT_LIMIT
    assert rendered.dropped[:2] == [
        "260 findings existed before this change",
        "Lineage graph of the change",
    ]
    assert "Models changed (3000)" in rendered.dropped
    assert "New findings (40)" in rendered.text and rendered.text.count("- ⚠️ **FLOE201**") == 40
    assert "Policy impact" in rendered.text
    assert "**40 new findings**, 260 findings existed before this change." in rendered.text
    assert (
        "Cut to fit GitHub's 65,536-character comment limit: 260 findings existed" in rendered.text
    )


def test_a_review_without_new_findings_says_so() -> None:
    result = _result([_finding(1)])
    text = render_review_comment(result, sample_plan(), "f", template=comment_template()).text
    assert "New findings (0)" in text and "This change brings no new finding." in text
    assert "1 finding existed before this change" in text
