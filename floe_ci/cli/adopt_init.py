"""`floe-ci init --existing`: what it prints (the work is app/init_existing)."""

from __future__ import annotations

from pathlib import Path

import click

from floe_ci.cli.options import shown_path


def init_existing_command(
    directory: Path, dbt_path: Path | None, target: str | None, name: str | None
) -> None:
    from floe_ci.app.init_existing import init_existing

    if name is not None:
        raise click.UsageError(
            "--existing takes no NAME: the pipeline is named after the dbt project"
        )
    made = init_existing(directory, dbt_path, target)
    profile = made.profile
    click.echo(
        f"✓ wrote {shown_path(made.config)} for dbt project {shown_path(made.dbt_project)} "
        f"(profile `{profile.profile}`, target `{profile.target}`, {profile.adapter})"
    )
    if made.secret_ref:
        click.echo(
            f"  credentials ({', '.join(profile.dropped)}) were not copied: they are read from "
            f"the environment through connection_secret_ref `{made.secret_ref}`"
        )
    if made.ignored:
        click.echo(
            f"✓ added {', '.join(made.ignored)} to .gitignore (a committed `.floe/` is never "
            "trusted: every check would parse again from empty caches; `target/` is dbt's output)"
        )
    if made.tracked:
        folders = " ".join(entry.rstrip("/") for entry in made.tracked)
        click.echo(
            f"! git tracks files in {', '.join(made.tracked)}; .gitignore does not untrack "
            f"them: run `git rm -r --cached {folders}` and commit"
        )
    config = shown_path(made.config)
    option = "" if config == "floe.yaml" else f" -c {config}"
    click.echo("  next:")
    click.echo(f"    floe-ci classify{option}            # proposed classifications")
    click.echo(f"    floe-ci classify{option} --write    # write them into the properties YAML")
    click.echo(f"    floe-ci fix{option} && floe-ci check{option}")
