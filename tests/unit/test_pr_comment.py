"""The pull-request comment: GitHub Markdown (rendered with cmarkgfm, GitHub's renderer),
the sticky marker, and the 65,536-character cap that drops detail in a fixed order."""

from __future__ import annotations

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from floe_ci.app.templates import comment_template
from floe_ci.governance.result import CheckResult, CheckStats, Finding
from floe_ci.report.check_sections import headline_for_check, sections_for_check
from floe_ci.report.markdown_text import inline_cell
from floe_ci.report.pr_comment import (
    DROP_ORDER,
    GITHUB_COMMENT_LIMIT,
    STICKY_MARKER,
    CommentSection,
    render_comment,
)


def html(markdown: str) -> str:
    # UNSAFE keeps <details> as GitHub does (GitHub then sanitizes, allowing details/summary).
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def table(rows: int, width: int = 60) -> str:
    lines = ["| # | what |", "| --- | --- |"]
    lines += [f"| {i} | {'x' * width} |" for i in range(rows)]
    return "\n".join(lines)


def finding(i: int, severity: str = "error") -> Finding:
    return Finding(
        rule_id="FLOE101",
        rule_name="unpoliced-classification",
        severity=severity,  # type: ignore[arg-type]
        message=f"`m{i}.email` is classified `pii`, but floe.yaml has no policy `pii`",
        hint="add `governance.policies.pii` to floe.yaml",
        model=f"m{i}",
        column="email",
        file="models/_models.yml",
        line=i + 1,
    )


def result_with(findings: list[Finding]) -> CheckResult:
    return CheckResult(
        tool_version="0.1.0",
        pipeline="shop",
        config_file="floe.yaml",
        environments=["production", "non_production"],
        fail_on="warning",
        stats=CheckStats(models=len(findings), classified_columns=len(findings)),
        findings=findings,
    )


def test_a_small_comment_is_complete_valid_gfm_with_the_marker_first() -> None:
    result = result_with([finding(1), finding(2, "warning")])
    rendered = render_comment(
        headline_for_check(result),
        sections_for_check(result),
        "floe-ci 0.1.0",
        template=comment_template(),
    )
    assert rendered.complete
    assert rendered.text.splitlines()[0] == STICKY_MARKER
    page = html(rendered.text)
    assert "<h3>❌ floe-ci: failed: 1 error, 1 warning" in page
    assert page.count("<details") == 2  # policy verdicts, what was checked
    assert "<details open><summary><b>Policy verdicts (2)</b></summary>" in page
    assert page.count("<table>") == 1  # the stats; findings are a list, which wraps
    items = page.split("<li>")[1:]
    assert len(items) == 2 and items[0].startswith("❌ <strong>FLOE101</strong>")
    assert items[1].startswith("⚠️ <strong>FLOE101</strong>")  # errors before warnings
    assert "<code>models/_models.yml:2</code>" in items[0]  # no links without BlobLinks
    assert "2 models · lineage: 2 of 2 models · 2 classified columns" in page
    assert "<!-- floe-ci:sticky -->" in page  # the marker stays an invisible HTML comment


def test_an_oversized_report_drops_the_lineage_graph_first_and_keeps_policy_verdicts() -> None:
    sections = [
        CommentSection("model-changes", "Model changes", table(300)),  # ~21 KB
        CommentSection("column-changes", "Column changes", table(700)),  # ~49 KB
        CommentSection(
            "lineage-graph", "Lineage graph", "```mermaid\n" + "a-->b\n" * 30_000 + "```"
        ),
        CommentSection("policy-verdicts", "Policy verdicts (200)", table(200), open=True),
    ]
    assert sum(len(s.body) for s in sections) > 3 * GITHUB_COMMENT_LIMIT
    rendered = render_comment(
        "### ❌ floe-ci: failed", sections, "footer", template=comment_template()
    )
    assert len(rendered.text) <= GITHUB_COMMENT_LIMIT
    assert rendered.dropped == ["Lineage graph", "Column changes"]
    assert rendered.lines_cut == 0
    assert "Policy verdicts (200)" in rendered.text and table(200) in rendered.text
    assert "Model changes" in rendered.text  # dropped only as far as needed
    assert (
        "Cut to fit GitHub's 65,536-character comment limit: Lineage graph, Column changes"
        in rendered.text
    )
    assert "job summary" in rendered.text
    page = html(rendered.text)
    assert page.count("<table>") == 2 and "mermaid" not in page


def test_policy_verdicts_alone_over_the_limit_keep_their_header_and_say_how_much_was_cut() -> None:
    sections = [
        CommentSection("stats", "What was checked", "models: 5000"),
        CommentSection("policy-verdicts", "Policy verdicts (3000)", table(3000), open=True),
    ]
    rendered = render_comment(
        "### ❌ floe-ci: failed", sections, "footer", template=comment_template()
    )
    assert GITHUB_COMMENT_LIMIT - 200 < len(rendered.text) <= GITHUB_COMMENT_LIMIT
    assert rendered.dropped == ["What was checked"]
    assert 2000 < rendered.lines_cut < 3000
    assert f"*… {rendered.lines_cut} more lines cut.*" in rendered.text
    assert f"and {rendered.lines_cut} lines of the findings" in rendered.text
    page = html(rendered.text)
    assert page.count("<table>") == 1 and "<th>what</th>" in page


def test_a_synthetic_check_with_thousands_of_findings_fits() -> None:
    result = result_with([finding(i) for i in range(4000)])
    rendered = render_comment(
        headline_for_check(result),
        sections_for_check(result),
        "footer",
        template=comment_template(),
    )
    assert len(rendered.text) <= GITHUB_COMMENT_LIMIT
    assert "failed: 4000 errors" in rendered.text
    assert "Policy verdicts (4000)" in rendered.text
    assert rendered.lines_cut > 0


def test_text_from_the_repository_cannot_break_the_table_or_inject_html() -> None:
    evil = "a|b\n<script>alert(1)</script> & <details>"
    cell = inline_cell(evil)
    page = html(f"| x |\n| --- |\n| {cell} |\n")
    assert "<script>" not in page and "<details>" not in page
    assert page.count("<td>") == 1


def test_sections_are_known_and_old_findings_go_before_the_plan() -> None:
    assert DROP_ORDER[0] == "existing-findings" and DROP_ORDER[-1] == "policy-verdicts"
    plan_keys = ("lineage-graph", "column-changes", "model-changes", "policy-impact")
    assert all(DROP_ORDER.index(k) < DROP_ORDER.index("new-findings") for k in plan_keys)
    with pytest.raises(ValueError, match="unknown comment section"):
        CommentSection("everything", "x", "y")


def test_a_comment_cell_is_one_capped_line_and_code_wraps_it() -> None:
    from floe_ci.report.markdown_text import inline_code

    assert inline_cell("a |\n b\t<c>") == "a \\| b &lt;c&gt;"
    assert inline_cell("x" * 600) == "x" * 499 + "…"
    assert inline_cell("abcdef", 4) == "abc…"
    assert inline_cell(None) == ""
    assert inline_code("stg|orders", 200) == "`stg\\|orders`"
