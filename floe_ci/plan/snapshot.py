"""One side of a comparison: the pipeline as compiled and checked at one revision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import ColumnFacts, ModelFacts, RuleContext
from floe_ci.governance.rules.consumption import exposed_models


@dataclass(frozen=True)
class PipelineSnapshot:
    ref: str  # a git revision or "working tree"
    context: RuleContext  # the facts the governance rules read (spec, models, lineage)
    manifest: Mapping[str, Any]
    findings: Sequence[Finding]

    @property
    def models(self) -> dict[str, ModelFacts]:
        return self.context.models

    @cached_property
    def cubes(self) -> set[str]:
        """Names of the models Cube serves (each becomes a cube of the same name)."""
        consumption = self.context.spec.consumption
        if not consumption.enabled:
            return set()
        return {model.name for model in exposed_models(self.context)}

    @cached_property
    def children(self) -> dict[str, list[str]]:
        child_map = self.manifest.get("child_map")
        if isinstance(child_map, Mapping):
            return {str(k): [str(c) for c in v] for k, v in child_map.items()}
        built: dict[str, list[str]] = {}
        for node_id, node in self.manifest.get("nodes", {}).items():
            for parent in (node.get("depends_on") or {}).get("nodes") or []:
                built.setdefault(parent, []).append(node_id)
        return built

    def downstream(self, node_id: str) -> set[str]:
        """Every node reachable from `node_id` through the DAG (not including itself)."""
        seen: set[str] = set()
        stack = list(self.children.get(node_id, []))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.children.get(current, []))
        return seen

    def edges(self) -> set[tuple[str, str]]:
        """Model-level DAG edges (parent, child) between models, seeds, sources, exposures."""
        return {(parent, child) for parent, kids in self.children.items() for child in kids}

    def node_name(self, node_id: str) -> str:
        for section in ("nodes", "sources", "exposures"):
            node = (self.manifest.get(section) or {}).get(node_id)
            if isinstance(node, Mapping) and node.get("name"):
                return str(node["name"])
        return node_id.rsplit(".", 1)[-1]

    def resolved(self, model: ModelFacts) -> bool:
        """True when lineage knows the columns the model's SQL produces; otherwise its only
        columns are the declared ones, which may be stale or incomplete documentation."""
        lineage = self.context.lineage
        return lineage is not None and lineage.columns(model.node_id) is not None

    def schema(self, model: ModelFacts) -> dict[str, ColumnFacts]:
        """The model's columns as built: its SQL's output when lineage resolved it (declared
        columns can be stale documentation), otherwise the declared columns."""
        lineage = self.context.lineage
        produced = lineage.columns(model.node_id) if lineage is not None else None
        if produced is None:
            return dict(model.columns)
        return {
            name.lower(): model.columns.get(name.lower()) or ColumnFacts(name=name, declared=False)
            for name in produced
        }

    def sources(self, node_id: str, column: str) -> frozenset[tuple[str, str]]:
        """(node_id, column) pairs one step upstream of a column; empty without lineage."""
        lineage = self.context.lineage
        if lineage is None:
            return frozenset()
        return frozenset(
            (ref.node_id, ref.column.lower()) for ref in lineage.upstream(node_id, column)
        )

    def consumers(self, node_id: str, column: str) -> list[str]:
        """Downstream `model.column` that read (node_id, column) directly, by lineage."""
        lineage = self.context.lineage
        if lineage is None:
            return []
        used = []
        for child_id in self.children.get(node_id, []):
            child = self.models.get(child_id)
            if child is None:
                continue
            for output in lineage.columns(child_id) or []:
                if (node_id, column.lower()) in self.sources(child_id, output):
                    used.append(f"{child.name}.{output}")
        return sorted(used)
