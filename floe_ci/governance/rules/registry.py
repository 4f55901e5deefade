"""Rules registered by stable id, in the order they are documented."""

from __future__ import annotations

from typing import Protocol

from floe_ci.errors import FloeUsageError
from floe_ci.governance.rules.base import Rule

_RULES: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: make the rule known under its id and its slug."""
    taken = {key.lower() for known in _RULES.values() for key in (known.id, known.name)}
    if rule.id.lower() in taken or rule.name.lower() in taken:
        raise ValueError(f"rule {rule.id} ({rule.name}) is registered twice")
    if not rule.__doc__:
        raise ValueError(f"rule {rule.id} needs a docstring: it is the rule's documentation")
    _RULES[rule.id] = rule
    return rule


def all_rules() -> list[type[Rule]]:
    _load()
    return sorted(_RULES.values(), key=lambda rule: rule.id)


class RuleDoc(Protocol):
    """What reports and `floe-ci rules` read of a rule (check rule or review rule)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> str: ...
    def summary(self) -> str: ...
    def help_text(self) -> str: ...
    def documentation(self) -> str: ...


def documented_rules() -> list[RuleDoc]:
    """Every rule a finding can come from: the check's rules, then the pull-request review's
    (FLOE5xx, which compare two revisions and so run only with `--base`)."""
    from floe_ci.governance.rules.review import REVIEW_RULES

    rules: list[RuleDoc] = [*all_rules(), *REVIEW_RULES]
    return rules


def find_documented_rule(key: str) -> RuleDoc:
    """Any documented rule by id or slug, case-insensitive."""
    for rule in documented_rules():
        if key.lower() in (rule.id.lower(), rule.name.lower()):
            return rule
    known = ", ".join(f"{r.id} ({r.name})" for r in documented_rules())
    raise FloeUsageError.single("<command line>", f"no rule `{key}`", hint=f"rules: {known}")


def rule_keys() -> set[str]:
    """Every spelling a waiver may use: ids and slugs, lower case."""
    return {key.lower() for rule in all_rules() for key in (rule.id, rule.name)}


def find_rule(key: str) -> type[Rule]:
    """A rule by id (FLOE101) or slug (unpoliced-classification), case-insensitive."""
    for rule in all_rules():
        if key.lower() in (rule.id.lower(), rule.name.lower()):
            return rule
    known = ", ".join(f"{r.id} ({r.name})" for r in all_rules())
    raise FloeUsageError.single("<command line>", f"no rule `{key}`", hint=f"rules: {known}")


def _load() -> None:
    # Importing the modules runs their @register decorators.
    from floe_ci.governance.rules import (  # noqa: F401
        consumption,
        detection,
        meta,
        policy,
        propagation,
    )
