"""Gather PipelineSnapshots and review a pull request (the I/O edge of the plan)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from floe_ci.plan.snapshot import PipelineSnapshot

if TYPE_CHECKING:
    from floe_ci.governance.check import CheckOptions, CheckRun
    from floe_ci.governance.result import CheckResult
    from floe_ci.plan.model import Plan


def snapshot_from_run(run: CheckRun, ref: str) -> PipelineSnapshot:
    return PipelineSnapshot(
        ref=ref, context=run.context, manifest=run.manifest, findings=run.result.findings
    )


def snapshot_of(
    config_path: Path, ref: str, options: CheckOptions | None = None
) -> PipelineSnapshot:
    """Compile and check the pipeline at `config_path`: spec, manifest, lineage, findings."""
    from floe_ci.governance.check import CheckOptions, collect_check

    run = collect_check(config_path, options or CheckOptions())
    return snapshot_from_run(run, ref)


def review_pull_request(
    config_path: Path, base_ref: str, options: CheckOptions, head_ref: str = "working tree"
) -> tuple[CheckResult, Plan]:
    """Check the working tree, compare it with `base_ref`, and fold the review findings
    (declassification, breaking change, weaker policy) into the verdict."""
    from floe_ci.governance.check import collect_check, long_lived_objects
    from floe_ci.plan.base_revision import base_snapshot
    from floe_ci.plan.build import build_plan

    with long_lived_objects() as settled:
        head = collect_check(config_path, options)
        base = base_snapshot(config_path, base_ref, options)
        settled()  # two manifests: keep the collector off them while the plan is built
        plan = build_plan(base, snapshot_from_run(head, head_ref))
    findings = sorted([*head.result.findings, *plan.review_findings], key=lambda f: f.sort_key())
    return head.result.model_copy(update={"findings": findings}), plan
