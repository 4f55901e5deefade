"""One registry for the check's rules and the review's: listed, found and documented alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from floe_ci.cli.check_cmd import rules
from floe_ci.errors import FloeUsageError
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import Rule, RuleContext, register
from floe_ci.governance.rules.cube_compiler import CubeCompilerRule
from floe_ci.governance.rules.registry import (
    all_rules,
    check_rules,
    find_rule,
    review_rules,
    rule_keys,
)
from floe_ci.governance.rules.review import ReviewRule

CHECK_IDS = [
    *(f"FLOE10{i}" for i in range(1, 10)),
    "FLOE201",
    "FLOE301",
    "FLOE302",
    "FLOE401",
    "FLOE402",
]
REVIEW_IDS = ["FLOE501", "FLOE502", "FLOE503"]
CUBE_COMPILER_IDS = ["FLOE403"]  # reported by the Cube sync, through Cube's compiler


def test_every_rule_is_in_one_table_in_id_order() -> None:
    assert [r.id for r in all_rules()] == CHECK_IDS + CUBE_COMPILER_IDS + REVIEW_IDS
    assert [r.id for r in check_rules()] == CHECK_IDS
    assert [r.id for r in review_rules()] == REVIEW_IDS
    assert all(issubclass(r, Rule) for r in check_rules())
    assert all(issubclass(r, ReviewRule) for r in review_rules())
    assert [r.id for r in all_rules() if issubclass(r, CubeCompilerRule)] == CUBE_COMPILER_IDS


def test_every_rule_is_documented_by_its_docstring() -> None:
    for rule in all_rules():
        assert rule.summary() and rule.summary() == rule.documentation().split("\n")[0]
        assert "Fix:" in rule.help_text(), rule.id
        assert rule.severity in ("error", "warning")


def test_find_rule_finds_either_kind_by_id_or_slug() -> None:
    assert find_rule("floe301").name == "classification-not-propagated"
    assert find_rule("Unclassified-PII").id == "FLOE201"
    assert find_rule("FLOE501").name == "declassification"
    assert find_rule("weaker-policy").id == "FLOE503"
    with pytest.raises(FloeUsageError) as error:
        find_rule("FLOE999")
    assert "FLOE101 (unpoliced-classification)" in str(error.value.problems[0].hint)
    assert "FLOE503 (weaker-policy)" in str(error.value.problems[0].hint)


def test_waivers_may_name_the_check_rules_only() -> None:
    keys = rule_keys()
    assert {"floe201", "unclassified-pii", "floe402"} <= keys
    assert "floe501" not in keys and "declassification" not in keys


def test_register_refuses_a_taken_id_or_slug_and_a_missing_docstring() -> None:
    class Twin(Rule):
        """Same id as FLOE101."""

        id = "FLOE101"
        name = "a-new-slug"
        severity = "error"

        def check(self, ctx: RuleContext) -> Iterator[Finding]:
            yield from ()

    with pytest.raises(ValueError, match="registered twice"):
        register(Twin)

    class Undocumented(ReviewRule):
        id = "FLOE599"
        name = "undocumented"
        severity = "warning"

    with pytest.raises(ValueError, match="needs a docstring"):
        register(Undocumented)
    assert [r.id for r in all_rules()] == CHECK_IDS + CUBE_COMPILER_IDS + REVIEW_IDS


def test_the_rules_command_lists_and_explains_both_kinds() -> None:
    listing = CliRunner().invoke(rules, []).output.splitlines()
    assert [line.split()[0] for line in listing] == CHECK_IDS + CUBE_COMPILER_IDS + REVIEW_IDS
    explained = CliRunner().invoke(rules, ["breaking-change"]).output
    assert explained.startswith("FLOE502 breaking-change (warning)\n\nA pull request removes")
