"""Rule: columns that look like personal data but carry no classification."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import Rule, RuleContext, register
from floe_ci.governance.rules.propagation import inherited_classifications
from floe_ci.governance.vocabulary import (
    DEFAULT_PII_NAME_PATTERNS,
    DEFAULT_PII_TYPE_PATTERNS,
    PII_NAME_EXCLUSIONS,
)
from floe_ci.spec.models import PiiDetectionConfig


@dataclass(frozen=True)
class PiiPatterns:
    names: tuple[tuple[str, re.Pattern[str]], ...]
    types: tuple[tuple[str, re.Pattern[str]], ...]
    exclusions: re.Pattern[str]
    ignore: tuple[str, ...]
    seen: dict[tuple[str, str | None], tuple[str, str] | None] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: PiiDetectionConfig) -> PiiPatterns:
        names = dict(DEFAULT_PII_NAME_PATTERNS) if config.use_default_patterns else {}
        types = dict(DEFAULT_PII_TYPE_PATTERNS) if config.use_default_patterns else {}
        names.update(config.name_patterns)
        types.update(config.type_patterns)
        return cls(
            names=tuple((k, re.compile(v, re.IGNORECASE)) for k, v in names.items()),
            types=tuple((k, re.compile(v, re.IGNORECASE)) for k, v in types.items()),
            exclusions=re.compile(PII_NAME_EXCLUSIONS, re.IGNORECASE),
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
                    return pii_type, f"its declared type `{data_type}`"
        if self.exclusions.search(name):
            return None
        for pii_type, pattern in self.names:
            if pattern.search(name):
                return pii_type, "its name"
        return None

    def ignored(self, model: str, column: str) -> bool:
        key = f"{model}.{column}".lower()
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.ignore)


@register
class UnclassifiedPii(Rule):
    """A column whose name or declared type suggests personal data has no classification.

    Columns named like `email`, `phone`, `ssn`, `birth_date`/`dob`, `address`,
    `ip_address`, `first_name`/`last_name`/`full_name`, or declared as `inet`, hold
    personal data almost always. Unclassified, no policy protects them. Flags, counts,
    timestamps and keys (`has_email`, `email_count`, `email_sent_at`, `email_id`) are not
    reported. Columns that inherit a classification through lineage are reported by
    FLOE301 instead.

    Configure in floe.yaml under `governance.pii_detection` (`name_patterns`,
    `type_patterns`, `ignore: [model.column globs]`, `enabled: false`).

    Fix: classify the column (`meta: {floe: {classification: pii, pii_type: ...}}`), or
    waive the rule for it with a reason.
    """

    id = "FLOE201"
    name = "unclassified-pii"
    severity = "warning"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        config = ctx.spec.governance.pii_detection
        if not config.enabled:
            return
        patterns = PiiPatterns.from_config(config)
        inherited = inherited_classifications(ctx)
        for model in ctx.models.values():
            for key, column in model.columns.items():
                if column.classification is not None or (model.node_id, key) in inherited:
                    continue
                suspected = patterns.suspected_type(column.name, column.data_type)
                if suspected is None or patterns.ignored(model.name, column.name):
                    continue
                pii_type, evidence = suspected
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"`{model.name}.{column.name}` looks like personal data ({pii_type}, from "
                    f"{evidence}) but has no classification",
                    f"classify it: `meta: {{floe: {{classification: pii, pii_type: {pii_type}}}}}`"
                    f", or list `{model.name}.{column.name}` under "
                    "`governance.pii_detection.ignore` if it is not personal data",
                )
