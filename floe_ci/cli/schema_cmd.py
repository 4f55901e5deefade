"""`floe-ci schema export`: JSON Schemas for IDEs and other tools."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def schema() -> None:
    """JSON Schemas of floe.yaml, of the compiled artifacts and of the check report.

    \b
    Example:
      floe-ci schema export --type floespec --output floe.schema.json
    """


@schema.command("export")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["floespec", "artifacts", "report"]),
    default="floespec",
    show_default=True,
    help="floespec: the floe.yaml schema; artifacts: CompiledArtifacts; report: the JSON "
    "report of `floe-ci check` (with its `plan` after --base).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default=Path("-"),
    help="File to write (atomically); `-` for standard output.  [default: -]",
)
def export(kind: str, output: Path) -> None:
    """Export a JSON Schema (draft 2020-12).

    \b
    Examples:
      floe-ci schema export --type floespec --output floe.schema.json
      floe-ci schema export --type artifacts --output compiled-artifacts.schema.json
      floe-ci schema export --type report --output check-report.schema.json

    Point your editor at the floe.yaml schema with a first line such as
    `# yaml-language-server: $schema=floe.schema.json`.
    """
    from floe_ci.fsutil import write_atomic
    from floe_ci.schema_export import schema_text

    text = schema_text(kind)
    if str(output) == "-":
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"✓ wrote the {kind} schema to {output}")
