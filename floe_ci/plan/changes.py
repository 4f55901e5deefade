"""The Plan value object. Categories (breaking, declassification...) are data, not prose."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from floe_ci.governance.result import Finding
from floe_ci.plan.deploy_plan import DeployPlan

ChangeKind = Literal["added", "removed", "modified"]
Category = Literal["breaking", "non_breaking"]
Direction = Literal["added", "removed", "stricter", "weaker", "changed"]

# How many names a message or a table cell shows of a downstream list before "and N more":
# a column of a staging model can feed hundreds of models, and one line naming them all is
# unreadable. The full lists stay in the Plan (the JSON report, the job summary).
NAMES_SHOWN = 10


def cap_names(names: Sequence[str], limit: int = NAMES_SHOWN) -> tuple[list[str], int]:
    """The first `limit` names and how many more there are: `(shown, 396)` reads
    "a, b, ... and 396 more"."""
    shown = list(names[:limit])
    return shown, len(names) - len(shown)


class _PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigChange(_PlanModel):
    """One setting of floe.yaml that differs, by dotted path (semantic, not textual)."""

    path: str
    kind: ChangeKind
    before: Any = None
    after: Any = None


class ColumnChange(_PlanModel):
    column: str
    kind: Literal["added", "removed", "renamed", "type_changed"]
    category: Category
    before_type: str | None = None
    after_type: str | None = None
    renamed_from: str | None = None
    used_by: list[str] = Field(
        default_factory=list, description="Downstream `model.column` that read this column."
    )
    renamed_downstream: list[str] = Field(
        default_factory=list,
        description="For a rename: downstream `model.column` that pass the column on under "
        "its new name in the same change (the rename followed down the lineage; those "
        "models do not report the rename again).",
    )


class ModelChange(_PlanModel):
    name: str
    node_id: str
    kind: ChangeKind
    category: Category
    reasons: list[str] = Field(default_factory=list, description="sql, config, materialization")
    materialization: str | None = None
    previous_materialization: str | None = None
    columns: list[ColumnChange] = Field(default_factory=list)
    declared_columns: bool = Field(
        default=False,
        description="The model's column lineage is unresolved (in base or head), so its "
        "columns are known only from the properties YAML: none is reported added, removed "
        "or renamed on that basis alone.",
    )
    downstream_models: list[str] = Field(default_factory=list)
    downstream_exposures: list[str] = Field(default_factory=list)
    affected_cubes: list[str] = Field(default_factory=list)


class LineageChange(_PlanModel):
    nodes_added: list[str] = Field(default_factory=list)
    nodes_removed: list[str] = Field(default_factory=list)
    edges_added: list[tuple[str, str]] = Field(default_factory=list)
    edges_removed: list[tuple[str, str]] = Field(default_factory=list)
    mermaid: str = ""
    mermaid_truncated: bool = False


class ClassificationChange(_PlanModel):
    """A column whose classification differs between base and head."""

    model: str
    column: str
    before: str | None
    after: str | None
    before_sensitivity: str | None = None
    after_sensitivity: str | None = None
    direction: Direction
    needs_review: bool
    effective_before: dict[str, str] = Field(
        default_factory=dict, description="environment -> action in base ('none' if nothing)"
    )
    effective_after: dict[str, str] = Field(default_factory=dict)


class PolicyChange(_PlanModel):
    """A governance policy whose action for an environment differs."""

    classification: str
    environment: Literal["production", "non_production"]
    before: str
    after: str
    direction: Direction


class PolicyImpact(_PlanModel):
    classifications: list[ClassificationChange] = Field(default_factory=list)
    policies: list[PolicyChange] = Field(default_factory=list)
    new_findings: list[Finding] = Field(default_factory=list)
    resolved_findings: list[Finding] = Field(default_factory=list)


class Plan(_PlanModel):
    """Everything a reviewer needs to judge a pull request, computed once.

    Rendered by report/ like findings (console, JSON under `plan`, the pull-request
    comment's sections); its JSON Schema is part of schemas/check-report.schema.json.
    """

    base_ref: str = Field(description="The base revision as given, with its commit.")
    head_ref: str = Field(description="The revision under review (`working tree` locally).")
    config: list[ConfigChange] = Field(
        default_factory=list, description="floe.yaml settings that differ."
    )
    models: list[ModelChange] = Field(
        default_factory=list, description="dbt models added, removed or modified, with columns."
    )
    lineage: LineageChange = Field(default_factory=LineageChange)
    policy: PolicyImpact = Field(default_factory=PolicyImpact)
    review_findings: list[Finding] = Field(
        default_factory=list,
        description="Findings the change itself raises (breaking change, declassification).",
    )
    deploy: DeployPlan | None = Field(
        default=None,
        description="What the merge deploys (plan/deploy_plan.py); None without helm.",
    )

    def breaking(self) -> list[ModelChange]:
        return [m for m in self.models if m.category == "breaking"]

    def is_empty(self) -> bool:
        return not (
            self.config or self.models or self.policy.classifications or self.policy.policies
        )
