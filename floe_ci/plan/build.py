"""Compute the Plan from two snapshots: the one function the rest of floe-ci calls."""

from __future__ import annotations

from floe_ci.governance.rules.review import review_findings
from floe_ci.plan.changes import Plan
from floe_ci.plan.config_diff import diff_specs
from floe_ci.plan.lineage_diff import diff_lineage
from floe_ci.plan.policy_diff import diff_policy
from floe_ci.plan.schema_diff import diff_models
from floe_ci.plan.snapshot import PipelineSnapshot


def build_plan(base: PipelineSnapshot, head: PipelineSnapshot) -> Plan:
    models = diff_models(base, head)
    policy = diff_policy(base, head)
    return Plan(
        base_ref=base.ref,
        head_ref=head.ref,
        config=diff_specs(base.context.spec, head.context.spec),
        models=models,
        lineage=diff_lineage(base, head, models),
        policy=policy,
        review_findings=review_findings(head, models, policy.classifications, policy.policies),
    )
