"""The README rule reference is the rules' own documentation."""

from __future__ import annotations

from click.testing import CliRunner

from floe_ci.cli.check_cmd import rules
from floe_ci.governance.rules.registry import all_rules
from tests.conftest import REPO_ROOT


def check_section() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index("<!-- section:check -->")
    return readme[start : readme.index("<!-- /section:check -->", start)]


def test_readme_documents_every_rule_as_the_code_does() -> None:
    generated = CliRunner().invoke(rules, ["--format", "markdown"]).output
    assert generated.strip() in check_section(), (
        "README rule reference is stale: paste `floe-ci rules --format markdown` into the "
        "check section"
    )
    for rule in all_rules():
        assert f"#### {rule.id} {rule.name}" in check_section()


def test_readme_shows_every_output_format() -> None:
    section = check_section()
    for fmt in ("console", "json", "markdown", "sarif", "github"):
        assert f"**{fmt}**" in section
