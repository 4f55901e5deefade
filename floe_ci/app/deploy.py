"""`floe-ci deploy`: compile -> dbt build -> Cube sync -> helm upgrade --install.

Pre-flight (before anything is built): floe.yaml compiles, the environment exists, the
chart is found and helm is installed; a problem there is a usage error (exit 2). Then each
step runs only when the previous one succeeded; the first failure stops the deploy (exit 1)
and the report names it. `dry_run` builds nothing: Cube models are generated from a parse
with the deployment profile and `helm template` + schema validation replace the upgrade.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from floe_ci.app.deploy_plan import DEPLOY_DIR, PlanRun, chart_artifacts_json
from floe_ci.app.deploy_report import DeployReport, StepResult
from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import project_lock, write_atomic
from floe_ci.integrations.opentelemetry.tracing import configure_tracing, shutdown_tracing, span


@dataclass(frozen=True)
class DeployOptions:
    environment: str | None = None
    dry_run: bool = False
    skip_dbt: bool = False
    base: str | None = None  # the revision deployed now (default: the push's `before`, HEAD~1)
    reviewed_plan: str | None = None  # a fingerprint or a deploy-plan.json to hold the plan to


PLAN_LABEL = "floe.dev/plan"


def run_deploy(config: Path, options: DeployOptions) -> DeployReport:
    """Deploy the pipeline of `config`; prints the report as it goes."""
    from floe_ci.app.compile import state_dir_for
    from floe_ci.app.spec_file import load_spec

    loaded = load_spec(config, str(config))
    configure_tracing(loaded.spec.observability, pipeline=loaded.spec.name, command="deploy")
    try:
        # The whole deploy holds the project's lock: its plan, dbt build, Cube models and
        # helm values live in fixed folders of `.floe/`, which a second deploy (or a review)
        # of the same checkout would otherwise rewrite between this one's plan and apply.
        with (
            project_lock(state_dir_for(config)),
            span("floe.deploy", pipeline=loaded.spec.name, dry_run=options.dry_run),
        ):
            return _deploy(config, options)
    finally:
        shutdown_tracing()


def _deploy(config: Path, options: DeployOptions) -> DeployReport:
    from floe_ci.app.compile import artifacts_json, compile_pipeline, default_artifacts_path
    from floe_ci.app.deploy_secrets import deploy_mask
    from floe_ci.governance.enforcement import governance_category
    from floe_ci.integrations.helm.binary import require_helm
    from floe_ci.integrations.helm.values import release_settings, resolve_chart

    root = config.resolve().parent
    with span("floe.compile"):
        artifacts = compile_pipeline(config, display=str(config))
        write_atomic(default_artifacts_path(config), artifacts_json(artifacts))
    environment = options.environment
    if environment is not None and not artifacts.deploy.environments:
        environment = None  # no environments declared: the deploy block applies as is
    category = governance_category(artifacts, environment) if environment else "production"
    release = release_settings(artifacts, environment)
    resolve_chart(artifacts.deploy.chart, root)
    helm = require_helm()

    report = DeployReport(artifacts.metadata.pipeline_name, mask=deploy_mask(artifacts))
    where = f"environment `{environment}`" if environment else "no deploy.environments"
    mode = "dry run: nothing is built or installed" if options.dry_run else f"{category} policies"
    report.echo(
        f"▶ floe-ci deploy `{report.pipeline}` -> release `{release.name}` in namespace "
        f"`{release.namespace}` ({where}; {mode})"
    )
    report.add(StepResult("compile", "ok", _shown(default_artifacts_path(config))))

    with span("deploy.plan"):
        run = _plan_step(report, config, options, environment, helm, artifacts)
    if run is None or not report.success:
        return _finish(report, options)
    if _already_deployed(report, run, release, helm, options):
        return _finish(report, options)

    manifest_path = _dbt_step(report, artifacts, root, options, category, run)
    if not report.success:
        return _finish(report, options)
    cube_files = _cube_step(report, artifacts, root, manifest_path)
    if not report.success:
        return _finish(report, options)
    _helm_steps(report, artifacts, root, options, release, helm, manifest_path, cube_files, run)
    if not report.success and cube_files is not None:
        _restore_cube(report, root, run)
    return _finish(report, options)


def _plan_step(
    report: DeployReport,
    config: Path,
    options: DeployOptions,
    environment: str | None,
    helm: Path,
    artifacts: CompiledArtifacts,
) -> PlanRun | None:
    """Compute the plan (base -> head) and hold it against the reviewed one."""
    from floe_ci.app.deploy_plan import base_checkout, compute_plan, write_plan
    from floe_ci.app.deploy_review import find_reviewed_plan
    from floe_ci.plan.deploy_plan import plan_differences
    from floe_ci.report.deploy_plan_section import deploy_plan_title, render_deploy_plan_lines

    base_ref = options.base or _default_base(config)
    base_config, shown = (None, None)
    if base_ref:
        base_config, shown = base_checkout(config, base_ref)
    run = compute_plan(
        config,
        base_config,
        environment,
        helm,
        head_ref=_head_ref(config),
        base_ref=shown,
        head_artifacts=artifacts,
    )
    plan_file = write_plan(config, run.plan)
    details = render_deploy_plan_lines(run.plan)[1:]
    summary = f"{deploy_plan_title(run.plan)} ({run.plan.fingerprint[:19]}) -> {_shown(plan_file)}"
    reviewed = find_reviewed_plan(options.reviewed_plan, os.environ)
    require = artifacts.deploy.require_reviewed_plan
    if reviewed.required and reviewed.fingerprint is None:
        if require:
            report.add(
                StepResult(
                    "plan",
                    "failed",
                    f"no reviewed plan in {reviewed.source}: nothing is deployed",
                    [
                        "the deploy applies only a plan reviewed on its pull request",
                        "hint: merge through a pull request checked by floe-ci, or set "
                        "`deploy.require_reviewed_plan: false`",
                    ],
                )
            )
            return None
        details.append(f"warning: no reviewed plan in {reviewed.source} (not required)")
    elif reviewed.fingerprint is not None and reviewed.fingerprint != run.plan.fingerprint:
        differences = plan_differences(reviewed.summary, run.plan) if reviewed.summary else []
        lines = [
            f"reviewed {reviewed.fingerprint[:19]} in {reviewed.source}, "
            f"now {run.plan.fingerprint[:19]}",
            *differences,
        ]
        if require:
            lines.append(
                "hint: the base moved or the branch changed after the review: re-run the "
                "pull request's check and merge again, or set "
                "`deploy.require_reviewed_plan: false`"
            )
            report.add(StepResult("plan", "failed", "differs from the reviewed plan", lines))
            return None
        details += [f"warning: {line}" for line in lines]
    elif reviewed.fingerprint is not None:
        summary += f", as reviewed in {reviewed.source}"
    report.add(StepResult("plan", "ok", summary, details))
    return run


def _already_deployed(
    report: DeployReport, run: PlanRun, release: Any, helm: Path, options: DeployOptions
) -> bool:
    """A rerun of a finished deploy: the release already carries this plan's fingerprint."""
    from floe_ci.integrations.helm.client import HelmClient

    if options.dry_run:
        return False
    labels = HelmClient(helm, os.environ).release_labels(release) or {}
    recorded = _recorded_release(run)
    deployed = labels.get(PLAN_LABEL) or recorded
    if deployed and deployed == plan_label(run.plan.fingerprint):
        report.add(
            StepResult(
                "deploy",
                "ok",
                f"already deployed: release `{release.name}` carries plan "
                f"{run.plan.fingerprint[:19]}; nothing to do",
            )
        )
        return True
    return False


