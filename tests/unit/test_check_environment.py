"""A check (`floe-ci check`, the action's) turns pydantic's plugin discovery off for itself only."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from floe_ci.app.pydantic_plugins import pydantic_plugins_off

PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


def test_plugins_are_off_during_the_check_and_the_environment_is_given_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PLUGINS, raising=False)
    with pydantic_plugins_off():
        assert os.environ[PLUGINS] == "__all__"
    assert PLUGINS not in os.environ  # what runs later (dbt, Dagster) sees no change
    with pytest.raises(RuntimeError), pydantic_plugins_off():
        raise RuntimeError("a failed check")
    assert PLUGINS not in os.environ


@pytest.mark.parametrize("value", ["", "logfire", "__all__"])
def test_a_value_the_user_set_is_left_alone(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(PLUGINS, value)
    with pydantic_plugins_off():
        assert os.environ[PLUGINS] == value
    assert os.environ[PLUGINS] == value


def test_no_model_is_built_before_a_check_can_turn_discovery_off() -> None:
    # pydantic looks for plugins when the first model is built: importing the CLI or the
    # action's controller must build none, or the switch comes too late to save anything.
    code = (
        "import floe_ci.cli.main, floe_ci.cli.check_cmd, floe_ci.app.action\n"
        "import pydantic.plugin._loader as loader\n"
        "print(loader._plugins)"
    )
    env = {k: v for k, v in os.environ.items() if k != PLUGINS}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "None"  # not yet looked for
