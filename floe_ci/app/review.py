"""`floe-ci check --base`: check the head and the base revision, build the Plan between them.

The base commit is checked out once under `.floe/cache/base/<sha>/` (integrations/git); its
dbt manifest, lineage cache and check result are produced there on first use and reused
afterwards, so a CI job that restores `.floe/cache/` compiles the base only when it moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from floe_ci.app.check import CheckRun, collect_check
from floe_ci.app.pr_feedback import ApprovalLookup, decide_exceptions
from floe_ci.app.progress import step
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import project_lock
from floe_ci.governance.evaluate import CheckOptions
from floe_ci.integrations.git.worktree import checkout, repository_top, resolve_commit
from floe_ci.plan.snapshot import PipelineSnapshot

if TYPE_CHECKING:
    from floe_ci.governance.result import CheckResult
    from floe_ci.integrations.dbt.project import DbtProject
    from floe_ci.lineage.builder import Analyser
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
    config_path: Path,
    base_ref: str,
    options: CheckOptions,
    head_ref: str = "working tree",
    *,
    head_manifest: Path | None = None,
    base_manifest: Path | None = None,
    approval_for: ApprovalLookup | None = None,
    elsewhere: Analyser | None = None,
) -> tuple[CheckResult, Plan]:
    """Check the working tree, compare it with `base_ref`, and fold the review findings
    (declassification, breaking change, weaker policy) into the verdict; with the base's
    `governance.approvers`, exceptions wait for their approval (`approval_for`, the action's
    reading of the pull request's reviews; None: not approved).

    `head_manifest` / `base_manifest`: manifests the CI job already has (dbt's `--state`
    folders, dbt Cloud artifacts), used instead of parsing that side. The base is prepared
    first (its checkout and packages), so that a base that cannot be parsed stops the
    review before minutes are spent on the head. `elsewhere` analyses SQL in a helper
    process while it can (app.analysis_helper)."""
    from floe_ci.gc_tuning import long_lived_objects
    from floe_ci.plan.build import build_plan

    with step("base_revision", "base revision"):
        base = prepare_base(config_path, base_ref, options, manifest=base_manifest)
    with long_lived_objects() as settled:
        head = collect_check(config_path, options, manifest_path=head_manifest, elsewhere=elsewhere)
        if base_manifest is None:
            base.seed_partial_parse(config_path)
        with step("base_revision", "base revision"):
            base_run = collect_check(
                base.config,
                options,
                manifest_path=base_manifest,
                fixed_revision=base.sha,
                elsewhere=elsewhere,
            )
        settled()  # two manifests: keep the collector off them while the plan is built
        before = snapshot_from_run(base_run, base.label)
        with step("plan"):
            plan = build_plan(before, snapshot_from_run(head, head_ref))
    findings = sorted([*head.result.findings, *plan.review_findings], key=lambda f: f.sort_key())
    findings = decide_exceptions(findings, before.context, head.context, approval_for)
    from floe_ci.app.deploy_plan import deploy_plan_or_none

    with step("deploy_plan", "deploy plan"):
        deploy = deploy_plan_or_none(config_path, base_ref)
    plan = plan.model_copy(update={"deploy": deploy})
    return head.result.model_copy(update={"findings": findings}), plan


@dataclass(frozen=True)
class BaseRevision:
    """A review's base, checked out and ready to be checked."""

    config: Path  # floe.yaml in the base worktree
    sha: str
    label: str  # "main (0123456789ab)"
    packages: str  # how its dbt packages were provided, in words
    checkout: Path | None = None  # `.floe/cache/base/<sha>/`
    # the head's and the base's, with the target folders their checks parse into
    projects: tuple[DbtProject, DbtProject] | None = None

    def seed_partial_parse(self, head_config: Path) -> None:
        """A new checkout starts from dbt's partial parse of the head or an older base (call
        it after the head's parse: the head's is then the newest)."""
        if self.checkout is not None and self.projects is not None:
            from floe_ci.integrations.dbt.partial_parse import seed_base_checkout

            head, base = self.projects
            seed_base_checkout(head, base, self.checkout, head_config.resolve().parent)


def prepare_base(
    config_path: Path, ref: str, options: CheckOptions, *, manifest: Path | None = None
) -> BaseRevision:
    """Check `ref` out under `.floe/cache/base/<sha>/` and give it its dbt packages.

    With `manifest` (the base's manifest, given), packages are provided when that is cheap
    and never stop the review: only models compiled with dbt need them."""
    from floe_ci.app.compile import dbt_project_of, state_dir_for
    from floe_ci.app.spec_file import load_spec
    from floe_ci.integrations.dbt.base_packages import provide_base_packages

    config_file = options.config_file
    folder = config_path.resolve().parent
    top = repository_top(folder, config_file)
    sha = resolve_commit(ref, folder)
    relative = config_path.resolve().relative_to(top)
    # One checkout per commit and one install of its packages, however many runs: parallel
    # reviews of one checkout would otherwise copy into (or `dbt deps`) one folder at once.
    with project_lock(folder / ".floe"):
        worktree = checkout(top, folder / ".floe" / "cache" / "base", sha)
        base_config = worktree / relative
        if not base_config.is_file():
            raise FloeUsageError.single(
                config_file,
                f"{relative.as_posix()} does not exist at {ref} ({sha[:12]})",
                hint="the pull request that introduces floe.yaml has no base to compare: run "
                "`floe-ci check` without --base",
            )
        head_project = dbt_project_of(load_spec(config_path, config_file), config_file)
        base_project = dbt_project_of(load_spec(base_config, config_file), config_file)
        how = "no dbt project"
        if head_project is not None and base_project is not None:
            try:
                how = provide_base_packages(head_project, base_project, state_dir_for(base_config))
            except FloeUsageError:
                if manifest is None:
                    raise
                how = "not installed (the base's manifest was given)"
    projects = None
    if head_project is not None and base_project is not None:
        from floe_ci.integrations.dbt.parse import check_parse_project

        # as each check parses them, each into the target folder of its own `.floe/`
        target = options.compile_target
        projects = (
            check_parse_project(head_project, state_dir_for(config_path), target),
            check_parse_project(base_project, state_dir_for(base_config), target),
        )
    return BaseRevision(base_config, sha, f"{ref} ({sha[:12]})", how, worktree, projects)


def base_snapshot(config_path: Path, ref: str, options: CheckOptions) -> PipelineSnapshot:
    """Compile and check the pipeline as it was at `ref` (same options as the head)."""
    base = prepare_base(config_path, ref, options)
    base.seed_partial_parse(config_path)
    # The checkout of a commit does not change: its manifest and findings are reused as is.
    run = collect_check(base.config, options, fixed_revision=base.sha)
    return snapshot_from_run(run, base.label)
