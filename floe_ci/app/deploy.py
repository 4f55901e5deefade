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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from floe_ci.app.deploy_report import DeployReport, StepResult
from floe_ci.artifacts import CompiledArtifacts
from floe_ci.fsutil import write_atomic
from floe_ci.integrations.opentelemetry.tracing import configure_tracing, shutdown_tracing, span

DEPLOY_DIR = Path(".floe") / "deploy"


@dataclass(frozen=True)
class DeployOptions:
    environment: str | None = None
    dry_run: bool = False
    skip_dbt: bool = False


def run_deploy(config: Path, options: DeployOptions) -> DeployReport:
    """Deploy the pipeline of `config`; prints the report as it goes."""
    from floe_ci.app.spec_file import load_spec

    loaded = load_spec(config, str(config))
    configure_tracing(loaded.spec.observability, pipeline=loaded.spec.name, command="deploy")
    try:
        with span("floe.deploy", pipeline=loaded.spec.name, dry_run=options.dry_run):
            return _deploy(config, options)
    finally:
        shutdown_tracing()


def _deploy(config: Path, options: DeployOptions) -> DeployReport:
    from floe_ci.app.compile import artifacts_json, compile_pipeline, default_artifacts_path
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
    chart = resolve_chart(artifacts.deploy.chart, root)
    helm = require_helm()

    from floe_ci.app.deploy_secrets import deploy_mask

    report = DeployReport(artifacts.metadata.pipeline_name, mask=deploy_mask(artifacts))
    where = f"environment `{environment}`" if environment else "no deploy.environments"
    mode = "dry run: nothing is built or installed" if options.dry_run else f"{category} policies"
    report.echo(
        f"▶ floe-ci deploy `{report.pipeline}` -> release `{release.name}` in namespace "
        f"`{release.namespace}` ({where}; {mode})"
    )
    report.add(StepResult("compile", "ok", _shown(default_artifacts_path(config))))

    manifest_path = _dbt_step(report, artifacts, root, options, category)
    if not report.success:
        return _finish(report)
    cube_files = _cube_step(report, artifacts, root, manifest_path)
    if not report.success:
        return _finish(report)
    _helm_steps(report, artifacts, root, options, release, chart, helm, manifest_path, cube_files)
    return _finish(report)


def _dbt_step(
    report: DeployReport,
    artifacts: CompiledArtifacts,
    root: Path,
    options: DeployOptions,
    category: str,
) -> Path:
    """Run `dbt build`; the manifest that names the deployed tables."""
    from floe_ci.integrations.dbt.deploy_manifest import parse_with_profile
    from floe_ci.integrations.dbt.executor import DbtExecutor

    if options.dry_run or options.skip_dbt:
        why = "--dry-run" if options.dry_run else "--skip-dbt"
        report.add(StepResult("dbt build", "skipped", why))
        return parse_with_profile(artifacts, root)
    executor = DbtExecutor(artifacts, root)
    with span("deploy.dbt_build", category=category):
        result = executor.build(progress=sys.stderr.isatty())
    counts = ", ".join(f"{n} {status}" for status, n in result.counts().items()) or "no nodes"
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
    details = []
    if category == "non_production":
        from floe_ci.integrations.warehouse.enforce import apply_runtime_governance

        relations = {n.name: n.relation for n in result.built() if n.relation}
        governed = apply_runtime_governance(
            artifacts, root, category="non_production", relations=relations
        )
        details = governed.lines()
    else:
        details = [
            "production: data left as built (Cube serves classified columns by their policy)"
        ]
    report.add(StepResult("dbt build", "ok", f"{counts} in {result.elapsed:.1f}s", details))
    return _built_manifest(artifacts, root)


def _built_manifest(artifacts: CompiledArtifacts, root: Path) -> Path:
    """The manifest `dbt build` just rewrote with the deployment profile."""
    from floe_ci.integrations.dbt.profiles import dbt_project_dir

    if artifacts.dbt_manifest_path:
        return root / artifacts.dbt_manifest_path
    return dbt_project_dir(artifacts, root) / "target" / "manifest.json"


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
    return {"config": (result.output_dir / CUBE_JS).read_text(), "models": result.files()}


