"""Rule: columns that look like personal data but carry no classification."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from floe_ci.code_span import code
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import ModelFacts, Rule, RuleContext, register
from floe_ci.governance.rules.propagation import inherited_classifications
from floe_ci.governance.vocabulary import (
    DEFAULT_PII_NAME_WORDS,
    DEFAULT_PII_TYPE_PATTERNS,
    PII_COMPOUND_WORDS,
    PII_NAME_EXCLUDED_FIRST_WORDS,
    PII_NAME_EXCLUDED_LAST_WORDS,
    PII_NAME_NUMBER_WORDS,
    PII_NAME_WORD_CLASSES,
)
from floe_ci.spec.models import PiiDetectionConfig

# One word of a column name: an acronym before a capitalised word (`IP` in `IPAddress`), a
# capitalised or lower-case word, an acronym, or a number. Everything else separates words.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def name_words(name: str) -> tuple[str, ...]:
    """The words of a column name, lower case, as FLOE201's built-in patterns read them.

    Split on `_` and any other punctuation, on case changes and around digits, with the
    compounds of PII_COMPOUND_WORDS expanded: `BillingAddressCity` -> (billing, address,
    city), `property_firstname` -> (property, first, name), `ipv4` -> (ipv, 4).
    """
    words: list[str] = []
    for word in _WORD.findall(name):
        lower = word.lower()
        words.extend(PII_COMPOUND_WORDS.get(lower, (lower,)))
    return tuple(words)


@dataclass(frozen=True)
class WordPattern:
    """A built-in name pattern: the words a name must end with, each a set of accepted words
    (one word, or a word class), and whether they must be the whole name (`^`)."""

    positions: tuple[frozenset[str], ...]
    whole_name: bool = False

    @classmethod
    def parse(cls, text: str) -> WordPattern:
        """`"<person> name"`, `"^ip"`: see vocabulary.DEFAULT_PII_NAME_WORDS."""
        whole_name = text.startswith("^")
        positions = tuple(
            PII_NAME_WORD_CLASSES[word[1:-1]] if word.startswith("<") else frozenset((word,))
            for word in text.lstrip("^").split()
        )
        return cls(positions, whole_name)

    def matches(self, words: tuple[str, ...]) -> bool:
        size = len(self.positions)
        if len(words) < size or (self.whole_name and len(words) != size):
            return False
        tail = zip(words[-size:], self.positions, strict=True)
        return all(word in accepted for word, accepted in tail)


# What detects one pii_type: the built-in word patterns, or the user's regular expression.
NameMatcher = tuple[WordPattern, ...] | re.Pattern[str]


@dataclass(frozen=True)
class PiiPatterns:
    names: tuple[tuple[str, NameMatcher], ...]
    types: tuple[tuple[str, re.Pattern[str]], ...]
    ignore: tuple[str, ...]
    seen: dict[tuple[str, str | None], tuple[str, str] | None] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: PiiDetectionConfig) -> PiiPatterns:
        """The built-in patterns (unless `use_default_patterns: false`), each replaced by the
        user's `name_patterns` / `type_patterns` entry of the same pii_type, theirs added."""
        names: dict[str, NameMatcher] = {}
        types: dict[str, str] = {}
        if config.use_default_patterns:
            names = {
                pii_type: tuple(WordPattern.parse(text) for text in patterns)
                for pii_type, patterns in DEFAULT_PII_NAME_WORDS.items()
            }
            types = dict(DEFAULT_PII_TYPE_PATTERNS)
        names.update(
            (pii_type, re.compile(regex, re.IGNORECASE))
            for pii_type, regex in config.name_patterns.items()
        )
        types.update(config.type_patterns)
        return cls(
            names=tuple(names.items()),
            types=tuple((k, re.compile(v, re.IGNORECASE)) for k, v in types.items()),
            ignore=tuple(pattern.lower() for pattern in config.ignore),
        )

    def suspected_type(self, name: str, data_type: str | None) -> tuple[str, str] | None:
        """(pii_type, what matched) when the column looks like personal data."""
        key = (name, data_type)
        if key not in self.seen:  # big projects repeat a few hundred names thousands of times
            self.seen[key] = self._suspected_type(name, data_type)
        return self.seen[key]

    def _suspected_type(self, name: str, data_type: str | None) -> tuple[str, str] | None:
        if data_type:
            for pii_type, pattern in self.types:
                if pattern.search(data_type.strip()):
                    return pii_type, f"its declared type {code(data_type)}"
        words = name_words(name)
        if not words or words[0] in PII_NAME_EXCLUDED_FIRST_WORDS:
            return None
        core = words
        while len(core) > 1 and core[-1].isdigit():  # address_1, property_email_1
            core = core[:-1]
        forms = [core]
        if len(core) > 1 and core[-1] in PII_NAME_NUMBER_WORDS:  # phone_number, passport_no
            forms.append(core[:-1])
        # A user's regex sees the name as written and as snake_case words (`BillingCity` is
        # also `billing_city`); timestamps, keys and domains are not reported.
        snake = "_".join(words)
        fact = core[-1] in PII_NAME_EXCLUDED_LAST_WORDS
        for pii_type, matcher in self.names:
            if isinstance(matcher, re.Pattern):
                if not fact and (matcher.search(name) or matcher.search(snake)):
                    return pii_type, "its name"
            elif any(pattern.matches(form) for form in forms for pattern in matcher):
                return pii_type, "its name"
        return None

    def ignored(self, relation: str, column: str) -> bool:
        key = f"{relation}.{column}".lower()
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.ignore)


