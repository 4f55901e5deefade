"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option(
    "--config",
    "-c",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("floe.yaml"),
    show_default=True,
    help="Path to floe.yaml.",
)


def shown_path(path: Path) -> str:
    """A path as a user wants to read it: relative to where they are, when it is below."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def one_shot_process() -> bool:
    """Whether this process is the `floe-ci` command itself, which ends after one command
    (not a test runner or a server calling the commands in-process, which live on)."""
    import sys

    return Path(sys.argv[0]).name == "floe-ci"
