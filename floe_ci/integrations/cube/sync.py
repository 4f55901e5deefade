"""Cube sync: generate the models and cube.js from the manifest, write them, validate them.

    .floe/cube/model/<model>.yml   one cube per exposed dbt model
    .floe/cube/cube.js             Cube's server config (groups, tenant filter)
    .floe/cube/config.json         generate_cube_config's summary

The folder is replaced as a whole (written beside it, then renamed), so a reader never sees
a mix of old and new models.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from floe_ci.artifacts import CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.fsutil import ensure_folder
from floe_ci.governance.result import Finding
from floe_ci.governance.rules.cube_compiler import SpecPosition, UnusedPreAggregation
from floe_ci.integrations.cube.config import generate_cube_config, render_cube_js
from floe_ci.integrations.cube.exposure import Exposure
from floe_ci.integrations.cube.model_sync import CubeModel, build_cube_models, restricted_members
from floe_ci.integrations.cube.query_lineage import cube_lineage_settings
from floe_ci.integrations.cube.selection import exposed_model_names
from floe_ci.integrations.cube.validate import (
    CubeValidation,
    find_toolchain,
    missing_toolchain_hint,
    validate_models,
)
from floe_ci.spec.cube_version import has_access_policy

DEFAULT_OUTPUT = Path(".floe") / "cube"
# The token Cube's compiler is asked about: a tenant and no role, as most callers are.
SAMPLE_SECURITY_CONTEXT = {"tenant_id": "floe-sample-tenant"}
MODEL_SUBDIR = "model"
CUBE_JS = "cube.js"
CONFIG_JSON = "config.json"


@dataclass
class CubeSyncResult:
    output_dir: Path
    models: list[CubeModel]
    validation: CubeValidation | None = None  # None: validation skipped
    skipped_reason: str | None = None
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # FLOE403, from Cube's compiler

    @property
    def model_dir(self) -> Path:
        return self.output_dir / MODEL_SUBDIR

    @property
    def ok(self) -> bool:
        return self.validation is None or self.validation.ok

    def files(self) -> dict[str, str]:
        """File name -> content of every generated model (for the Helm ConfigMap)."""
        return {m.file_name: (self.model_dir / m.file_name).read_text() for m in self.models}

    def lines(self) -> list[str]:
        lines = []
        for model in self.models:
            restricted = model.columns_with(Exposure.RESTRICTED)
            governed = model.columns_with(Exposure.GOVERNED)
            omitted = model.columns_with(Exposure.OMITTED)
            parts = [f"{len(model.definition['dimensions'])} dimensions"]
            parts.append(f"{len(model.definition['measures'])} measures")
            if restricted:
                parts.append("restricted: " + ", ".join(restricted))
            if governed:
                parts.append("governed: " + ", ".join(governed))
            if omitted:
                parts.append("left out: " + ", ".join(omitted))
            lines.append(f"cube {model.name}: " + "; ".join(parts))
        lines += [f"note: {note}" for note in self.notes]
        return lines + [f"{f.severity} {f.rule_id}: {f.message}" for f in self.findings]


def sync_cube(
    artifacts: CompiledArtifacts,
    project_root: Path,
    *,
    output_dir: Path | None = None,
    manifest_path: Path | None = None,
    validate: bool = True,
    spec_file: str = "floe.yaml",
    locate_spec: SpecPosition | None = None,
) -> CubeSyncResult:
    """Generate, write and (when Cube's compiler is installed) validate the Cube models.

    `manifest_path` should be a manifest dbt wrote with the deployment's own profile (after
    `dbt build`): its relation names are the tables Cube reads. Default: the artifacts'
    (floe-ci's parse, with its in-memory profile: right for models and columns, not for
    the database names of the tables).
    Validation also asks Cube, under a tenant's security context, whether it would use
    each pre-aggregation; one it would not is a FLOE403 finding (located by `locate_spec`).
    """
    from floe_ci.integrations.dbt.parse import load_manifest

    config = generate_cube_config(artifacts)
    if artifacts.dbt_manifest_path is None:
        raise FloeUsageError.single(
            "floe.yaml",
            "Cube models come from a dbt project, and floe.yaml lists none",
            hint="add a `transforms: [{type: dbt, path: .}]` entry",
        )
    manifest = load_manifest(manifest_path or project_root / artifacts.dbt_manifest_path)
    names = exposed_model_names(artifacts, manifest)
    if not names:
        raise FloeUsageError.single(
            "floe.yaml",
            "`consumption.cube.models` selects no dbt model, so there is nothing to serve",
            hint="name models or `tag:NAME` selectors, or put models in a `marts` folder",
        )
    models = build_cube_models(artifacts, manifest, names)
    tenant_cubes = [m.name for m in models if m.has_tenant_column]
    out = (output_dir or project_root / DEFAULT_OUTPUT).resolve()
    files = {f"{MODEL_SUBDIR}/{m.file_name}": m.render() for m in models}
    restricted: dict[str, list[str]] = {}
    if not has_access_policy(str(config["cubeVersion"])):
        for model in models:
            restricted.update(restricted_members(model))
    lineage = cube_lineage_settings(
        artifacts, project_root, models, str(config["preAggregationsSchema"])
    )
    files[CUBE_JS] = render_cube_js(config, tenant_cubes, restricted=restricted, lineage=lineage)
    files[CONFIG_JSON] = json.dumps(config, indent=2, sort_keys=True) + "\n"
    replace_folder(out, files)

    result = CubeSyncResult(out, models)
    security = config["rowLevelSecurity"]
    if security:
        unfiltered = sorted(m.name for m in models if not m.has_tenant_column)
        if unfiltered:
            result.notes.append(
                f"row-level security: no `{security['tenantColumn']}` column in "
                + ", ".join(unfiltered)
                + " (served to every tenant)"
            )
    if not validate:
        result.skipped_reason = "not requested"
        return result
    toolchain = find_toolchain()
    if toolchain is None:
        result.skipped_reason = (
            "node or Cube's compiler is not installed; " + missing_toolchain_hint()
        )
        return result
    dialect = "postgres" if config["dbType"] in ("postgres", "redshift") else "duckdb"
    result.validation = validate_models(
        toolchain,
        result.model_dir,
        config=out / CUBE_JS,
        security_context=SAMPLE_SECURITY_CONTEXT if security else {},
        dialect=dialect,
        check_pre_aggregations=True,
    )
    rule = UnusedPreAggregation()
    for check in result.validation.pre_aggregations if result.validation.ok else []:
        if check.used and check.error is None:
            continue
        reason = check.error or (
            "its own query (after queryRewrite under a tenant's token) reads the source table"
        )
        result.findings.append(
            rule.unused(check.id, reason, spec_file, locate_spec or (lambda _path: None))
        )
    return result


def replace_folder(folder: Path, files: dict[str, str]) -> None:
    """Write `files` (relative path -> text) as the whole new content of `folder`."""
    ensure_folder(folder.parent, "the Cube models")
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, retired / folder.name)
            os.replace(staging, folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
