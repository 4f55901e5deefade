"""Gather one PipelineSnapshot from a project folder (the I/O edge of the plan)."""

from __future__ import annotations

from pathlib import Path

from floe_ci.plan.snapshot import PipelineSnapshot


def snapshot_of(config_path: Path, ref: str, config_file: str = "floe.yaml") -> PipelineSnapshot:
    """Compile and check the pipeline at `config_path`: spec, manifest, lineage, findings."""
    from floe_ci.compiler import dbt_project_of, state_dir_for
    from floe_ci.errors import FloeUsageError
    from floe_ci.governance.check import CheckOptions, build_context, evaluate
    from floe_ci.integrations.dbt.parse import ensure_manifest, load_manifest
    from floe_ci.integrations.dbt.properties import ColumnLocations
    from floe_ci.lineage import build_column_lineage
    from floe_ci.spec.loader import load_spec

    loaded = load_spec(config_path, config_file)
    project = dbt_project_of(loaded, config_file)
    if project is None:
        raise FloeUsageError.single(config_file, "floe.yaml lists no dbt transform to compare")
    state_dir = state_dir_for(config_path)
    manifest = load_manifest(ensure_manifest(project, state_dir))
    lineage = build_column_lineage(manifest, project, state_dir / "cache" / "lineage")

    def locate_spec(path: tuple[str | int, ...]) -> tuple[int, int] | None:
        position = loaded.document.position_of(path)
        return (position.line, position.column) if position else None

    locate_column = ColumnLocations(project.path, config_path.resolve().parent)
    options = CheckOptions(config_file=config_file)
    context = build_context(loaded.spec, manifest, lineage, options, locate_column, locate_spec)
    result = evaluate(
        loaded.spec,
        manifest,
        lineage,
        options,
        locate_column=locate_column,
        locate_spec=locate_spec,
    )
    return PipelineSnapshot(ref=ref, context=context, manifest=manifest, findings=result.findings)
