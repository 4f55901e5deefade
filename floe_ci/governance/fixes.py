"""The fix of each finding that has one, as the `meta.floe` keys to set on its column.

- FLOE301: carry the upstream classification (classification, pii_type, sensitivity) to the
  derived column that holds the value (not to hashes or indicators: those are decisions);
- FLOE201: the classification floe-ci proposes for the suspected kind of personal data;
- FLOE106: the nearest valid sensitivity (`hgih` -> `high`), when one is close.

`floe-ci fix` writes them; the GitHub Action offers them as suggested changes. Pure: the
rules' facts and findings in, fixes out.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from floe_ci.governance.proposals import proposal_for
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import ModelFacts, RuleContext
from floe_ci.governance.rules.detection import PiiPatterns
from floe_ci.governance.rules.propagation import CARRIED, inherited_classifications
from floe_ci.governance.vocabulary import SENSITIVITIES, SENSITIVITY_RANK

FIXABLE_RULES = ("FLOE106", "FLOE201", "FLOE301")


@dataclass(frozen=True)
class ColumnFix:
    """Set `floe` on one column, to resolve `finding`."""

    finding: Finding
    node_id: str
    column: str
    floe: dict[str, str]
    summary: str  # "carry `pii` (email, high) from `stg_users.email`"


def fixes_for(ctx: RuleContext, findings: Iterable[Finding]) -> list[ColumnFix]:
    """The fixes of the active findings that have one, one per column (first rule wins)."""
    patterns: PiiPatterns | None = None
    fixes: dict[tuple[str, str], ColumnFix] = {}
    for finding in findings:
        if finding.waived or finding.rule_id not in FIXABLE_RULES:
            continue
        if not finding.node_id or not finding.column:
            continue
        relation = ctx.models.get(finding.node_id) or ctx.inputs.get(finding.node_id)
        if relation is None:
            continue
        key = (finding.node_id, finding.column.lower())
        if key in fixes:
            continue
        fix: ColumnFix | None = None
        if finding.rule_id == "FLOE301":
            fix = _carry(ctx, finding, relation)
        elif finding.rule_id == "FLOE201":
            if patterns is None:
                patterns = PiiPatterns.from_config(ctx.spec.governance.pii_detection)
            fix = _propose(finding, relation, patterns)
        else:
            fix = _nearest_sensitivity(finding, relation)
        if fix is not None:
            fixes[key] = fix
    return list(fixes.values())


def _carry(ctx: RuleContext, finding: Finding, model: ModelFacts) -> ColumnFix | None:
    origin = inherited_classifications(ctx).get((model.node_id, str(finding.column).lower()))
    if origin is None or origin.form != CARRIED:
        return None
    source = origin.classification
    level = source.sensitivity if source.sensitivity in SENSITIVITY_RANK else "high"
    floe = {"classification": source.classification}
    if source.pii_type:
        floe["pii_type"] = source.pii_type
    floe["sensitivity"] = level
    detail = ", ".join(v for v in (source.pii_type, level) if v)
    return ColumnFix(
        finding,
        model.node_id,
        str(finding.column),
        floe,
        f"carry `{source.classification}` ({detail}) from `{origin.path[0]}`",
    )


def _propose(finding: Finding, relation: ModelFacts, patterns: PiiPatterns) -> ColumnFix | None:
    column = relation.columns.get(str(finding.column).lower())
    if column is None:
        return None
    suspected = patterns.suspected_type(column.name, column.data_type)
    if suspected is None:
        return None
    proposal = proposal_for(relation, column.name, *suspected)
    return ColumnFix(
        finding,
        relation.node_id,
        column.name,
        proposal.floe_meta(),
        f"classify as `{proposal.classification}` ({proposal.pii_type}, "
        f"{proposal.sensitivity}) from {proposal.evidence}",
    )


def _nearest_sensitivity(finding: Finding, model: ModelFacts) -> ColumnFix | None:
    column = model.columns.get(str(finding.column).lower())
    meta = column.meta if column is not None else None
    if not isinstance(meta, dict) or "sensitivity" not in meta:
        return None
    close = difflib.get_close_matches(str(meta["sensitivity"]), SENSITIVITIES, n=1)
    if not close:
        return None
    return ColumnFix(
        finding,
        model.node_id,
        str(finding.column),
        {"sensitivity": close[0]},
        f"sensitivity {meta['sensitivity']!r} -> `{close[0]}`",
    )