def _recorded_release(run: PlanRun) -> str | None:
    """The plan label `.floe/deploy/release.json` recorded after the last successful deploy."""
    folder = run.head.values_files[0].parent
    record = folder / "release.json"
    if not record.is_file():
        return None
    try:
        value = json.loads(record.read_text(encoding="utf-8")).get("plan_fingerprint")
    except (json.JSONDecodeError, AttributeError, OSError):
        return None
    return plan_label(value) if isinstance(value, str) else None


def _dbt_step(
    report: DeployReport,
    artifacts: CompiledArtifacts,
    root: Path,
    options: DeployOptions,
    category: str,
    run: PlanRun,
) -> Path:
    """`dbt build` of exactly the planned nodes; the manifest that names the deployed tables."""
    from floe_ci.integrations.dbt.executor import DbtExecutor

    if options.dry_run or options.skip_dbt:
        why = "--dry-run" if options.dry_run else "--skip-dbt"
        report.add(StepResult("dbt build", "skipped", why))
        return run.head.manifest_path
    planned = run.plan.dbt
    if not planned.build:
        report.add(StepResult("dbt build", "skipped", "the plan builds no dbt node"))
        return run.head.manifest_path
    executor = DbtExecutor(artifacts, root)
    select = None if planned.full else planned.selectors(run.head.inputs.manifest)
    with span("deploy.dbt_build", category=category, nodes=len(planned.build)):
        result = executor.build(select=select, progress=sys.stderr.isatty())
    counts = ", ".join(f"{n} {status}" for status, n in result.counts().items()) or "no nodes"
    ran = sorted(node.unique_id for node in result.nodes)
    report.applied.append(f"dbt: {len(ran)} node(s) of the plan's {len(planned.build)}")
    if not result.success or result.failures:
        details = [
            f"{node.resource_type} {node.name}: {_first_line(node.message) or node.status}"
            for node in result.failures
        ]
        if result.error:
            details.append(result.error)
        details.append(f"dbt log: {result.log_path}")
        report.add(StepResult("dbt build", "failed", counts, details))
        return _built_manifest(artifacts, root)
    unplanned = sorted(set(ran) - set(planned.build))
    details = [f"built exactly the plan's nodes: {', '.join(_short_ids(ran))}"]
    if unplanned:  # dbt selected more than the plan: say so, never hide it
        details = [f"warning: dbt also ran {', '.join(unplanned)}"]
    if category == "non_production":
        from floe_ci.integrations.warehouse.enforce import apply_runtime_governance

        relations = {n.name: n.relation for n in result.built() if n.relation}
        governed = apply_runtime_governance(
            artifacts, root, category="non_production", relations=relations
        )
        details += governed.lines()
    else:
        details.append(
            "production: data left as built (Cube serves classified columns by their policy)"
        )
    report.add(StepResult("dbt build", "ok", f"{counts} in {result.elapsed:.1f}s", details))
    return _built_manifest(artifacts, root)


