"""The Dagster code location of a floe pipeline.

    FLOE_ARTIFACTS_PATH=.floe/artifacts.json dagster dev -m floe_ci.app.definitions

Reads the compiled artifacts named by FLOE_ARTIFACTS_PATH (default `.floe/artifacts.json`),
or compiles floe.yaml when they do not exist, and exposes `defs`.
"""

from __future__ import annotations

from floe_ci.app.code_location import load_artifacts
from floe_ci.integrations.dagster.asset_factory import create_definitions
from floe_ci.integrations.opentelemetry.tracing import configure_tracing

_artifacts, _root = load_artifacts()
configure_tracing(
    _artifacts.observability, pipeline=_artifacts.metadata.pipeline_name, command="dagster"
)
defs = create_definitions(_artifacts, _root)
