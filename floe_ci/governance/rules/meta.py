"""Rules about the `floe` block of a column's dbt meta: values, keys and waivers."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from floe_ci.code_span import code
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import ColumnFacts, ModelFacts, Rule, RuleContext, register
from floe_ci.governance.vocabulary import FLOE_META_KEYS, PII_TYPES, SENSITIVITIES


def _choices_hint(value: Any, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(str(value), choices, n=1)
    prefix = f"did you mean {code(match[0])}? " if match else ""
    return prefix + "expected one of: " + ", ".join(choices)


def _meta_columns(ctx: RuleContext) -> list[tuple[ModelFacts, ColumnFacts]]:
    """Columns with a `floe` meta block (computed once, read by four rules)."""
    cached = ctx.cache.get("meta_columns")
    if cached is None:
        cached = [
            (model, column)
            for model in ctx.models.values()
            for column in model.columns.values()
            if column.meta is not None
        ]
        ctx.cache["meta_columns"] = cached
    return cached


@register
class UnknownSensitivity(Rule):
    """A column's `sensitivity` is not a known level.

    `sensitivity` is one of `low`, `medium` (the default), `high`, `critical`. Anything
    else (a typo such as `hgih`) cannot be compared when checking that derived columns are
    classified at least as strictly as their sources.

    Fix: use one of the four levels.
    """

    id = "FLOE106"
    name = "unknown-sensitivity"
    severity = "error"
    scope = "relation"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for model, column in _meta_columns(ctx):
            if not isinstance(column.meta, Mapping) or "sensitivity" not in column.meta:
                continue
            value = column.meta["sensitivity"]
            if value not in SENSITIVITIES:
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{code(model.name, column.name)}: unknown sensitivity {value!r}",
                    _choices_hint(value, SENSITIVITIES),
                )


@register
class UnknownPiiType(Rule):
    """A column's `pii_type` is not a known kind of personal data.

    `pii_type` tells non-production environments how to synthesize a realistic value and
    auditors what the column holds; it must be one of floe's types (`email`, `phone`,
    `name`, `address`, `birth_date`, `ssn`, `ip_address`, ... see the README), or `other`.

    Fix: use a known type, or `other`.
    """

    id = "FLOE107"
    name = "unknown-pii-type"
    severity = "error"
    scope = "relation"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for model, column in _meta_columns(ctx):
            if not isinstance(column.meta, Mapping):
                continue
            value = column.meta.get("pii_type")
            if value is not None and value not in PII_TYPES:
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{code(model.name, column.name)}: unknown pii_type {value!r}",
                    _choices_hint(value, PII_TYPES),
                )


@register
class InvalidFloeMeta(Rule):
    """A column's `floe` meta block is malformed.

    `meta.floe` (or `config.meta.floe`) must be a mapping with the keys `classification`,
    `pii_type`, `sensitivity`, `waive`, `reason`. An unknown key is most likely a typo that
    silently drops a classification; `pii_type` or `sensitivity` without a `classification`
    leaves the column unclassified although someone meant to classify it.

    Fix: correct the key, or add the missing `classification`.
    """

    id = "FLOE108"
    name = "invalid-floe-meta"
    severity = "error"
    scope = "relation"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for model, column in _meta_columns(ctx):
            where = code(model.name, column.name)
            meta = column.meta
            if not isinstance(meta, Mapping):
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{where}: `meta.floe` must be a mapping, got {type(meta).__name__}",
                    "write `floe: {classification: pii, pii_type: email, sensitivity: high}`",
                )
                continue
            for key in sorted(set(map(str, meta)) - set(FLOE_META_KEYS)):
                close = difflib.get_close_matches(key, FLOE_META_KEYS, n=1)
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{where}: unknown key {code(key)} in `meta.floe`"
                    + (f"; did you mean {code(close[0])}?" if close else ""),
                    "allowed keys: " + ", ".join(FLOE_META_KEYS),
                )
            classification = meta.get("classification")
            if classification not in (None, "", False) and not isinstance(classification, str):
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{where}: `classification` must be a string, got {classification!r}",
                    "use the name of a policy in floe.yaml, such as `pii`",
                )
            elif not classification:
                orphaned = [key for key in ("pii_type", "sensitivity") if key in meta]
                if orphaned:
                    yield self.column_finding(
                        ctx,
                        model,
                        column.name,
                        f"{where}: {' and '.join(code(k) for k in orphaned)} set without a "
                        "`classification`, so the column is not classified",
                        "add `classification: NAME` (a policy in floe.yaml), or remove "
                        + " and ".join(code(k) for k in orphaned),
                    )


@register
class InvalidWaiver(Rule):
    """A waiver in `meta.floe` is malformed, names no known rule, or gives no reason.

    A waiver (`floe: {waive: [FLOE201], reason: "..."}`) silences named rules for one
    column and is shown in every report with its reason. A waiver without a reason is not
    applied: the reason is what a reviewer reads. Rules are named by id (`FLOE201`) or
    slug (`unclassified-pii`).

    Fix: list known rule ids under `waive` and explain why under `reason`.
    """

    id = "FLOE109"
    name = "invalid-waiver"
    severity = "warning"
    scope = "relation"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        known = ctx.rule_keys
        for model, column in _meta_columns(ctx):
            if not isinstance(column.meta, Mapping) or "waive" not in column.meta:
                continue
            where = code(model.name, column.name)
            waive = column.meta["waive"]
            names = [waive] if isinstance(waive, str) else waive
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{where}: `waive` must be a list of rule ids, got {waive!r}",
                    "write `waive: [FLOE201]` with `reason: why this is safe`",
                )
                continue
            for unknown in [n for n in names if n.lower() not in known]:
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{where}: waiver names unknown rule {code(unknown)}",
                    "`floe-ci rules` lists the rule ids and names",
                )
            reason = column.meta.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{where}: waiver of {', '.join(names)} has no `reason`, so it is not applied",
                    "add `reason: ...` next to `waive` explaining why the finding is safe",
                )
