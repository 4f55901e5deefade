"""Every rule by stable id, in the order they are documented: the one registry and its lookups.

Importing this module imports every rule module, whose `@register` (rules/base.py) fills the
table. Check rules (FLOE1xx-4xx, `floe-ci check`) and review rules (FLOE5xx, which compare two
revisions and so run only with `--base`) live in the same table: `floe-ci rules`, SARIF and
the Markdown summary document both from `all_rules()`, `find_rule` finds either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_ci.errors import FloeUsageError
from floe_ci.governance.rules import (
    consumption,
    cube_compiler,
    detection,
    meta,
    policy,
    propagation,
)
from floe_ci.governance.rules.base import Rule, RuleBase, registered

if TYPE_CHECKING:
    from floe_ci.governance.rules.review import ReviewRule

# The modules whose @register decorators fill the table, imported here so that they all
# have run before anything is looked up. A new rule module is added here. The review's
# rules (rules/review.py, which reads the Plan's models) are imported when first asked for:
# `floe-ci check` never needs them.
RULE_MODULES = (consumption, cube_compiler, detection, meta, policy, propagation)


def _with_review_rules() -> list[type[RuleBase]]:
    from floe_ci.governance.rules import review  # noqa: F401  (its @register fills the table)

    return registered()


def all_rules() -> list[type[RuleBase]]:
    """Every rule a finding can come from, by id: the check's rules, then the review's."""
    return _with_review_rules()


def check_rules() -> list[type[Rule]]:
    """The rules `floe-ci check` runs over one revision (governance.evaluate)."""
    return [rule for rule in registered() if issubclass(rule, Rule)]


def review_rules() -> list[type[ReviewRule]]:
    """The rules the pull-request review runs over the Plan's changes (plan.build)."""
    from floe_ci.governance.rules.review import ReviewRule

    return [rule for rule in _with_review_rules() if issubclass(rule, ReviewRule)]


def find_rule(key: str) -> type[RuleBase]:
    """Any rule by id (FLOE101) or slug (unpoliced-classification), case-insensitive."""
    for rule in all_rules():
        if key.lower() in (rule.id.lower(), rule.name.lower()):
            return rule
    known = ", ".join(f"{r.id} ({r.name})" for r in all_rules())
    raise FloeUsageError.single("<command line>", f"no rule `{key}`", hint=f"rules: {known}")


def rule_keys() -> frozenset[str]:
    """Every spelling a waiver may use, lower case: the check rules' ids and slugs (review
    findings ask a reviewer to look at the change itself; no waiver silences them)."""
    return frozenset(key.lower() for rule in check_rules() for key in (rule.id, rule.name))
