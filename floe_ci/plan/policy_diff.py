"""Policy impact: how classifications and the actions they trigger change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from floe_ci.governance.result import Finding
from floe_ci.plan.changes import ClassificationChange, Direction, PolicyChange, PolicyImpact
from floe_ci.plan.snapshot import PipelineSnapshot
from floe_ci.spec.models import FloeSpec

Env = Literal["production", "non_production"]
ENVIRONMENTS: tuple[Env, ...] = ("production", "non_production")
NO_ACTION = "none"

# How much of the raw value an action keeps from readers: higher protects more.
# restrict still lets the listed roles read raw data, so it ranks below redact.
ACTION_STRENGTH = {
    NO_ACTION: 0,
    "mask": 1,
    "hash": 2,
    "synthesize": 3,
    "restrict": 4,
    "redact": 5,
}
SENSITIVITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def effective_action(spec: FloeSpec, classification: str | None, env: Env) -> str:
    if classification is None:
        return NO_ACTION
    policy = spec.governance.policies.get(classification)
    chosen = getattr(policy, env, None) if policy else None
    return chosen.action.value if chosen is not None else NO_ACTION


def diff_policy(base: PipelineSnapshot, head: PipelineSnapshot) -> PolicyImpact:
    return PolicyImpact(
        classifications=_classification_changes(base, head),
        policies=_policy_changes(base.context.spec, head.context.spec),
        new_findings=_finding_difference(head.findings, base.findings),
        resolved_findings=_finding_difference(base.findings, head.findings),
    )


def _classification_changes(
    base: PipelineSnapshot, head: PipelineSnapshot
) -> list[ClassificationChange]:
    changes = []
    for node_id in sorted(set(base.models) & set(head.models)):
        before_model, after_model = base.models[node_id], head.models[node_id]
        for key in sorted(set(before_model.columns) & set(after_model.columns)):
            before = before_model.columns[key].classification
            after = after_model.columns[key].classification
            b_class = before.classification if before else None
            a_class = after.classification if after else None
            b_sens = before.sensitivity if before else None
            a_sens = after.sensitivity if after else None
            if (b_class, b_sens) == (a_class, a_sens):
                continue
            eff_before = {e: effective_action(base.context.spec, b_class, e) for e in ENVIRONMENTS}
            eff_after = {e: effective_action(head.context.spec, a_class, e) for e in ENVIRONMENTS}
            direction = _direction(b_class, a_class, b_sens, a_sens, eff_before, eff_after)
            changes.append(
                ClassificationChange(
                    model=after_model.name,
                    column=after_model.columns[key].name,
                    before=b_class,
                    after=a_class,
                    before_sensitivity=b_sens,
                    after_sensitivity=a_sens,
                    direction=direction,
                    needs_review=direction in ("removed", "weaker"),
                    effective_before=dict(eff_before),
                    effective_after=dict(eff_after),
                )
            )
    return changes


def _direction(
    b_class: str | None,
    a_class: str | None,
    b_sens: str | None,
    a_sens: str | None,
    eff_before: dict[Env, str],
    eff_after: dict[Env, str],
) -> Direction:
    if b_class is None:
        return "added"
    if a_class is None:
        return "removed"
    score = sum(
        ACTION_STRENGTH.get(eff_after[e], 0) - ACTION_STRENGTH.get(eff_before[e], 0)
        for e in ENVIRONMENTS
    )
    if score == 0 and _known(b_sens) and _known(a_sens):
        # A misspelt sensitivity (`hgih`) is a bad value, which FLOE106 reports; ranking it
        # would call it a weakening. Unset means the default, medium.
        score = SENSITIVITY_RANK.get(a_sens or "medium", 1) - SENSITIVITY_RANK.get(
            b_sens or "medium", 1
        )
    if score > 0:
        return "stricter"
    if score < 0:
        return "weaker"
    return "changed"


def _known(sensitivity: str | None) -> bool:
    return sensitivity is None or sensitivity in SENSITIVITY_RANK


def _policy_changes(base: FloeSpec, head: FloeSpec) -> list[PolicyChange]:
    changes = []
    names = set(base.governance.policies) | set(head.governance.policies)
    for name in sorted(names):
        for env in ENVIRONMENTS:
            before, after = effective_action(base, name, env), effective_action(head, name, env)
            if before == after:
                continue
            delta = ACTION_STRENGTH[after] - ACTION_STRENGTH[before]
            direction: Direction = (
                "added"
                if before == NO_ACTION
                else "removed"
                if after == NO_ACTION
                else "stricter"
                if delta > 0
                else "weaker"
                if delta < 0
                else "changed"
            )
            changes.append(
                PolicyChange(
                    classification=name,
                    environment=env,
                    before=before,
                    after=after,
                    direction=direction,
                )
            )
    return changes


def finding_key(finding: Finding) -> tuple[str, ...]:
    """Identity of a finding across revisions: where and what, not the line it is on."""
    if finding.model or finding.column:
        return (finding.rule_id, finding.model or "", finding.column or "", *finding.lineage_path)
    return (finding.rule_id, finding.message)


def _finding_difference(these: Sequence[Finding], those: Sequence[Finding]) -> list[Finding]:
    """Active findings of `these` that `those` does not have."""
    theirs = {finding_key(f) for f in those if not f.waived}
    mine = (f for f in these if not f.waived and finding_key(f) not in theirs)
    return sorted(mine, key=Finding.sort_key)
