"""The pull-request comment as GitHub shows it: the review of examples/shop-findings rendered
with cmarkgfm (GitHub's Markdown renderer), styled with GitHub's own CSS
(github-markdown-css) in an 880 px comment column and measured in headless Chromium. Nothing
may scroll sideways, and every file:line in it links to that line of the head commit.

Needs `bash .ci/tools/chromium.sh` (Chromium from Debian, the CSS from npm into .tools/).
"""

from __future__ import annotations

import html as html_text
import json
import re
import shutil
import subprocess
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from tests.conftest import REPO_ROOT, copy_example
from tests.git_support import git

pytestmark = pytest.mark.e2e

CSS = REPO_ROOT / ".tools" / "github-markdown-css" / "github-markdown-light.css"
COMMENT_WIDTH = 880  # px: a comment's body on a pull request's conversation tab
REPOSITORY = "floe/shop"
LOCATION = re.compile(r"^[\w./-]+\.(?:ya?ml|sql|py|csv)(?::\d+)?$")

# After layout, every element that could overflow: its content width against its box. A
# Mermaid block is left out: GitHub draws it as a diagram scaled to the column.
MEASURE = """
<script>
window.addEventListener("load", () => {
  const body = document.querySelector(".markdown-body");
  const wide = [];
  for (const el of body.querySelectorAll("*")) {
    if (el.closest("pre > code.language-mermaid, pre[lang=mermaid]")) continue;
    const box = el.getBoundingClientRect();
    const scrolls = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
    const sticksOut = box.right > body.getBoundingClientRect().right + 1;
    if (scrolls || sticksOut) {
      wide.push({tag: el.tagName, width: Math.round(box.width), scroll: el.scrollWidth,
                 client: el.clientWidth, text: el.textContent.slice(0, 120)});
    }
  }
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({
    page: document.documentElement.scrollWidth, body: body.getBoundingClientRect().width,
    wide: wide});
  document.body.appendChild(out);
});
</script>
"""


@pytest.fixture
def review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The review comment of a change to shop-findings: a column renamed at its origin and
    followed downstream, a declassification; with links to the head commit."""
    from floe_ci.app.review import review_pull_request
    from floe_ci.app.templates import comment_template
    from floe_ci.governance.evaluate import CheckOptions
    from floe_ci.report.links import BlobLinks
    from floe_ci.report.review_comment import render_review_comment

    git(tmp_path, "init", "-q", "-b", "main")
    project = copy_example(tmp_path / "shop", REPO_ROOT / "examples" / "shop-findings")
    (tmp_path / ".gitignore").write_text(".floe/\ntarget/\nlogs/\n*.duckdb\n.user.yml\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-q", "-b", "rename-phone")
    staging = project / "models" / "staging"
    sql = staging / "stg_customers.sql"
    sql.write_text(sql.read_text().replace("    phone,\n", "    phone as phone_number,\n"))
    contacts = project / "models" / "marts" / "customer_contacts.sql"
    contacts.write_text(re.sub(r"\bphone\b", "phone_number", contacts.read_text()))
    yml = staging / "_staging.yml"
    yml.write_text(yml.read_text().replace("classification: ", "classification_x: ", 1))
    git(tmp_path, "commit", "-qam", "head")
    sha = git(tmp_path, "rev-parse", "HEAD").strip()
    monkeypatch.chdir(tmp_path)
    result, plan = review_pull_request(
        Path("shop/floe.yaml"), "main", CheckOptions(config_file="shop/floe.yaml")
    )
    assert plan is not None
    links = BlobLinks(REPOSITORY, sha)
    text = render_review_comment(
        result, plan, "floe-ci", template=comment_template(), links=links
    ).text
    return text, sha


def test_the_comment_fits_880_px_and_every_location_is_a_link(
    review: tuple[str, str], tmp_path: Path
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not CSS.is_file():
        pytest.skip("needs Chromium and github-markdown-css: run `bash .ci/tools/chromium.sh`")
    text, sha = review
    assert "followed downstream: `customer_contacts.phone_number`" in text
    assert "New findings (" in text and "existed before this change" in text
    body = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)

    # Every location is a link to its line in the head commit.
    codes = re.findall(r"(<a [^>]*>)?<code>([^<]*)</code>", body)
    locations = [(anchor, html_text.unescape(code)) for anchor, code in codes]
    locations = [(a, c) for a, c in locations if LOCATION.match(c)]
    assert len(locations) > 15
    prefix = f'<a href="https://github.com/{REPOSITORY}/blob/{sha}/shop/'
    for anchor, code in locations:
        assert anchor.startswith(prefix), f"{code} is not linked: {anchor!r}"
        path, _, line = code.partition(":")
        assert anchor == f"{prefix}{path.removeprefix('shop/')}" + (f'#L{line}">' if line else '">')

    page = tmp_path / "comment.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<style>{CSS.read_text()}</style>"
        "<style>body{margin:0} .markdown-body{box-sizing:border-box;"
        f"width:{COMMENT_WIDTH}px;padding:16px}}</style>"
        f"</head><body><article class='markdown-body'>{body}</article>{MEASURE}</body></html>"
    )
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--window-size={COMMENT_WIDTH},2000",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    measured = json.loads(html_text.unescape(found.group(1)))
    assert measured["body"] == COMMENT_WIDTH
    assert measured["wide"] == [], json.dumps(measured["wide"], indent=1)
    assert measured["page"] <= COMMENT_WIDTH
