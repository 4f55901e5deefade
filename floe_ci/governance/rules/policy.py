"""Rules about the policies in floe.yaml and the classifications that need them."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from floe_ci.code_span import code
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import Rule, RuleContext, register
from floe_ci.spec.models import EnvironmentPolicy, PolicyAction

# Actions that make no sense in an environment: synthetic data would replace the real
# values production consumers rely on.
UNFIT_ACTIONS: dict[str, dict[PolicyAction, str]] = {
    "production": {
        PolicyAction.SYNTHESIZE: "synthetic values would replace the real data production "
        "serves; use restrict (with requires_role), mask, hash or redact"
    },
    "non_production": {},
}


def _environment_policies(
    ctx: RuleContext,
) -> Iterator[tuple[str, str, EnvironmentPolicy]]:
    for name, policy in ctx.spec.governance.policies.items():
        for environment in ctx.environments:
            env_policy = getattr(policy, environment)
            if env_policy is not None:
                yield name, environment, env_policy


@register
class UnpolicedClassification(Rule):
    """A classification used in dbt has no policy in floe.yaml.

    A column classified `classification: X` in dbt meta needs `governance.policies.X` in
    floe.yaml: without it nobody has decided what happens to the data in production and
    non-production, and nothing will protect it. Usually a typo of an existing policy name,
    or a new classification whose policy was forgotten.

    Fix: add the policy under `governance.policies` in floe.yaml, or correct the name.
    """

    id = "FLOE101"
    name = "unpoliced-classification"
    severity = "error"
    scope = "relation"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        policies = sorted(ctx.spec.governance.policies)
        for model in ctx.models.values():
            for column in model.columns.values():
                if column.classification is None:
                    continue
                wanted = column.classification.classification
                if wanted in ctx.spec.governance.policies:
                    continue
                close = difflib.get_close_matches(wanted, policies, n=1)
                hint = (
                    (f"did you mean {code(close[0])}? " if close else "")
                    + f"add {code('governance.policies', wanted)} to {ctx.spec_file}"
                    + (f" (policies defined: {', '.join(policies)})" if policies else "")
                )
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{code(model.name, column.name)} is classified {code(wanted)}, but "
                    f"{ctx.spec_file} has no policy {code(wanted)}",
                    hint,
                )


@register
class PolicyMissingEnvironment(Rule):
    """A policy has no action for an environment.

    Every policy must say what happens in `production` and in `non_production`; a missing
    environment means classified data reaches it unprotected. `floe-ci check --env NAME`
    checks one environment only.

    Fix: add `production: {action: ...}` / `non_production: {action: ...}` to the policy.
    """

    id = "FLOE102"
    name = "policy-missing-environment"
    severity = "error"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for name, policy in ctx.spec.governance.policies.items():
            for environment in ctx.environments:
                if getattr(policy, environment) is not None:
                    continue
                example = (
                    "restrict, requires_role: [NAME]" if environment == "production" else "mask"
                )
                yield self.spec_finding(
                    ctx,
                    ("governance", "policies", name),
                    f"policy {code(name)} has no action for {environment}",
                    f"add {code(f'{environment}: {{action: {example}}}')} under "
                    f"{code('governance.policies', name)}",
                )


@register
class RestrictWithoutRole(Rule):
    """A `restrict` policy names no role that may read the data.

    `restrict` means "only these roles read the raw value". With an empty
    `requires_role` nobody can read it, which is never what was meant: usually the
    role list was forgotten.

    Fix: add `requires_role: [ROLE, ...]`, or choose `redact` if nobody should read it.
    """

    id = "FLOE103"
    name = "restrict-without-role"
    severity = "error"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for name, environment, env_policy in _environment_policies(ctx):
            if env_policy.action == PolicyAction.RESTRICT and not env_policy.requires_role:
                yield self.spec_finding(
                    ctx,
                    ("governance", "policies", name, environment, "action"),
                    f"policy {code(name)} restricts {environment} access but names no role in "
                    "`requires_role`",
                    "add `requires_role: [ROLE]` (the roles that may read the raw value), or "
                    "use `action: redact` if nobody should",
                )


@register
class ActionUnfitForEnvironment(Rule):
    """A policy's action makes no sense for its environment.

    `synthesize` in `production` would replace the data that dashboards, Cube and
    customers rely on with fake values. Synthetic data is for non-production.

    Fix: use `restrict` (with `requires_role`), `mask`, `hash` or `redact` in production.
    """

    id = "FLOE104"
    name = "action-unfit-for-environment"
    severity = "error"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for name, environment, env_policy in _environment_policies(ctx):
            reason = UNFIT_ACTIONS[environment].get(env_policy.action)
            if reason:
                yield self.spec_finding(
                    ctx,
                    ("governance", "policies", name, environment, "action"),
                    f"policy {code(name)}: {code(env_policy.action.value)} is not an action for "
                    f"{environment}",
                    reason,
                )


@register
class RolesWithoutRestrict(Rule):
    """A policy lists `requires_role` but its action is not `restrict`.

    Roles only mean something for `restrict`; with `mask`, `hash`, `redact` or
    `synthesize` everyone sees the transformed value and the role list is ignored. The
    policy contradicts itself: either the roles or the action is wrong.

    Fix: use `action: restrict`, or remove `requires_role`.
    """

    id = "FLOE105"
    name = "roles-without-restrict"
    severity = "warning"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for name, environment, env_policy in _environment_policies(ctx):
            if env_policy.requires_role and env_policy.action != PolicyAction.RESTRICT:
                yield self.spec_finding(
                    ctx,
                    ("governance", "policies", name, environment, "requires_role"),
                    f"policy {code(name)} in {environment}: `requires_role` is ignored with "
                    f"`action: {env_policy.action.value}`",
                    "use `action: restrict` to let only these roles read the value, or remove "
                    "`requires_role`",
                )
