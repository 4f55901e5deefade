"""Gather what a deploy would apply at a revision, and the plan between two revisions.

At one revision (the working tree, or a base commit checked out under `.floe/cache/base/`):
compile floe.yaml, `dbt parse` with the deployment profile (the real table names), generate
the Cube models (into `.floe/deploy/plan/`, leaving `.floe/cube/` to the deploy), generate
the Helm values and `helm template` the chart. The core (`plan/deploy_plan.py`) diffs two
such revisions and fingerprints the head's.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import project_lock, write_atomic
from floe_ci.plan.deploy_plan import DeployInputs, DeployPlan, build_deploy_plan

DEPLOY_DIR = Path(".floe") / "deploy"
PLAN_DIR = DEPLOY_DIR / "plan"
PLAN_FILE = "deploy-plan.json"


@dataclass(frozen=True)
class RevisionRender:
    """One revision's deploy, rendered: the plan's inputs and what the apply needs."""

    inputs: DeployInputs
    artifacts: CompiledArtifacts
    manifest_path: Path
    values_files: tuple[Path, ...]
    cube_config: str | None


@dataclass(frozen=True)
class PlanRun:
    plan: DeployPlan
    head: RevisionRender
    base: RevisionRender | None


def chart_artifacts_json(artifacts: CompiledArtifacts) -> str:
    """The artifacts the chart mounts, with `compiled_at` pinned to the epoch (as
    SOURCE_DATE_EPOCH=0 would): the same sources render the same manifests, so the plan
    reviewed on the pull request and the one recomputed at merge can be compared."""
    from floe_ci.app.compile import artifacts_json

    metadata = artifacts.metadata.model_copy(update={"compiled_at": datetime.fromtimestamp(0, UTC)})
    return artifacts_json(artifacts.model_copy(update={"metadata": metadata}))


def render_revision(
    config: Path,
    environment: str | None,
    helm: Path,
    ref: str,
    *,
    artifacts: CompiledArtifacts | None = None,
    plan_fingerprint: str | None = None,
) -> RevisionRender:
    """Compile (unless given), parse, generate Cube models and values, `helm template`.

    Holding the project's lock: the render writes fixed folders of `.floe/deploy/` (the
    parse's target, the Cube models, the staged chart), and parallel reviews of one
    checkout read each other's half-written manifest or half-staged chart otherwise."""
    from floe_ci.app.compile import state_dir_for

    with project_lock(state_dir_for(config)):
        return _render_revision(config, environment, helm, ref, artifacts, plan_fingerprint)


def _render_revision(
    config: Path,
    environment: str | None,
    helm: Path,
    ref: str,
    artifacts: CompiledArtifacts | None,
    plan_fingerprint: str | None,
) -> RevisionRender:
    from floe_ci.app.compile import compile_pipeline
    from floe_ci.integrations.cube.sync import CUBE_JS, sync_cube
    from floe_ci.integrations.dbt.deploy_manifest import manifest_checksum, parse_with_profile
    from floe_ci.integrations.dbt.parse import load_manifest
    from floe_ci.integrations.helm.client import HelmChartCall, HelmClient
    from floe_ci.integrations.helm.manifests import parse_manifests
    from floe_ci.integrations.helm.staging import stage_chart
    from floe_ci.integrations.helm.values import (
        deep_merge,
        generated_values,
        release_settings,
        resolve_chart,
        user_values,
    )

    root = config.resolve().parent
    artifacts = artifacts or compile_pipeline(config, display=str(config))
    environment = environment if artifacts.deploy.environments else None
    release = release_settings(artifacts, environment)
    manifest_path = parse_with_profile(artifacts, root)
    manifest = load_manifest(manifest_path)
    cube_models: dict[str, str] = {}
    cube_config = None
    if artifacts.consumption.enabled and artifacts.consumption.cube is not None:
        cube = sync_cube(
            artifacts,
            root,
            output_dir=root / PLAN_DIR / "cube",
            manifest_path=manifest_path,
            validate=False,
        )
        cube_models = cube.files()
        cube_config = (cube.output_dir / CUBE_JS).read_text(encoding="utf-8")
    artifacts_text = chart_artifacts_json(artifacts)
    generated = generated_values(
        artifacts,
        artifacts_json=artifacts_text,
        manifest_checksum=manifest_checksum(manifest),
        cube_config=cube_config,
        cube_models=cube_models,
        plan_fingerprint=plan_fingerprint,
    )
    user = user_values(artifacts, release.environment)
    folder = root / DEPLOY_DIR
    generated_file = folder / "values.generated.yaml"
    user_file = folder / f"values.{release.environment or 'default'}.yaml"
    write_atomic(generated_file, _yaml(generated, "generated from floe.yaml and the artifacts"))
    write_atomic(user_file, _yaml(user, "deploy.values"))
    chart = stage_chart(resolve_chart(artifacts.deploy.chart, root), folder / "chart")
    call = HelmChartCall(chart, release, (generated_file, user_file))
    rendered = HelmClient(helm, os.environ).template(call)
    if not rendered.ok:
        raise FloeUsageError.single(
            str(config),
            f"`helm template` failed at {ref}: {rendered.error()}",
            hint="run `floe-ci deploy --dry-run` there to see every step",
        )
    digest = "sha256:" + hashlib.sha256(artifacts_text.encode()).hexdigest()
    inputs = DeployInputs(
        ref=ref,
        artifacts_digest=digest,
        manifest=manifest,
        documents=parse_manifests(rendered.stdout),
        cube_models=cube_models,
        values=deep_merge(generated, user),
    )
    return RevisionRender(inputs, artifacts, manifest_path, call.values_files, cube_config)


