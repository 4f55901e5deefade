"""Which dbt models become cubes: the same selection `floe-ci check` governs (FLOE401)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from floe_ci.artifacts import CompiledArtifacts


def exposed_model_names(artifacts: CompiledArtifacts, manifest: Mapping[str, Any]) -> list[str]:
    """`consumption.cube.models` (names, `tag:NAME`) resolved, or every mart; sorted."""
    from floe_ci.governance.evaluate import CheckOptions, build_context
    from floe_ci.governance.rules.consumption import exposed_models

    ctx = build_context(
        artifacts.to_spec(),
        manifest,
        None,
        CheckOptions(),
        lambda _node, _column: (None, None),
        lambda _path: None,
    )
    return sorted(model.name for model in exposed_models(ctx))
