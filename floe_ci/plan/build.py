"""Compute the Plan from two snapshots: the one function the rest of floe-ci calls.

The diffs (config, schema, lineage, policy) say what changed; the review rules
(governance/rules/review.py, FLOE5xx) then read those changes, with the head's facts, and
say which of them a reviewer must look at.
"""

from __future__ import annotations

from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import RuleContext
from floe_ci.governance.rules.registry import review_rules
from floe_ci.governance.rules.review import Changes
from floe_ci.plan.changes import Plan
from floe_ci.plan.config_diff import diff_specs
from floe_ci.plan.lineage_diff import diff_lineage
from floe_ci.plan.policy_diff import diff_policy
from floe_ci.plan.schema_diff import diff_models
from floe_ci.plan.snapshot import PipelineSnapshot


def build_plan(base: PipelineSnapshot, head: PipelineSnapshot) -> Plan:
    models = diff_models(base, head)
    policy = diff_policy(base, head)
    changes = Changes(
        models=models, classifications=policy.classifications, policies=policy.policies
    )
    return Plan(
        base_ref=base.ref,
        head_ref=head.ref,
        config=diff_specs(base.context.spec, head.context.spec),
        models=models,
        lineage=diff_lineage(base, head, models),
        policy=policy,
        review_findings=review_findings(head.context, changes),
    )


def review_findings(head: RuleContext, changes: Changes) -> list[Finding]:
    """Every review rule over the changes, in rule id order."""
    return [finding for rule in review_rules() for finding in rule().review(head, changes)]
