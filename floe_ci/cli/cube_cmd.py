"""`floe-ci cube`: the Cube semantic layer generated from the dbt project."""

from __future__ import annotations

from pathlib import Path

import click

from floe_ci.cli.options import config_option, shown_path

EXIT_FINDINGS = 1


@click.group("cube")
def cube_group() -> None:
    """The Cube semantic layer: models, cube.js and their validation by Cube."""


@cube_group.command("sync")
@config_option
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to write (replaced as a whole). Default: .floe/cube beside floe.yaml.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A manifest.json dbt wrote with the deployment's profile. Default: `dbt parse` "
    "with the profile generated from `compute` (credentials by env var name).",
)
def sync_command(config: Path, output: Path | None, manifest: Path | None) -> None:
    """Generate the Cube models and cube.js, and check them with Cube's compiler.

    \b
    Writes, beside floe.yaml:
      .floe/cube/model/<model>.yml   one cube per exposed dbt model (production policies)
      .floe/cube/cube.js             row-level security, restricted members, query lineage
      .floe/cube/config.json         driver, port, pre-aggregation schema and refresh key
    The models follow `consumption.cube.version` (1.x: access_policy; 0.33: the same rules
    enforced by cube.js). With node and Cube's compiler installed (`.ci/tools/cube.sh`,
    or FLOE_CUBE_TOOLS), Cube compiles them and is asked, under a tenant's token, whether it
    would use each pre-aggregation (FLOE403 when not).

    Exit codes: 0 written (and accepted by Cube), 1 Cube refused the models or a FLOE403
    warning, 2 bad configuration.

    \b
    Examples:
      floe-ci cube sync
      floe-ci cube sync -c examples/shop/floe.yaml -o build/cube
      floe-ci cube sync --manifest .floe/cache/run-target/manifest.json  # after `floe run`
    """
    from floe_ci.app.cube_sync import run_cube_sync

    result = run_cube_sync(config, output_dir=output, manifest=manifest)
    for line in result.lines():
        click.echo(f"  {line}")
    if result.validation is None:
        click.echo(
            f"✓ {len(result.models)} cube(s) -> {shown_path(result.output_dir)} "
            f"(not validated: {result.skipped_reason})"
        )
        return
    if not result.validation.ok:
        for error in result.validation.errors:
            click.echo(f"  Cube: {error}", err=True)
        click.echo(f"✗ Cube refused the models in {shown_path(result.model_dir)}", err=True)
        raise click.exceptions.Exit(EXIT_FINDINGS)
    for finding in result.findings:
        click.echo(
            f"{finding.location()}: {finding.severity} {finding.rule_id} "
            f"{finding.message}\n  hint: {finding.hint}",
            err=True,
        )
    mark = "✗" if result.findings else "✓"
    click.echo(
        f"{mark} {len(result.models)} cube(s) -> {shown_path(result.output_dir)} (compiled by Cube)"
    )
    if result.findings:
        raise click.exceptions.Exit(EXIT_FINDINGS)
