"""The action's inputs (action.yml's `with:`), read the way a Docker action receives them.

The runner passes each input as `INPUT_<NAME>` with hyphens kept (`INPUT_FAIL-ON`);
`INPUT_<NAME_WITH_UNDERSCORES>` is accepted too. They arrive through the environment only,
never through a shell, and are checked all at once: one usage error names every bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from floe_ci.errors import FloeUsageError

if TYPE_CHECKING:
    # Only a type: importing governance.result builds pydantic models, which the action's
    # check must not do before it turns pydantic's plugin discovery off.
    from floe_ci.governance.result import FailOn

# What the action does itself; any other floe-ci command runs as `floe-ci COMMAND --config`.
ACTION_COMMANDS = ("check", "comment")
FAIL_ON = ("error", "warning", "never")
_BOOLEANS = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}


@dataclass(frozen=True)
class ActionInputs:
    command: str
    config: str
    base_ref: str
    fail_on: FailOn
    comment: bool
    token: str
    working_directory: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], other_commands: Iterable[str] = ()) -> ActionInputs:
        """Read and check the inputs; `other_commands` are the floe-ci commands that
        `command:` may name besides ACTION_COMMANDS (the CLI knows them, not this module)."""
        command = action_input(env, "command", "check")
        fail_on = action_input(env, "fail-on", "error")
        comment = action_input(env, "comment", "true").lower()
        problems = []
        known = known_commands(other_commands)
        if command not in known:
            problems.append(f"input `command`: `{command}` is not one of {', '.join(known)}")
        if fail_on not in FAIL_ON:
            problems.append(f"input `fail-on`: `{fail_on}` is not one of {', '.join(FAIL_ON)}")
        if comment not in _BOOLEANS:
            problems.append(f"input `comment`: `{comment}` is not true or false")
        if problems:
            raise FloeUsageError.single(
                "action.yml", "; ".join(problems), hint="fix the `with:` block of the step"
            )
        return cls(
            command=command,
            config=action_input(env, "config", "floe.yaml"),
            base_ref=action_input(env, "base-ref", ""),
            fail_on=cast("FailOn", fail_on),  # checked against FAIL_ON above
            comment=_BOOLEANS[comment],
            token=action_input(env, "github-token", "") or env.get("GITHUB_TOKEN", ""),
            working_directory=action_input(env, "working-directory", "."),
        )

    def workdir(self, env: Mapping[str, str]) -> Path:
        """`working-directory`, below the checkout (GITHUB_WORKSPACE, else the current one)."""
        return (workspace(env) / self.working_directory).resolve()


def known_commands(other_commands: Iterable[str]) -> list[str]:
    """ACTION_COMMANDS first, then the others sorted (the order a usage error lists them)."""
    others = sorted(set(other_commands) - {*ACTION_COMMANDS, "action"})
    return [*ACTION_COMMANDS, *others]


def action_input(env: Mapping[str, str], name: str, default: str) -> str:
    """An input as a Docker action receives it: INPUT_<NAME> with hyphens kept."""
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = env.get(key, "").strip()
        if value:
            return value
    return default


def workspace(env: Mapping[str, str]) -> Path:
    return Path(env.get("GITHUB_WORKSPACE") or ".")


def for_steps(path: Path, env: Mapping[str, str]) -> str:
    """A path later steps can use: relative to the workspace, which a Docker action sees
    mounted at another place (/github/workspace) than the steps that run on the host."""
    try:
        return path.resolve().relative_to(workspace(env).resolve()).as_posix()
    except ValueError:
        return str(path)


def in_repository(file: str, workdir: Path, env: Mapping[str, str]) -> str:
    """A problem's file as GitHub wants it in an annotation: relative to the repository."""
    path = Path(file)
    if not path.is_absolute():
        path = workdir / path
    return for_steps(path, env)
