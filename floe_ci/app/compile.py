"""Compile floe.yaml and its dbt project into CompiledArtifacts."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floe_ci import __version__
from floe_ci.app.progress import step
from floe_ci.app.spec_file import load_spec
from floe_ci.artifacts import ArtifactMetadata, CompiledArtifacts
from floe_ci.errors import FloeUsageError
from floe_ci.governance.classifications import extract_classifications
from floe_ci.integrations.dbt.packages import package_roots
from floe_ci.integrations.dbt.parse import ensure_manifest, load_manifest, parse_target_project
from floe_ci.integrations.dbt.profiles import (
    located_profile_error,
    profile_problems,
    write_profiles,
)
from floe_ci.integrations.dbt.project import DbtProject, read_project
from floe_ci.integrations.dbt.properties import ColumnLocations
from floe_ci.spec.loader import LoadedSpec
from floe_ci.spec.models import ClassificationSource

STATE_DIR = ".floe"


def state_dir_for(config_path: Path) -> Path:
    """`.floe/` beside floe.yaml: caches, logs, generated profiles and artifacts."""
    return config_path.resolve().parent / STATE_DIR


def default_artifacts_path(config_path: Path) -> Path:
    return state_dir_for(config_path) / "artifacts.json"


def dbt_project_of(loaded: LoadedSpec, display: str) -> DbtProject | None:
    """The pipeline's dbt project, or None when floe.yaml lists no dbt transform."""
    transforms = [t for t in loaded.spec.transforms if t.type == "dbt"]
    if not transforms:
        return None
    if len(transforms) > 1:
        pos = loaded.document.position_of(("transforms", 1))
        raise FloeUsageError.single(
            display,
            "more than one dbt transform; a floe.yaml describes one dbt project",
            pos.line if pos else None,
            pos.column if pos else None,
            hint="split the pipelines into one floe.yaml each",
        )
    root = loaded.path.resolve().parent
    project_dir = (root / transforms[0].path).resolve()
    pos = loaded.document.position_of(("transforms", 0, "path"))
    try:
        return read_project(project_dir, display)
    except FloeUsageError as exc:
        if exc.problems and exc.problems[0].file == display and pos:
            problem = exc.problems[0]
            raise FloeUsageError.single(
                display, problem.message, pos.line, pos.column, problem.hint
            ) from None
        raise


def compile_pipeline(
    config_path: Path,
    *,
    display: str | None = None,
    refresh_manifest: bool = False,
    manifest_path: Path | None = None,
) -> CompiledArtifacts:
    """Validate floe.yaml, obtain the dbt manifest, and build CompiledArtifacts."""
    shown = display or str(config_path)
    with step("spec", "floe.yaml"):
        loaded = load_spec(config_path, shown)
        project = dbt_project_of(loaded, shown)
    spec = loaded.spec
    root = config_path.resolve().parent

    classifications = None
    findings = []
    manifest_rel = project_rel = None
    if project is not None:
        if manifest_path is None:
            from floe_ci.app.committed_state import reparse_if_committed

            state_dir = state_dir_for(config_path)
            # a committed parse (or record of its inputs) is someone else's: never trusted
            refresh_manifest = reparse_if_committed(config_path) or refresh_manifest
            manifest_path = ensure_manifest(
                parse_target_project(project, state_dir),
                state_dir,
                refresh_manifest,
                parsing=lambda: step("dbt_parse", "dbt parse"),
            )
        with step("manifest", "manifest load"):
            manifest = load_manifest(manifest_path)
        project_rel = _relative(project.path, root)
        manifest_rel = _relative(manifest_path.resolve(), root)
        if spec.governance.classification_source == ClassificationSource.DBT_META:
            with step("classifications"):
                locations = ColumnLocations(project.path, root, package_roots(project))
                result = extract_classifications(manifest, locations)
            classifications = result.classifications
            findings = result.findings

    artifacts = CompiledArtifacts(
        metadata=ArtifactMetadata(
            compiled_at=_compiled_at(),
            floe_core_version=__version__,
            source_hash="sha256:" + hashlib.sha256(loaded.raw_bytes).hexdigest(),
            pipeline_name=spec.name,
            spec_version=spec.version,
        ),
        **{block: getattr(spec, block) for block in CompiledArtifacts.SPEC_BLOCKS},
        dbt_project_path=project_rel,
        dbt_manifest_path=manifest_rel,
        lineage_namespace=spec.observability.lineage_namespace or spec.name,
        column_classifications=classifications,
        findings=findings,
    )
    if project is not None:
        # A profile the adapter cannot load is a compile error, located at `compute`.
        with step("profile", "dbt profile"):
            problems = profile_problems(artifacts, root)
            if problems:
                raise located_profile_error(problems, shown, loaded.document.position_of)
            profiles_dir = write_profiles(artifacts, root, validate=False)
        artifacts.dbt_profiles_path = _relative(profiles_dir, root)
    return artifacts


def artifacts_json(artifacts: CompiledArtifacts) -> str:
    """Stable JSON: same inputs, same bytes (apart from `compiled_at`)."""
    data: dict[str, Any] = artifacts.model_dump(mode="json")
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _compiled_at() -> datetime:
    # SOURCE_DATE_EPOCH makes the whole file reproducible (reproducible-builds.org).
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")
