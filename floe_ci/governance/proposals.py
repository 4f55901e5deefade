"""Proposed classifications for unclassified columns (`floe-ci classify`, `floe-ci fix`).

A proposal is what FLOE201 would ask for, made concrete: the classification, the pii_type
and the sensitivity to write into `meta.floe`. It comes from the column's name or declared
type (FLOE201's detectors) or, with `classify --sample`, from its values
(governance.value_detection). Pure: data in, proposals out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from floe_ci.governance.rules.base import ModelFacts, RuleContext
from floe_ci.governance.rules.detection import PiiPatterns, relation_label

# The classifications proposals use; `init --existing` writes a policy for each.
PII = "pii"
FINANCIAL = "financial"
PROPOSED_CLASSIFICATIONS: tuple[str, ...] = (PII, FINANCIAL)
_FINANCIAL_TYPES = frozenset(("credit_card", "bank_account"))
# Identity documents and numbers whose leak is worst: the top level.
_CRITICAL_TYPES = frozenset(
    (
        "ssn",
        "national_id",
        "passport",
        "drivers_license",
        "credit_card",
        "bank_account",
        "health",
        "biometric",
    )
)


@dataclass(frozen=True)
class Proposal:
    """`meta.floe` for one column of one model, seed or source."""

    node_id: str
    relation: str  # as findings name it: `stg_users`, or `crm.users` for a source
    resource_type: str  # model, seed or source
    column: str
    pii_type: str
    evidence: str  # "its name", "its declared type `inet`", "12 of 12 sampled values"
    classification: str = PII
    sensitivity: str = "high"

    @property
    def label(self) -> str:
        return f"{self.relation}.{self.column}"

    def floe_meta(self) -> dict[str, str]:
        return {
            "classification": self.classification,
            "pii_type": self.pii_type,
            "sensitivity": self.sensitivity,
        }


def proposal_for(relation: ModelFacts, column: str, pii_type: str, evidence: str) -> Proposal:
    """The classification and sensitivity floe-ci proposes for a kind of personal data."""
    return Proposal(
        node_id=relation.node_id,
        relation=relation_label(relation),
        resource_type=relation.resource_type,
        column=column,
        pii_type=pii_type,
        evidence=evidence,
        classification=FINANCIAL if pii_type in _FINANCIAL_TYPES else PII,
        sensitivity="critical" if pii_type in _CRITICAL_TYPES else "high",
    )


def propose_from_names(ctx: RuleContext) -> list[Proposal]:
    """Proposals for every unclassified column whose name or declared type suggests personal
    data (FLOE201's detectors and `governance.pii_detection` settings, ignore globs included).

    Models first; a seed or source column is proposed only when no model column classified
    or proposed here takes its value in (FLOE201 does not report those either)."""
    config = ctx.spec.governance.pii_detection
    if not config.enabled:
        return []
    patterns = PiiPatterns.from_config(config)
    proposals = [p for model in ctx.models.values() for p in _relation_proposals(model, patterns)]
    taken_in = inputs_taken_in(ctx, {(p.node_id, p.column.lower()) for p in proposals})
    for relation in ctx.inputs.values():
        proposals.extend(
            p
            for p in _relation_proposals(relation, patterns)
            if (p.node_id, p.column.lower()) not in taken_in
        )
    return proposals


def _relation_proposals(relation: ModelFacts, patterns: PiiPatterns) -> Iterable[Proposal]:
    label = relation_label(relation)
    for column in relation.columns.values():
        if column.classification is not None or column.meta is not None:
            continue  # classified, or someone already wrote a `floe` block (maybe a waiver)
        suspected = patterns.suspected_type(column.name, column.data_type)
        if suspected is None or patterns.ignored(label, column.name):
            continue
        yield proposal_for(relation, column.name, *suspected)


def inputs_taken_in(ctx: RuleContext, proposed: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(node_id, lower-case column) of seed and source columns whose value a classified or
    proposed model column takes in, one step down."""
    lineage = ctx.lineage
    if lineage is None or not ctx.inputs:
        return set()
    result: set[tuple[str, str]] = set()
    for node_id, model in ctx.models.items():
        if not any(parent in ctx.inputs for parent in model.parents):
            continue
        keys = [
            key
            for key, column in model.columns.items()
            if column.classification is not None or (node_id, key) in proposed
        ]
        if not keys:
            continue
        upstream = lineage.upstream_by_column(node_id)
        for key in keys:
            for ref in upstream.get(key, ()):
                if ref.node_id in ctx.inputs:
                    result.add((ref.node_id, ref.column.lower()))
    return result


def merge_proposals(first: Iterable[Proposal], then: Iterable[Proposal]) -> list[Proposal]:
    """`first`, then those of `then` for columns `first` does not cover (name before value)."""
    result = list(first)
    seen = {(p.node_id, p.column.lower()) for p in result}
    for proposal in then:
        key = (proposal.node_id, proposal.column.lower())
        if key not in seen:
            seen.add(key)
            result.append(proposal)
    return result


def proposals_by_node(proposals: Iterable[Proposal]) -> Mapping[str, list[Proposal]]:
    grouped: dict[str, list[Proposal]] = {}
    for proposal in proposals:
        grouped.setdefault(proposal.node_id, []).append(proposal)
    return grouped
