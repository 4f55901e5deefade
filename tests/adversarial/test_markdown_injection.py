"""Attack 5: repository text in the bot's comment and the job summary stays text.

A waiver reason, a description, a model or column name come from the pull request. Rendered
with GitHub's own renderer (cmark-gfm), none of them may ping (`@everyone`), show an image,
make a link, open HTML, break out of its code span, or end the Mermaid block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options

from floe_ci.app.templates import comment_template
from floe_ci.plan.changes import ColumnChange, ModelChange
from floe_ci.plan.lineage_diff import diff_lineage
from floe_ci.report.markdown import render_markdown
from floe_ci.report.markdown_text import inline_code
from floe_ci.report.review_comment import render_review_comment
from tests.unit.report_samples import finding, sample_plan, sample_result

PAYLOAD = (
    "@everyone @floe/admins see ![pixel](https://e.vil/p.png) and [click](https://e.vil/x) "
    "or https://e.vil/y or www.e.vil <img src=x onerror=alert(1)> <b>bold</b>"
)
TICKED = "a`b``c"  # a column name with backticks


def _html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def _text_outside_code(html: str) -> str:
    return re.sub(r"<code>.*?</code>", "", html, flags=re.S)


def _assert_inert(html: str) -> None:
    plain = _text_outside_code(html)
    assert not re.search(r"@everyone|@floe/admins", plain), "a live mention"
    assert "<img" not in html, "an image"
    assert "e.vil" not in "".join(re.findall(r'href="([^"]*)"', html)), "a live link"
    assert "<b>bold" not in html and "<img src=x" not in html, "raw HTML"


def _evil_result():  # type: ignore[no-untyped-def]
    waived = finding(
        "FLOE301",
        "classification-not-propagated",
        model="orders",
        node_id="model.shop.orders",
        column=TICKED,
        file="models/x.yml",
        line=3,
        waived=True,
        waiver_reason=PAYLOAD,
        message=f"`orders.{TICKED}` is derived; {PAYLOAD}",
    )
    active = finding(
        "FLOE201",
        "unclassified-pii",
        "warning",
        model="orders",
        node_id="model.shop.orders",
        column=TICKED,
        file="models/x.yml",
        line=4,
        message=PAYLOAD,
        hint=PAYLOAD,
    )
    return sample_result([waived, active])


def test_the_comment_and_the_summary_keep_repository_text_inert() -> None:
    result = _evil_result()
    plan = sample_plan().model_copy(
        update={
            "models": [
                ModelChange(
                    name="orders",
                    node_id="model.shop.orders",
                    kind="modified",
                    category="breaking",
                    columns=[ColumnChange(column=TICKED, kind="removed", category="breaking")],
                )
            ]
        }
    )
    comment = render_review_comment(result, plan, "footer", template=comment_template()).text
    _assert_inert(_html(comment))
    _assert_inert(_html(render_markdown(result)))


def test_a_code_span_cannot_be_broken() -> None:
    for name in (TICKED, "`x", "x`", "``", "a|b"):
        html = _html(f"| c |\n| --- |\n| {inline_code(name)} |\n")
        codes = re.findall(r"<code>(.*?)</code>", html, flags=re.S)
        assert codes == [name.replace("|", "|")], (name, html)


@dataclass
class _Snapshot:
    """What diff_lineage reads of a revision: its manifest and its DAG."""

    manifest: dict[str, Any]
    dag: set[tuple[str, str]]

    def edges(self) -> set[tuple[str, str]]:
        return self.dag

    def node_name(self, node_id: str) -> str:
        return str(self.manifest["nodes"][node_id]["name"])


def test_a_table_name_cannot_end_the_mermaid_block() -> None:
    evil = 'orders"]\n```\n<script>alert(1)</script>\n```mermaid\nx["'
    nodes = {
        "model.shop.a": {"name": "a"},
        "model.shop.b": {"name": evil},
    }
    base = _Snapshot({"nodes": {"model.shop.a": nodes["model.shop.a"]}}, set())
    head = _Snapshot({"nodes": nodes}, {("model.shop.a", "model.shop.b")})
    change = ModelChange(name=evil, node_id="model.shop.b", kind="added", category="non_breaking")
    lineage = diff_lineage(base, head, [change])  # type: ignore[arg-type]
    plan = sample_plan().model_copy(update={"lineage": lineage, "models": [change]})
    comment = render_review_comment(sample_result(), plan, "f", template=comment_template()).text
    html = _html(comment)
    assert "<script>" not in html
    blocks = re.findall(r'<pre lang="mermaid"><code>(.*?)</code></pre>', html, flags=re.S)
    assert len(blocks) == 1
    graph = unescape(blocks[0])
    labels = re.findall(r'\["([^"\n]*)"\]', graph)
    assert len(labels) == 2 and all("`" not in label and "<" not in label for label in labels)
    body = graph.split("\n")
    assert all(line.startswith(("graph", "  ")) for line in body if line)


# A column whose name has backticks and a mention, as a quoted identifier can; its last
# word makes FLOE201 report it (it looks like an e-mail address).
HOSTILE_COLUMN = "x`` @everyone `y_email"


def test_a_rule_s_message_names_a_hostile_column_in_one_inert_code_span() -> None:
    from floe_ci.report.github import render_github
    from floe_ci.report.sarif import render_sarif
    from floe_ci.testing import Model, Project, check_fails

    project = Project(
        models=[Model("orders", f'select 1 as "{HOSTILE_COLUMN}"', columns=[HOSTILE_COLUMN])]
    )
    [found] = check_fails("FLOE201", project)
    result = sample_result([found])
    subject = f"orders.{HOSTILE_COLUMN}"
    comment = render_review_comment(result, None, "footer", template=comment_template()).text
    for markdown in (comment, render_markdown(result)):
        html = _html(markdown)
        _assert_inert(html)
        codes = [unescape(c) for c in re.findall(r"<code>(.*?)</code>", html, flags=re.S)]
        assert subject in codes, codes  # the whole name, once, in one code span
        assert not any("@everyone" in c and c != subject for c in codes), codes
        assert "everyone" not in _text_outside_code(html)  # no piece of it leaked out
    # plain readers see the name as it is, with nothing escaped
    assert subject in json_text(render_sarif(result)) and subject in render_github(result)


def json_text(sarif: str) -> str:
    import json

    return "\n".join(r["message"]["text"] for r in json.loads(sarif)["runs"][0]["results"])
