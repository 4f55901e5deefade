"""Rules about classified data served by the consumption layer (Cube)."""

from __future__ import annotations

from collections.abc import Iterator

from floe_ci.artifacts import ColumnClassification
from floe_ci.code_span import code
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import ModelFacts, Rule, RuleContext, register
from floe_ci.governance.rules.propagation import inherited_classifications
from floe_ci.spec.models import PolicyAction

# Actions that keep the raw value from a Cube consumer, per environment.
PROTECTIVE_ACTIONS: dict[str, frozenset[PolicyAction]] = {
    "production": frozenset(
        {PolicyAction.RESTRICT, PolicyAction.MASK, PolicyAction.HASH, PolicyAction.REDACT}
    ),
    "non_production": frozenset(PolicyAction),
}


def cube_enabled(ctx: RuleContext) -> bool:
    return ctx.spec.consumption.enabled and ctx.spec.consumption.cube is not None


def is_mart(model: ModelFacts) -> bool:
    return "marts" in [str(part) for part in (model.node.get("fqn") or [])[1:-1]]


def exposed_models(ctx: RuleContext) -> list[ModelFacts]:
    """Models Cube serves: `consumption.cube.models` (names, `tag:NAME`), or all marts.

    "Marts" are models in a folder named `marts`; a project without one exposes its leaf
    models (those no other model selects from).
    """
    cube = ctx.spec.consumption.cube
    if cube is None:
        return []
    if not cube.models:
        marts = [m for m in ctx.models.values() if is_mart(m)]
        if marts:
            return marts
        used = {p for m in ctx.models.values() for p in m.parents}
        return [m for m in ctx.models.values() if m.node_id not in used]
    selected: dict[str, ModelFacts] = {}
    for entry in cube.models:
        if entry.startswith("tag:"):
            tag = entry[4:]
            for model in ctx.models.values():
                if tag in (model.node.get("tags") or []):
                    selected[model.node_id] = model
        elif entry in ctx.by_name:
            selected[ctx.by_name[entry].node_id] = ctx.by_name[entry]
    return list(selected.values())


@register
class UnprotectedConsumption(Rule):
    """A classified column is served by Cube without a policy that protects it.

    Cube serves the models in `consumption.cube.models` (or all marts when the list is
    empty) to dashboards and APIs. Every classified column there, declared or inherited
    through lineage, needs a production policy that restricts, masks, hashes or redacts it
    (non-production may also synthesize); otherwise anyone with Cube access reads the raw
    personal data.

    Fix: give the classification a protective production action in floe.yaml, or stop
    serving the model (or the column) through Cube.
    """

    id = "FLOE401"
    name = "unprotected-consumption"
    severity = "error"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        if not cube_enabled(ctx):
            return
        inherited = inherited_classifications(ctx)
        policies = ctx.spec.governance.policies
        for model in sorted(exposed_models(ctx), key=lambda m: m.node_id):
            for key, column in sorted(model.columns.items()):
                classification: ColumnClassification | None = column.classification
                if classification is None and (model.node_id, key) in inherited:
                    classification = inherited[(model.node_id, key)].classification
                if classification is None:
                    continue
                name = classification.classification
                policy = policies.get(name)
                unprotected = []
                for environment in ctx.environments:
                    env_policy = getattr(policy, environment) if policy else None
                    if env_policy is None:
                        unprotected.append(f"no {environment} policy")
                    elif env_policy.action not in PROTECTIVE_ACTIONS[environment]:
                        unprotected.append(f"{environment} action {code(env_policy.action.value)}")
                if not unprotected:
                    continue
                yield self.column_finding(
                    ctx,
                    model,
                    column.name,
                    f"{code(model.name, column.name)} (classification {code(name)}) is served "
                    f"by Cube unprotected: {', '.join(unprotected)}",
                    f"set {code('governance.policies', name, 'production.action')} to restrict "
                    "(with requires_role), mask, hash or redact, or remove the model from "
                    "`consumption.cube.models`",
                )


@register
class UnknownCubeModel(Rule):
    """`consumption.cube.models` names a model or tag that selects nothing.

    An entry that matches no dbt model (a typo, a renamed model) silently serves nothing,
    and the governance checks of the consumption layer skip what was meant to be there.

    Fix: use an existing model name or `tag:NAME` with a tag that some model carries.
    """

    id = "FLOE402"
    name = "unknown-cube-model"
    severity = "warning"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        cube = ctx.spec.consumption.cube
        if not cube_enabled(ctx) or cube is None:
            return
        tags = {str(t) for m in ctx.models.values() for t in (m.node.get("tags") or [])}
        for index, entry in enumerate(cube.models):
            if entry.startswith("tag:"):
                if entry[4:] in tags:
                    continue
                message = f"`consumption.cube.models`: no model has the tag {code(entry[4:])}"
            elif entry in ctx.by_name:
                continue
            else:
                message = f"`consumption.cube.models`: no dbt model {code(entry)}"
            yield self.spec_finding(
                ctx,
                ("consumption", "cube", "models", index),
                message,
                "use a model name from the dbt project or `tag:NAME`",
            )
