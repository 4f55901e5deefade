"""`floe-ci action`: the GitHub Action's entry point (the Docker image's ENTRYPOINT).

A thin command over the controller `floe_ci.app.action`, which reads the inputs (INPUT_*
variables, never a shell) and the event, and returns the exit code by the verdict. The one
thing only the CLI can do is run another floe-ci command (`command: validate`): the
controller hands it back, and it runs on the group this command belongs to.
"""

from __future__ import annotations

import os
import sys

import click


@click.command("action")
@click.pass_context
def action_command(ctx: click.Context) -> None:
    """Run floe-ci as the GitHub Action does: check, annotate, summarize and comment.

    Reads the inputs from INPUT_* variables and the event from GITHUB_EVENT_PATH; writes
    $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT; posts or updates one pull-request comment.
    `command: comment` is the trusted second stage of the fork-safe workflow: it posts the
    comment that the first stage left in `working-directory` (comment.md, pr-number).

    \b
    Example (what the Docker image runs):
      INPUT_COMMAND=check INPUT_CONFIG=floe.yaml INPUT_FAIL-ON=warning floe-ci action
    """
    from floe_ci.app.action import Delegate, run_action

    # The group, not an import of cli.main: that module imports this one.
    group = ctx.find_root().command
    commands = group.commands if isinstance(group, click.Group) else {}
    outcome = run_action(dict(os.environ), sys.stdout, commands)
    if isinstance(outcome, Delegate):
        code = group.main(args=list(outcome.args), prog_name="floe-ci", standalone_mode=False)
        outcome = code if isinstance(code, int) else 0
    sys.exit(outcome)