def _helm_steps(
    report: DeployReport,
    artifacts: CompiledArtifacts,
    root: Path,
    options: DeployOptions,
    release: Any,
    chart: Path,
    helm: Path,
    manifest_path: Path,
    cube_files: dict[str, Any] | None,
) -> None:
    from floe_ci.integrations.dbt.deploy_manifest import manifest_checksum
    from floe_ci.integrations.dbt.parse import load_manifest
    from floe_ci.integrations.helm.client import HelmChartCall, HelmClient
    from floe_ci.integrations.helm.manifests import check_manifests
    from floe_ci.integrations.helm.values import generated_values, user_values

    checksum = manifest_checksum(load_manifest(manifest_path))
    generated = generated_values(
        artifacts,
        artifacts_json=chart_artifacts_json(artifacts),
        manifest_checksum=checksum,
        cube_config=cube_files["config"] if cube_files else None,
        cube_models=cube_files["models"] if cube_files else {},
    )
    folder = root / DEPLOY_DIR
    generated_file = folder / "values.generated.yaml"
    user_file = folder / f"values.{release.environment or 'default'}.yaml"
    write_atomic(generated_file, _yaml(generated, "generated from floe.yaml and the artifacts"))
    write_atomic(user_file, _yaml(user_values(artifacts, release.environment), "deploy.values"))
    from floe_ci.integrations.helm.staging import stage_chart

    staged = stage_chart(chart, folder / "chart")
    call = HelmChartCall(staged, release, (generated_file, user_file))
    client = HelmClient(helm, os.environ, secrets=report.mask.values)

    with span("deploy.helm_lint"):
        lint = client.lint(call)
    if not lint.ok:
        report.add(StepResult("helm lint", "failed", _shown(chart), lint.error().splitlines()))
        return
    report.add(StepResult("helm lint", "ok", f"{_shown(chart)} (--strict)"))

    if options.dry_run:
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
        return

    with span("deploy.helm_upgrade", release=release.name, namespace=release.namespace):
        upgraded = client.upgrade(call)
    target = f"release `{release.name}` in `{release.namespace}`"
    if release.kube_context:
        target += f" (context {release.kube_context})"
    if not upgraded.ok:
        details = upgraded.error().splitlines()
        if "unreachable" in upgraded.error():
            details.append(
                "hint: helm found no cluster: set KUBECONFIG (or KUBECONFIG_DATA in CI) and "
                "`deploy.environments.<env>.kube_context`"
            )
        report.add(StepResult("helm upgrade --install", "failed", target, details))
        return
    write_atomic(
        folder / "release.json",
        json.dumps(
            {
                "release": release.name,
                "namespace": release.namespace,
                "environment": release.environment,
                "source_hash": artifacts.metadata.source_hash,
                "manifest_checksum": checksum,
                "deployed_at": datetime.now(tz=UTC).replace(microsecond=0).isoformat(),
            },
            indent=2,
        )
        + "\n",
    )
    report.add(StepResult("helm upgrade --install", "ok", target))


def chart_artifacts_json(artifacts: CompiledArtifacts) -> str:
    """The artifacts the chart mounts, with `compiled_at` pinned to the epoch (as
    SOURCE_DATE_EPOCH=0 would): the same sources render the same manifests, so the plan
    reviewed on the pull request and the one recomputed at merge can be compared."""
    from floe_ci.app.compile import artifacts_json

    metadata = artifacts.metadata.model_copy(update={"compiled_at": datetime.fromtimestamp(0, UTC)})
    return artifacts_json(artifacts.model_copy(update={"metadata": metadata}))


def _finish(report: DeployReport) -> DeployReport:
    failed = report.failed_step
    if failed is None:
        report.echo(f"✓ deploy of `{report.pipeline}` finished: {len(report.steps)} steps")
    else:
        report.echo(
            f"✗ deploy of `{report.pipeline}` stopped: step `{failed.name}` failed (exit 1)",
            err=True,
        )
    return report


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
