"""Dagster integration: Definitions built from CompiledArtifacts (see asset_factory).

Importing this package does not import Dagster; `create_definitions` does, when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import Definitions

    from floe_ci.artifacts import CompiledArtifacts


def create_definitions(artifacts: CompiledArtifacts, project_root: Path) -> Definitions:
    """Dagster Definitions for the pipeline; `project_root` is the folder holding floe.yaml."""
    from floe_ci.integrations.dagster.asset_factory import create_definitions as build

    return build(artifacts, project_root)