def _built_manifest(artifacts: CompiledArtifacts, root: Path) -> Path:
    """The manifest `dbt build` just wrote with the deployment profile: in the dbt project's
    own target folder (the compiled artifacts name floe-ci's parse, made with another)."""
    from floe_ci.integrations.dbt.profiles import dbt_project_dir
    from floe_ci.integrations.dbt.runner import dbt_target_folder

    return dbt_target_folder(dbt_project_dir(artifacts, root)) / "manifest.json"


def _cube_step(
    report: DeployReport, artifacts: CompiledArtifacts, root: Path, manifest_path: Path
) -> dict[str, Any] | None:
    from floe_ci.integrations.cube.sync import CUBE_JS, sync_cube

    cube = artifacts.consumption.cube
    if not artifacts.consumption.enabled or cube is None:
        report.add(StepResult("cube sync", "skipped", "consumption.enabled is false"))
        return None
    with span("deploy.cube_sync"):
        result = sync_cube(artifacts, root, manifest_path=manifest_path)
    where = _shown(result.model_dir)
    summary = f"{len(result.models)} cube(s) -> {where}"
    if result.validation is None:
        details = [*result.lines(), f"not validated: {result.skipped_reason}"]
        report.add(StepResult("cube sync", "ok", summary + " (validation skipped)", details))
    elif not result.validation.ok:
        details = [f"Cube: {error}" for error in result.validation.errors]
        report.add(StepResult("cube sync", "failed", summary + ": Cube rejected them", details))
        return None
    else:
        report.add(StepResult("cube sync", "ok", summary + " (compiled by Cube)", result.lines()))
    report.applied.append(f"Cube: {len(result.models)} model(s) written to {where}")
    return {"config": (result.output_dir / CUBE_JS).read_text(), "models": result.files()}


