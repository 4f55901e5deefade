"""`floe-ci cube sync`: the Cube models and cube.js for the warehouse the deployment uses.

The same generation and validation as the deploy's Cube step, on its own: compile floe.yaml,
parse the dbt project with the deployment profile (so the models name the real tables, as
`floe run` or `dbt build` made them), write `.floe/cube/`, and ask Cube's compiler about
the models and their pre-aggregations when it is installed.
"""

from __future__ import annotations

from pathlib import Path

from floe_ci.integrations.cube.sync import CubeSyncResult


def run_cube_sync(
    config: Path, *, output_dir: Path | None = None, manifest: Path | None = None
) -> CubeSyncResult:
    """Generate and validate the Cube folder for `config`; raises FloeUsageError on bad input."""
    from floe_ci.app.compile import compile_pipeline
    from floe_ci.app.spec_file import load_spec
    from floe_ci.integrations.cube.sync import sync_cube
    from floe_ci.integrations.dbt.deploy_manifest import parse_with_profile

    loaded = load_spec(config, str(config))
    artifacts = compile_pipeline(config, display=str(config))
    root = config.resolve().parent
    manifest_path = manifest or parse_with_profile(artifacts, root)

    def locate(path: tuple[str | int, ...]) -> tuple[int, int] | None:
        position = loaded.document.position_of(path)
        return (position.line, position.column) if position else None

    return sync_cube(
        artifacts,
        root,
        output_dir=output_dir,
        manifest_path=manifest_path,
        spec_file=str(config),
        locate_spec=locate,
    )
