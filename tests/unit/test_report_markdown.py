"""Markdown job summary: a GFM table that survives pipes, newlines and HTML in messages."""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options

from floe_ci.report.markdown import MAX_ROWS, render_markdown
from tests.unit.report_samples import finding, sample_result


def html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def test_summary_headline_table_and_waivers() -> None:
    text = render_markdown(sample_result())
    assert text.startswith("## ❌ floe-ci check: failed: 2 errors, 1 warning, 1 waived")
    rendered = html(text)
    # Three active findings are three rows of the first table; the pipe stayed in its cell.
    first_table = rendered.split("</table>")[0]
    assert first_table.count("<tr>") == 4
    assert "looks like personal data | 100%" in first_table
    assert "<h3>Waived (1)</h3>" in rendered and "identifies nobody" in rendered
    assert "<summary>About these rules</summary>" in rendered


def test_html_in_a_message_is_shown_not_interpreted() -> None:
    evil = finding("FLOE201", "unclassified-pii", "warning", message="<img src=x> `a|b`", file="f")
    rendered = html(render_markdown(sample_result([evil])))
    assert "<img" not in rendered and "&lt;img src=x&gt;" in rendered


def test_long_reports_are_capped() -> None:
    many = [
        finding("FLOE201", "unclassified-pii", "warning", file="f", line=i) for i in range(1, 260)
    ]
    text = render_markdown(sample_result(many, fail_on="warning"))
    assert "more findings are not listed here" in text
    assert text.count("| ⚠️ warning |") == MAX_ROWS - 2  # two errors come first


def test_clean_result() -> None:
    text = render_markdown(sample_result().model_copy(update={"findings": []}))
    assert text.startswith("## ✅ floe-ci check: passed: no findings")
    assert "<table>" not in html(text)


def test_findings_of_other_producers_render() -> None:
    review = finding("FLOE501", "declassification", "warning", file="m.yml", line=3)
    text = render_markdown(sample_result([review]))
    assert "`FLOE501` declassification" in text


def test_a_summary_cell_keeps_its_lines_and_escapes_the_rest() -> None:
    from floe_ci.report.markdown_text import cell

    assert cell("a|b\r\n<i>&\nc  d") == "a\\|b<br>&lt;i&gt;&amp;<br>c  d"
    assert cell(None) == "" and cell("") == ""
    assert cell("x" * 600) == "x" * 600  # the summary caps rows, not cells
