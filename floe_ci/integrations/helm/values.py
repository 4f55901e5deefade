"""Helm values and release settings from floe.yaml's `deploy` block and the compiled artifacts.

Precedence (last wins): the chart's values.yaml, the values floe-ci generates (pipeline
name, compiled artifacts, fingerprint, Cube models and config, secret NAMES), then
`deploy.values`, then `deploy.environments.<env>.values` (merged key by key; lists replace).

Secrets are referenced, never copied: each `*_secret_ref` names a Kubernetes Secret (in DNS
form: `WAREHOUSE_CREDS` -> `warehouse-creds`) holding one key per environment variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError


@dataclass(frozen=True)
class ReleaseSettings:
    name: str
    namespace: str
    kube_context: str | None
    timeout: str
    atomic: bool
    environment: str | None


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, mapping by mapping; any other value replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def release_name(artifacts: CompiledArtifacts) -> str:
    """deploy.release_name, else the pipeline name (`_` is not allowed in a release name)."""
    return artifacts.deploy.release_name or artifacts.metadata.pipeline_name.replace("_", "-")


def release_settings(artifacts: CompiledArtifacts, environment: str | None) -> ReleaseSettings:
    deploy = artifacts.deploy
    env = None
    if environment is not None and deploy.environments:
        env = deploy.environments.get(environment)
        if env is None:
            known = ", ".join(sorted(deploy.environments))
            raise FloeUsageError.single(
                "floe.yaml",
                f"unknown environment `{environment}` (deploy.environments: {known})",
                hint="pass one of the names under `deploy.environments` to --env",
            )
    return ReleaseSettings(
        name=release_name(artifacts),
        namespace=(env.namespace if env and env.namespace else deploy.namespace),
        kube_context=env.kube_context if env else None,
        timeout=deploy.timeout,
        atomic=deploy.atomic,
        environment=environment,
    )


def user_values(artifacts: CompiledArtifacts, environment: str | None) -> dict[str, Any]:
    """deploy.values with deploy.environments[environment].values on top."""
    values = dict(artifacts.deploy.values)
    env = artifacts.deploy.environments.get(environment) if environment else None
    if env is not None:
        values = deep_merge(values, env.values)
    return values


def secret_name(secret_ref: str) -> str:
    """A Kubernetes Secret name for a secret reference: lower case, `-` between words."""
    name = re.sub(r"[^a-z0-9]+", "-", secret_ref.lower()).strip("-")
    return name[:253] or "floe-secrets"


# Where the pipeline's project sits in the floe-dagster image (its `projectDir` default).
PROJECT_DIR_IN_IMAGE = "/app"


def generated_values(
    artifacts: CompiledArtifacts,
    *,
    artifacts_json: str,
    manifest_checksum: str,
    cube_config: str | None,
    cube_models: Mapping[str, str],
    plan_fingerprint: str | None = None,
) -> dict[str, Any]:
    """The values floe-ci derives from the pipeline for floe-pipeline (never a secret value):
    `global.floe` for both charts, `dagster:` for floe-dagster and `cube:` for floe-cube."""
    from floe_ci.integrations.cube.config import cube_driver
    from floe_ci.integrations.cube.warehouse_env import cube_warehouse_env
    from floe_ci.integrations.dbt.profiles import credential_env_vars

    ref = artifacts.compute.connection_secret_ref
    secret_env = (
        [
            {"name": var, "secretName": secret_name(ref), "key": var}
            for var in sorted(credential_env_vars(artifacts).values())
        ]
        if ref
        else []
    )
    fingerprint = {
        "sourceHash": artifacts.metadata.source_hash,
        "manifestChecksum": manifest_checksum,
        "floeVersion": artifacts.metadata.floe_core_version,
    }
    if plan_fingerprint:
        fingerprint["planFingerprint"] = plan_fingerprint
    values: dict[str, Any] = {
        "global": {
            "floe": {"pipelineName": artifacts.metadata.pipeline_name, "fingerprint": fingerprint}
        },
        "dagster": {
            "enabled": True,
            "artifacts": {"json": artifacts_json},
            "secretEnv": secret_env,
        },
    }
    cube = artifacts.consumption.cube
    if artifacts.consumption.enabled and cube is not None and cube_config is not None:
        warehouse = cube_warehouse_env(
            artifacts, project_dir=PROJECT_DIR_IN_IMAGE, secret_name=secret_name
        )
        cube_values: dict[str, Any] = {
            "enabled": True,
            "dbType": cube_driver(artifacts.compute.target),
            "dbEnv": warehouse.env,
            "dbSecretEnv": warehouse.secret_env,
            "config": cube_config,
            "models": dict(cube_models),
            "api": {"port": cube.port},
        }
        if cube.api_secret_ref:
            cube_values["apiSecret"] = {
                "secretName": secret_name(cube.api_secret_ref),
                "key": cube.api_secret_ref,
            }
        values["cube"] = cube_values
    else:
        values["cube"] = {"enabled": False}
    return values


CHARTS_DIR_ENV = "FLOE_CHARTS_DIR"


def resolve_chart(chart: str, project_root: Path) -> Path:
    """deploy.chart: relative to floe.yaml's folder or a folder above it (the repository),
    else the chart of that name shipped with floe-ci ($FLOE_CHARTS_DIR, or the `charts/`
    folder of a floe-ci checkout)."""
    path = Path(chart)
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [folder / path for folder in (project_root, *project_root.parents)]
        shipped = os.environ.get(CHARTS_DIR_ENV)
        if shipped:
            candidates.append(Path(shipped) / path.name)
        candidates.append(Path(__file__).resolve().parents[3] / "charts" / path.name)
    for candidate in candidates:
        if (candidate / "Chart.yaml").is_file():
            return candidate
    raise FloeUsageError.single(
        "floe.yaml",
        f"`deploy.chart`: no Helm chart at `{chart}` (looked beside floe.yaml, in the folders "
        "above it, and among floe-ci's charts)",
        hint="point deploy.chart at a folder holding Chart.yaml, e.g. charts/floe-pipeline",
    )