def relation_label(relation: ModelFacts) -> str:
    """How findings and `ignore` globs name a model or seed (`stg_users`) or a source
    (`crm.users`)."""
    source_name = relation.node.get("source_name")
    if relation.resource_type == "source" and source_name:
        return f"{source_name}.{relation.name}"
    return relation.name


def classified_where_used(ctx: RuleContext) -> set[tuple[str, str]]:
    """(node_id, lower-case column) of the seed and source columns a classified model column
    is computed from, one step down: their data is known to be personal and classified where
    the models take it in, as dbt projects usually do (a source's meta is rarely written)."""
    lineage = ctx.lineage
    if lineage is None or not ctx.inputs:
        return set()
    result: set[tuple[str, str]] = set()
    for node_id, model in ctx.models.items():
        classified = [k for k, c in model.columns.items() if c.classification is not None]
        if not classified or not any(parent in ctx.inputs for parent in model.parents):
            continue
        upstream = lineage.upstream_by_column(node_id)
        for key in classified:
            for ref in upstream.get(key, ()):
                if ref.node_id in ctx.inputs:
                    result.add((ref.node_id, ref.column.lower()))
    return result


@register
class UnclassifiedPii(Rule):
    """A column whose name or declared type suggests personal data has no classification.

    Columns named like `email`, `phone`, `ssn`, `birth_date`/`dob`, `address_1`, `city`,
    `zip`, `ip_address`, `first_name`/`last_name`/`full_name`, or declared as `inet`, hold
    personal data almost always. Unclassified, no policy protects them. Names are read as
    words (split on `_` and on case changes: `BillingAddressCity` is billing, address, city)
    and judged by their last words, which say what the column holds: `owner_full_name` and
    `attending_provider_name` are names, `browser_ip` an IP address, but `email_subject`,
    `days_ip` (inpatient days) and `cell_id` are not. Flags, counts, timestamps and keys
    (`has_email`, `count_emails`, `email_sent_at`, `email_id`) are not reported. Seeds and
    sources are checked too, unless a classified model column takes the value in. Columns
    that inherit a classification through lineage are reported by FLOE301 instead.

    Configure in floe.yaml under `governance.pii_detection` (`name_patterns`,
    `type_patterns`, `ignore: [model.column globs]`, `enabled: false`).

    Fix: classify the column (`meta: {floe: {classification: pii, pii_type: ...}}`), or
    waive the rule for it with a reason.
    """

    id = "FLOE201"
    name = "unclassified-pii"
    severity = "warning"
    scope = "relation"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        config = ctx.spec.governance.pii_detection
        if not config.enabled:
            return
        patterns = PiiPatterns.from_config(config)
        inherited = inherited_classifications(ctx)
        used = classified_where_used(ctx)
        for relation in (*ctx.models.values(), *ctx.inputs.values()):
            label = relation_label(relation)
            for key, column in relation.columns.items():
                at = (relation.node_id, key)
                if column.classification is not None or at in inherited or at in used:
                    continue
                suspected = patterns.suspected_type(column.name, column.data_type)
                if suspected is None or patterns.ignored(label, column.name):
                    continue
                pii_type, evidence = suspected
                yield self.column_finding(
                    ctx,
                    relation,
                    column.name,
                    f"{code(label, column.name)} looks like personal data ({pii_type}, from "
                    f"{evidence}) but has no classification",
                    f"classify it: `meta: {{floe: {{classification: pii, pii_type: {pii_type}}}}}`"
                    f", or list {code(label, column.name)} under "
                    "`governance.pii_detection.ignore` if it is not personal data",
                )