def _restore_cube(report: DeployReport, root: Path, run: PlanRun) -> None:
    """A step after Cube failed: put the previous release's Cube models back."""
    from floe_ci.integrations.cube.sync import (
        CUBE_JS,
        DEFAULT_OUTPUT,
        MODEL_SUBDIR,
        replace_folder,
    )

    base = run.base
    if base is None or not base.inputs.cube_models:
        report.rolled_back.append("Cube: no previous release's models to restore (first deploy)")
        return
    files = {f"{MODEL_SUBDIR}/{name}": text for name, text in base.inputs.cube_models.items()}
    if base.cube_config is not None:
        files[CUBE_JS] = base.cube_config
    replace_folder((root / DEFAULT_OUTPUT).resolve(), files)
    report.rolled_back.append(
        f"Cube: the models of {run.plan.base_ref} restored to {_shown(root / DEFAULT_OUTPUT)}"
    )
    report.echo(f"      restored the Cube models of {run.plan.base_ref}")


def _helm_steps(
    report: DeployReport,
    artifacts: CompiledArtifacts,
    root: Path,
    options: DeployOptions,
    release: Any,
    helm: Path,
    manifest_path: Path,
    cube_files: dict[str, Any] | None,
    run: PlanRun,
) -> None:
    from floe_ci.integrations.dbt.deploy_manifest import manifest_checksum
    from floe_ci.integrations.dbt.parse import load_manifest
    from floe_ci.integrations.helm.client import HelmChartCall, HelmClient
    from floe_ci.integrations.helm.manifests import check_manifests
    from floe_ci.integrations.helm.values import generated_values

    fingerprint = run.plan.fingerprint
    checksum = manifest_checksum(load_manifest(manifest_path))
    generated = generated_values(
        artifacts,
        artifacts_json=chart_artifacts_json(artifacts),
        manifest_checksum=checksum,
        cube_config=cube_files["config"] if cube_files else None,
        cube_models=cube_files["models"] if cube_files else {},
        plan_fingerprint=fingerprint,
    )
    folder = root / DEPLOY_DIR
    generated_file, user_file = run.head.values_files
    write_atomic(generated_file, _yaml(generated, "generated from floe.yaml and the artifacts"))
    chart = folder / "chart" / resolve_chart_name(artifacts)
    call = HelmChartCall(chart, release, (generated_file, user_file))
    client = HelmClient(helm, os.environ, secrets=report.mask.values)

    with span("deploy.helm_lint"):
        lint = client.lint(call)
    if not lint.ok:
        report.add(StepResult("helm lint", "failed", _shown(chart), lint.error().splitlines()))
        return
    report.add(StepResult("helm lint", "ok", f"{_shown(chart)} (--strict)"))

    if options.dry_run:
        _template_step(report, client, call, folder, check_manifests)
        return

    flag = client.rollback_flag()
    with span("deploy.helm_upgrade", release=release.name, namespace=release.namespace):
        upgraded = client.upgrade(
            call,
            rollback_flag=flag,
            labels={PLAN_LABEL: plan_label(fingerprint)},
            description=f"floe-ci plan {fingerprint}",
        )
    target = f"release `{release.name}` in `{release.namespace}`"
    if release.kube_context:
        target += f" (context {release.kube_context})"
    if release.atomic:
        target += f" ({flag})"
    if not upgraded.ok:
        details = upgraded.error().splitlines()
        if "unreachable" in upgraded.error():
            details.append(
                "hint: helm found no cluster: set KUBECONFIG (or KUBECONFIG_DATA in CI) and "
                "`deploy.environments.<env>.kube_context`"
            )
        if release.atomic:
            report.rolled_back.append(f"Helm: {flag} returns `{release.name}` to its last release")
        report.add(StepResult("helm upgrade --install", "failed", target, details))
        return
    report.applied.append(f"Helm: {target}, plan {fingerprint[:19]}")
    write_atomic(
        folder / "release.json",
        json.dumps(
            {
                "release": release.name,
                "namespace": release.namespace,
                "environment": release.environment,
                "source_hash": artifacts.metadata.source_hash,
                "manifest_checksum": checksum,
                "plan_fingerprint": fingerprint,
                "deployed_at": datetime.now(tz=UTC).replace(microsecond=0).isoformat(),
            },
            indent=2,
        )
        + "\n",
    )
    report.add(StepResult("helm upgrade --install", "ok", target))


