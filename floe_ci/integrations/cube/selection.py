"""Which dbt models become cubes: the same selection `floe-ci check` governs (FLOE401)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.spec.models import FloeSpec


def spec_of(artifacts: CompiledArtifacts) -> FloeSpec:
    """The floe.yaml the artifacts were compiled from (its blocks are copied unchanged)."""
    return FloeSpec(
        name=artifacts.metadata.pipeline_name,
        version=artifacts.metadata.spec_version,
        compute=artifacts.compute,
        transforms=artifacts.transforms,
        consumption=artifacts.consumption,
        governance=artifacts.governance,
        observability=artifacts.observability,
        orchestration=artifacts.orchestration,
        deploy=artifacts.deploy,
    )


def exposed_model_names(artifacts: CompiledArtifacts, manifest: Mapping[str, Any]) -> list[str]:
    """`consumption.cube.models` (names, `tag:NAME`) resolved, or every mart; sorted."""
    from floe_ci.governance.check import CheckOptions, build_context
    from floe_ci.governance.rules.consumption import exposed_models

    ctx = build_context(
        spec_of(artifacts),
        manifest,
        None,
        CheckOptions(),
        lambda _node, _column: (None, None),
        lambda _path: None,
    )
    return sorted(model.name for model in exposed_models(ctx))
