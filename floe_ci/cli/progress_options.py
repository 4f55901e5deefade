"""`--quiet` and `--verbose`: the progress of a command's long steps, and their durations."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

import click

from floe_ci.app.progress import Progress, activated

F = TypeVar("F", bound=Callable[..., object])


def progress_options(command: F) -> F:
    """Add `--quiet` and `--verbose` to a command that reports its steps."""
    command = click.option(
        "--verbose",
        "-v",
        is_flag=True,
        help="After the work, print how long each step took (on standard error).",
    )(command)
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress on standard error. Without it, a terminal shows a live line "
        "(the step, its counts, seconds elapsed) and a CI log a line when a step over a "
        "second starts and ends.",
    )(command)


@contextlib.contextmanager
def showing_progress(command: str, *, quiet: bool, verbose: bool) -> Iterator[Progress]:
    """The command's Progress on standard error (never standard output: it carries the
    reports), stopped and cleared before the caller prints its result."""
    stream = None if quiet else sys.stderr
    live = stream is not None and stream.isatty() and os.environ.get("TERM") != "dumb"
    progress = Progress(stream, live=live, command=command)
    with activated(progress):
        yield progress
    if verbose:
        click.echo(f"{command}: step durations", err=True)
        for line in progress.summary():
            click.echo(line, err=True)
