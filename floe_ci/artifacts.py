"""CompiledArtifacts: the compiler's output and the runtime's input (`.floe/artifacts.json`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from floe_ci.governance.result import Finding
from floe_ci.spec.models import (
    CatalogConfig,
    ComputeConfig,
    ConsumptionConfig,
    DeployConfig,
    FloeSpec,
    GovernanceConfig,
    ObservabilityConfig,
    OrchestrationConfig,
    TransformConfig,
)

# 2.0.0: findings are the check report's Finding (rule_id, rule_name, ...), not {rule, ...}.
ARTIFACTS_VERSION = "2.0.0"


class ArtifactModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArtifactMetadata(ArtifactModel):
    """Metadata about compilation."""

    compiled_at: datetime
    floe_core_version: str = Field(description="Version of floe-ci that compiled.")
    source_hash: str = Field(description="sha256 of floe.yaml's bytes.")
    pipeline_name: str
    spec_version: str


class EnvironmentContext(ArtifactModel):
    """Runtime context injected by a control plane (absent from local compilation)."""

    tenant_id: UUID
    tenant_slug: str
    project_id: UUID
    project_slug: str
    environment_id: UUID
    environment_type: Literal["development", "preview", "staging", "production"]
    governance_category: Literal["production", "non_production"]


class ColumnClassification(ArtifactModel):
    """A column's classification as declared in dbt meta under the `floe` key."""

    classification: str
    pii_type: str | None = None
    sensitivity: str = "medium"


class CompiledArtifacts(ArtifactModel):
    """Output of compilation - input to the runtime (Dagster, dbt, Cube, Helm)."""

    version: str = ARTIFACTS_VERSION
    metadata: ArtifactMetadata
    compute: ComputeConfig
    transforms: list[TransformConfig]
    consumption: ConsumptionConfig
    governance: GovernanceConfig
    observability: ObservabilityConfig
    orchestration: OrchestrationConfig
    deploy: DeployConfig
    catalog: CatalogConfig | None = None

    # Paths are relative to the folder holding floe.yaml, so artifacts are portable.
    dbt_project_path: str | None = None
    dbt_manifest_path: str | None = None
    dbt_profiles_path: str | None = None

    lineage_namespace: str | None = None
    environment_context: EnvironmentContext | None = None

    column_classifications: dict[str, dict[str, ColumnClassification]] | None = Field(
        default=None, description="model name -> column name -> classification"
    )
    findings: list[Finding] = Field(
        default_factory=list,
        description="Problems in the inputs that did not stop compilation (e.g. a bad meta value), "
        "reported like `floe-ci check`'s findings",
    )

    # The floe.yaml blocks the compiler copies through unchanged (see compiler.py).
    SPEC_BLOCKS: ClassVar[tuple[str, ...]] = (
        "compute",
        "transforms",
        "consumption",
        "governance",
        "observability",
        "orchestration",
        "deploy",
        "catalog",
    )

    def to_spec(self) -> FloeSpec:
        """The floe.yaml these artifacts were compiled from (its blocks are copied unchanged)."""
        return FloeSpec(
            name=self.metadata.pipeline_name,
            version=self.metadata.spec_version,
            **{block: getattr(self, block) for block in self.SPEC_BLOCKS},
        )
