"""validate, compile and init: the commands that work on floe.yaml itself."""

from __future__ import annotations

from pathlib import Path

import click

from floe_ci.cli.options import config_option, shown_path
from floe_ci.cli.progress_options import progress_options, showing_progress

TEMPLATES = ("basic", "dbt-only", "full")


@click.command()
@config_option
def validate(config: Path) -> None:
    """Check floe.yaml against the schema, without running dbt.

    Unknown keys, wrong types, bad cron expressions, literal secrets and a missing dbt
    project are reported with file:line:column and a hint. Exit code 2 when invalid.

    \b
    Example:
      floe-ci validate -c examples/shop/floe.yaml
    """
    from floe_ci.app.compile import dbt_project_of
    from floe_ci.app.spec_file import load_spec

    loaded = load_spec(config, str(config))
    project = dbt_project_of(loaded, str(config))
    spec = loaded.spec
    details = [f"compute {spec.compute.target.value}"]
    if project is not None:
        details.append(f"dbt project `{project.name}`")
    details.append(f"{len(spec.governance.policies)} governance policies")
    click.echo(f"✓ {config} is valid: pipeline `{spec.name}` ({', '.join(details)})")


@click.command("compile")
@config_option
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default=None,
    help="Where to write the artifacts; `-` for standard output.  "
    "[default: .floe/artifacts.json beside floe.yaml]",
)
@click.option(
    "--refresh-manifest",
    is_flag=True,
    help="Run `dbt parse` even when floe-ci's parse (.floe/cache/parse-target/) is current.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Use this dbt manifest.json instead of parsing the project.",
)
@progress_options
def compile_command(
    config: Path,
    output: Path | None,
    refresh_manifest: bool,
    manifest: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Compile floe.yaml and the dbt project into CompiledArtifacts.

    Runs `dbt parse` (in-process, offline, on an in-memory DuckDB profile, into
    .floe/cache/parse-target/, never your target/) when the content of the files dbt
    reads changed since the last parse, reads the column classifications
    from dbt meta (`meta.floe` or `config.meta.floe`), and writes the artifacts
    atomically. The same inputs give the same bytes apart from `compiled_at`; set
    SOURCE_DATE_EPOCH to fix that too.

    \b
    Example:
      floe-ci compile -c examples/shop/floe.yaml
      floe-ci compile -c floe.yaml -o - | jq .column_classifications
    """
    with showing_progress("floe-ci compile", quiet=quiet, verbose=verbose):
        from floe_ci.app.compile import artifacts_json, compile_pipeline, default_artifacts_path
        from floe_ci.fsutil import write_atomic

        artifacts = compile_pipeline(
            config, display=str(config), refresh_manifest=refresh_manifest, manifest_path=manifest
        )
    text = artifacts_json(artifacts)
    for finding in artifacts.findings:
        where = ":".join(str(p) for p in (finding.file, finding.line) if p is not None)
        click.echo(
            f"{where}: {finding.severity}: {finding.message} [{finding.rule_name}]", err=True
        )
        if finding.hint:
            click.echo(f"  hint: {finding.hint}", err=True)
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output or default_artifacts_path(config)
    write_atomic(target, text)
    classified = artifacts.column_classifications or {}
    columns = sum(len(cols) for cols in classified.values())
    click.echo(
        f"✓ compiled `{artifacts.metadata.pipeline_name}`: {columns} classified columns in "
        f"{len(classified)} models, {len(artifacts.findings)} findings -> {shown_path(target)}"
    )


@click.command()
@click.argument("name", required=False)
@click.option(
    "--template",
    "-t",
    type=click.Choice(TEMPLATES),
    default="basic",
    show_default=True,
    help="basic: seeds, a staging and a mart model; dbt-only: governance checks for a "
    "plain dbt project (no Cube, no deploy); full: Cube, schedules, sensors, deploy, tests.",
)
@click.option(
    "--directory",
    "-d",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Create the project here instead of ./NAME (with --existing: where floe.yaml goes, "
    "default the current folder).",
)
@click.option(
    "--existing",
    is_flag=True,
    help="Adopt an existing dbt project: write only floe.yaml, from the dbt profile the "
    "project uses (no credential is copied). Never overwrites a floe.yaml.",
)
@click.option(
    "--dbt",
    "dbt_path",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="With --existing: the dbt project's folder (default: the --directory).",
)
@click.option(
    "--target",
    default=None,
    help="With --existing: the dbt target to read (default: the profile's `target:`).",
)
def init(
    name: str | None,
    template: str,
    directory: Path | None,
    existing: bool,
    dbt_path: Path | None,
    target: str | None,
) -> None:
    """Create a new pipeline project NAME, or adopt an existing dbt project (--existing).

    A new project holds floe.yaml (with a schema comment for IDE completion), a dbt project
    with classified PII columns, and a profiles.yml so that `dbt build` works in it.
    An existing non-empty folder is never touched.

    With --existing, run in the folder of dbt_project.yml (or pass --dbt PATH): floe.yaml
    gets the compute target and settings of the profile's target (credentials only as
    `connection_secret_ref` or the `env_var()` names you wrote), the dbt transform, and a
    governance block with the policies of the classifications `floe-ci classify` proposes.

    \b
    Example:
      floe-ci init demo --template full
      cd demo && floe-ci validate && floe-ci compile && dbt build
      cd my-dbt-project && floe-ci init --existing && floe-ci classify --write
    """
    if existing:
        from floe_ci.cli.adopt_init import init_existing_command

        init_existing_command(directory or Path("."), dbt_path, target, name)
        return
    if name is None:
        raise click.UsageError("NAME is required (or use --existing in a dbt project)")
    from floe_ci.app.init_project import create_project

    target_dir = directory or Path(name)
    files = create_project(name, template, target_dir)
    click.echo(f"✓ created {template} project `{name}` in {target_dir} ({len(files)} files)")
    click.echo(f"  next: cd {target_dir} && floe-ci validate && floe-ci compile && dbt build")