def _template_step(
    report: DeployReport, client: Any, call: Any, folder: Path, check_manifests: Any
) -> None:
    with span("deploy.helm_template"):
        rendered = client.template(call)
    if not rendered.ok:
        report.add(StepResult("helm template", "failed", "", rendered.error().splitlines()))
        return
    write_atomic(folder / "rendered.yaml", rendered.stdout)
    checked = check_manifests(rendered.stdout)
    kinds = ", ".join(f"{n} {kind}" for kind, n in checked.kinds().items())
    if not checked.ok:
        report.add(StepResult("helm template", "failed", kinds, checked.problems))
        return
    how = "valid for Kubernetes 1.33" if checked.validated else "not schema-checked"
    rendered_at = _shown(folder / "rendered.yaml")
    report.add(StepResult("helm template", "ok", f"{kinds} ({how}) -> {rendered_at}"))


def resolve_chart_name(artifacts: CompiledArtifacts) -> str:
    return Path(artifacts.deploy.chart).name


def plan_label(fingerprint: str) -> str:
    """The fingerprint as a release label value (at most 63 characters, no `:`)."""
    return fingerprint.removeprefix("sha256:")[:56]


def _finish(report: DeployReport, options: DeployOptions) -> DeployReport:
    failed = report.failed_step
    if failed is None:
        report.echo(f"✓ deploy of `{report.pipeline}` finished: {len(report.steps)} steps")
    else:
        report.echo(
            f"✗ deploy of `{report.pipeline}` stopped: step `{failed.name}` failed (exit 1)",
            err=True,
        )
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(report.job_summary())
    return report


def _default_base(config: Path) -> str | None:
    """What the deploy diffs against: on a push, the branch's previous tip (the event's
    `before`); else the commit before HEAD; None in a first commit or outside git."""
    from floe_ci.integrations.git.worktree import resolve_commit

    before = _push_before(os.environ)
    if before:
        return before
    try:
        return resolve_commit("HEAD~1", config.resolve().parent)
    except FloeUsageError:
        return None


def _push_before(env: Mapping[str, str]) -> str | None:
    path = env.get("GITHUB_EVENT_PATH")
    if env.get("GITHUB_EVENT_NAME") != "push" or not path or not Path(path).is_file():
        return None
    try:
        before = json.loads(Path(path).read_text(encoding="utf-8")).get("before")
    except (json.JSONDecodeError, OSError, AttributeError):
        return None
    if isinstance(before, str) and before.strip("0"):
        return before
    return None


def _head_ref(config: Path) -> str:
    from floe_ci.integrations.git.worktree import resolve_commit

    try:
        return resolve_commit("HEAD", config.resolve().parent)[:12]
    except FloeUsageError:
        return "working tree"


def _short_ids(ids: list[str]) -> list[str]:
    return [uid.split(".")[-1] if uid.startswith(("model.", "seed.")) else uid for uid in ids]


def _yaml(data: dict[str, Any], origin: str) -> str:
    header = f"# floe-ci deploy: {origin}. No secret values, only their names.\n"
    return header + yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=100)


def _first_line(message: str | None) -> str:
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    return " - ".join(lines[:2])[:300]


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
