"""`floe-ci check --base`: check the head and the base revision, build the Plan between them.

The base commit is checked out once under `.floe/cache/base/<sha>/` (integrations/git); its
dbt manifest, lineage cache and check result are produced there on first use and reused
afterwards, so a CI job that restores `.floe/cache/` compiles the base only when it moved.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from floe_ci.app.check import CheckRun, collect_check
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import project_lock
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.integrations.git.worktree import checkout, repository_top, resolve_commit
from floe_ci.plan.snapshot import PipelineSnapshot

if TYPE_CHECKING:
    from floe_ci.governance.result import CheckResult
    from floe_ci.plan.changes import Plan


def snapshot_from_run(run: CheckRun, ref: str) -> PipelineSnapshot:
    return PipelineSnapshot(
        ref=ref, context=run.context, manifest=run.manifest, findings=run.result.findings
    )


def snapshot_of(
    config_path: Path, ref: str, options: CheckOptions | None = None
) -> PipelineSnapshot:
    """Compile and check the pipeline at `config_path`: spec, manifest, lineage, findings."""
    run = collect_check(config_path, options or CheckOptions())
    return snapshot_from_run(run, ref)


def review_pull_request(
    config_path: Path, base_ref: str, options: CheckOptions, head_ref: str = "working tree"
) -> tuple[CheckResult, Plan]:
    """Check the working tree, compare it with `base_ref`, and fold the review findings
    (declassification, breaking change, weaker policy) into the verdict."""
    from floe_ci.gc_tuning import long_lived_objects
    from floe_ci.plan.build import build_plan

    with long_lived_objects() as settled:
        head = collect_check(config_path, options)
        base = base_snapshot(config_path, base_ref, options)
        settled()  # two manifests: keep the collector off them while the plan is built
        plan = build_plan(base, snapshot_from_run(head, head_ref))
    findings = sorted([*head.result.findings, *plan.review_findings], key=lambda f: f.sort_key())
    return head.result.model_copy(update={"findings": findings}), plan


def base_snapshot(config_path: Path, ref: str, options: CheckOptions) -> PipelineSnapshot:
    """Compile and check the pipeline as it was at `ref` (same options as the head)."""
    config_file = options.config_file
    folder = config_path.resolve().parent
    top = repository_top(folder, config_file)
    sha = resolve_commit(ref, folder)
    relative = config_path.resolve().relative_to(top)
    with project_lock(folder / ".floe"):  # one checkout per commit, however many runs
        worktree = checkout(top, folder / ".floe" / "cache" / "base", sha)
    base_config = worktree / relative
    if not base_config.is_file():
        raise FloeUsageError.single(
            config_file,
            f"{relative.as_posix()} does not exist at {ref} ({sha[:12]})",
            hint="the pull request that introduces floe.yaml has no base to compare: run "
            "`floe-ci check` without --base",
        )
    # The checkout of a commit does not change: its manifest and findings are reused as is.
    run = collect_check(base_config, options, fixed_revision=sha)
    return snapshot_from_run(run, f"{ref} ({sha[:12]})")