def compute_plan(
    config: Path,
    base_config: Path | None,
    environment: str | None,
    helm: Path,
    *,
    head_ref: str,
    base_ref: str | None,
    head_artifacts: CompiledArtifacts | None = None,
) -> PlanRun:
    """The plan from `base_config` (None: a first deploy, everything builds) to `config`."""
    base = None
    if base_config is not None:
        base = render_revision(base_config, environment, helm, base_ref or "base")
    head = render_revision(config, environment, helm, head_ref, artifacts=head_artifacts)
    from floe_ci.integrations.helm.values import release_settings

    env = environment if head.artifacts.deploy.environments else None
    release = release_settings(head.artifacts, env)
    plan = build_deploy_plan(
        base.inputs if base else None,
        head.inputs,
        release=release.name,
        namespace=release.namespace,
    )
    return PlanRun(plan, head, base)


def base_checkout(config: Path, ref: str) -> tuple[Path | None, str]:
    """floe.yaml as it was at `ref` (checked out once under .floe/cache/base/), and its
    commit (12 digits); None when floe.yaml did not exist there (a first deploy)."""
    from floe_ci.integrations.git.worktree import checkout, repository_top, resolve_commit

    folder = config.resolve().parent
    top = repository_top(folder, str(config))
    sha = resolve_commit(ref, folder)
    with project_lock(folder / ".floe"):  # one checkout per commit, as the review's
        worktree = checkout(top, folder / ".floe" / "cache" / "base", sha)
    base_config = worktree / config.resolve().relative_to(top)
    # The commit alone: the review's `main` and the merge's `before` name the same base.
    return (base_config if base_config.is_file() else None), sha[:12]


def plan_for_review(config: Path, base_ref: str, environment: str = "production") -> DeployPlan:
    """The deploy plan of a pull request (`check --base`): written to
    `.floe/deploy/deploy-plan.json` too, for the run's artifacts."""
    from floe_ci.integrations.helm.binary import require_helm

    helm = require_helm()
    base_config, shown = base_checkout(config, base_ref)
    run = compute_plan(
        config, base_config, environment, helm, head_ref=_head_ref(config), base_ref=shown
    )
    write_plan(config, run.plan)
    return run.plan


def deploy_plan_or_none(config: Path, base_ref: str) -> DeployPlan | None:
    """The review's deploy plan, or None when floe.yaml declares no `deploy`, helm is not
    installed, or the deploy cannot be rendered here (e.g. the deployment's credentials are
    missing for `dbt parse`): the review itself never fails for it."""
    import click

    from floe_ci.app.spec_file import load_spec
    from floe_ci.integrations.helm.binary import find_helm

    if find_helm() is None:
        return None
    if "deploy" not in load_spec(config, str(config)).spec.model_fields_set:
        return None  # a pipeline that declares no deploy has no plan to show
    try:
        return plan_for_review(config, base_ref)
    except FloeUsageError as exc:
        click.echo(f"floe-ci: no deploy plan: {exc}".splitlines()[0], err=True)
        return None
    except Exception as exc:  # an optional section must not cost the review
        # A bug here would otherwise end the whole review with a traceback and no comment
        # at all; the governance verdict is posted without the plan, and the bug is named.
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        click.echo(
            f"floe-ci: no deploy plan: internal error ({reason}); the review goes on "
            "without it. Please report this with the log of `floe-ci deploy --dry-run`.",
            err=True,
        )
        return None


def write_plan(config: Path, plan: DeployPlan) -> Path:
    path = config.resolve().parent / DEPLOY_DIR / PLAN_FILE
    write_atomic(path, plan.model_dump_json(indent=2) + "\n")
    return path


def _head_ref(config: Path) -> str:
    from floe_ci.integrations.git.worktree import resolve_commit

    try:
        return resolve_commit("HEAD", config.resolve().parent)[:12]
    except FloeUsageError:
        return "working tree"


def _yaml(data: dict[str, Any], origin: str) -> str:
    header = f"# floe-ci deploy: {origin}. No secret values, only their names.\n"
    return header + yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=100)
