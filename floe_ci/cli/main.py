"""Entry point of the `floe-ci` and `floe` commands.

Only click and the standard library are imported at start-up; every command imports what it
needs when it runs, so `floe-ci --help` answers instantly and never loads dbt or Dagster.
"""

from __future__ import annotations

import atexit
import errno
import gc
import sys
from pathlib import Path
from typing import Any

import click

from floe_ci import __version__
from floe_ci.cli.action_cmd import action_command
from floe_ci.cli.adopt_cmds import classify, fix_command
from floe_ci.cli.check_cmd import check, rules
from floe_ci.cli.cube_cmd import cube_group
from floe_ci.cli.deploy_cmd import deploy_command
from floe_ci.cli.mcp_cmd import mcp_command
from floe_ci.cli.runtime_cmds import dev_command, run_command, test_command
from floe_ci.cli.schema_cmd import schema
from floe_ci.cli.spec_cmds import compile_command, init, validate

EXIT_USAGE = 2

# Run last at exit: with dbt loaded, the interpreter's final collections walk every object
# of every module (about 2 s after a `dbt parse`); frozen objects are skipped by them.
atexit.register(gc.freeze)
_USER_FIXABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


class FloeGroup(click.Group):
    """Turns user errors into a located message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from floe_ci.errors import FloeUsageError

        try:
            return super().invoke(ctx)
        except FloeUsageError as exc:
            click.echo(str(exc), err=True)
            ctx.exit(EXIT_USAGE)
        except OSError as exc:
            # A folder floe-ci (or dbt for it) must write to is read-only or full: the
            # user's to fix, so a located message and exit 2 rather than a traceback.
            if exc.errno not in _USER_FIXABLE:
                raise
            from floe_ci.fsutil import unwritable

            click.echo(str(unwritable(Path(exc.filename or "."), exc)), err=True)
            ctx.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(
    cls=FloeGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", "-V", prog_name="floe-ci")
def cli() -> None:
    """floe-ci: an honest verdict on every pull request of a dbt pipeline.

    A pipeline is described by floe.yaml next to a dbt project. Typical use:

    \b
      floe-ci init shop --template full     # scaffold a project
      floe-ci validate -c shop/floe.yaml    # check floe.yaml
      floe-ci compile  -c shop/floe.yaml    # write shop/.floe/artifacts.json
      floe-ci init --existing && floe-ci classify --write   # adopt a dbt project

    Exit codes: 0 success, 1 findings, 2 bad input or usage.
    """


cli.add_command(validate)
cli.add_command(compile_command)
cli.add_command(init)
cli.add_command(schema)
cli.add_command(check)
cli.add_command(rules)
cli.add_command(action_command)
cli.add_command(run_command)
cli.add_command(dev_command)
cli.add_command(test_command)
cli.add_command(deploy_command)
cli.add_command(cube_group)
cli.add_command(mcp_command)
cli.add_command(classify)
cli.add_command(fix_command)


def main() -> None:  # pragma: no cover - exercised through the console script
    cli(prog_name="floe-ci")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
