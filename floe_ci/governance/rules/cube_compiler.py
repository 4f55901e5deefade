"""Rules whose findings come from Cube's own compiler, run by the Cube sync (FLOE403).

They cannot run inside `floe-ci check` (no Node there, and the core does no I/O): the Cube
sync (`floe-ci cube sync`, `floe-ci deploy`) compiles the generated models with Cube,
asks Cube what it would do, and reports through these rules with their ids and hints.
"""

from __future__ import annotations

from collections.abc import Callable

from floe_ci.code_span import code
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.base import RuleBase, register

SpecPosition = Callable[[tuple[str | int, ...]], tuple[int, int] | None]


class CubeCompilerRule(RuleBase):
    """A rule evaluated through Cube's compiler during the Cube sync."""


@register
class UnusedPreAggregation(CubeCompilerRule):
    """Cube would not answer queries from a generated pre-aggregation.

    For every pre-aggregation, the Cube sync builds, with Cube's compiler and a tenant's
    security context (the generated `queryRewrite` applied), Cube's refresh-key SQL, the
    pre-aggregation's description and the SQL of the pre-aggregation's own query (its
    measures by its time dimension). A refresh key Cube refuses, or a query Cube answers
    from the source tables instead of the pre-aggregation, is reported: such a
    pre-aggregation costs a refresh on every schedule and serves nothing.

    Fix: use a `consumption.cube.pre_aggregations.refresh_schedule` Cube accepts (equal
    intervals), and keep the tenant column (row-level security) in the served model.
    """

    id = "FLOE403"
    name = "unused-pre-aggregation"
    severity = "warning"

    def unused(
        self, pre_aggregation: str, reason: str, spec_file: str, locate: SpecPosition
    ) -> Finding:
        position = locate(("consumption", "cube", "pre_aggregations"))
        return self.finding(
            f"Cube would not use the pre-aggregation {code(pre_aggregation)}: {reason}",
            "keep the tenant column in the model (row-level security) and a refresh schedule "
            "Cube accepts; `floe-ci cube sync` shows Cube's own message",
            model=pre_aggregation.split(".")[0],
            file=spec_file,
            line=position[0] if position else None,
            column_number=position[1] if position else None,
        )
