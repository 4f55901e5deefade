"""Workflow commands, step outputs, masking and action inputs: the runner's text protocols."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.github import runner
from floe_ci.integrations.github.inputs import ActionInputs, action_input
from floe_ci.integrations.github.masking import referenced_env_names, values_to_mask
from floe_ci.report import workflow_commands as wc


def test_a_message_cannot_start_a_command_of_its_own() -> None:
    line = wc.command("error", "bad\n::add-mask::x 100%", {"file": "a,b:c.yml", "line": 3})
    assert line == "::error file=a%2Cb%3Ac.yml,line=3::bad%0A::add-mask::x 100%25"
    assert "\n" not in line


def test_annotations_are_capped_per_level_with_a_summary_line() -> None:
    items = [wc.Annotation("error", f"e{i}", "f.yml", i + 1) for i in range(13)]
    items += [wc.Annotation("warning", "w", "f.yml", 1)]
    lines = wc.annotation_lines(items)
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 1
    assert lines[-1] == (
        "::notice::3 more error(s) not annotated (GitHub shows 10 per level); see the job summary"
    )


def test_the_summary_line_keeps_a_notice_slot_for_itself() -> None:
    items = [wc.Annotation("notice", f"n{i}") for i in range(12)]
    lines = wc.annotation_lines(items)
    assert len(lines) == wc.MAX_ANNOTATIONS_PER_LEVEL  # 9 notices and the summary: GitHub shows all
    assert lines[-1].startswith("::notice::3 more notice(s) not annotated")


def test_nothing_hidden_means_no_summary_line() -> None:
    items = [wc.Annotation("warning", "w", title="T, a:b")] * 10
    assert wc.annotation_lines(items) == ["::warning title=T%2C a%3Ab::w"] * 10


def test_outputs_use_a_delimiter_that_the_value_does_not_contain(tmp_path: Path) -> None:
    target = tmp_path / "output"
    value = "line 1\nghadelimiter_\nline 3"
    assert runner.write_outputs({"summary": value, "verdict": "failed"}, str(target))
    text = target.read_text()
    first, _, rest = text.partition("\n")
    name, _, delimiter = first.partition("<<")
    assert name == "summary" and delimiter.startswith("ghadelimiter_")
    assert rest.startswith(value + "\n" + delimiter + "\n")
    assert "verdict<<" in rest


def test_no_github_output_means_no_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert runner.write_outputs({"x": "y"}) is False
    assert runner.append_summary("# x") is False


def test_the_summary_is_appended_and_capped(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    runner.append_summary("# one", str(target))
    runner.append_summary("x" * (runner.MAX_SUMMARY_BYTES + 10), str(target))
    text = target.read_text()
    assert text.startswith("# one\n")
    assert len(text.encode()) <= runner.MAX_SUMMARY_BYTES + 10
    assert "summary was cut at 1 MB" in text


def test_secrets_named_by_floe_yaml_and_secret_looking_variables_are_masked() -> None:
    spec = {
        "compute": {
            "connection_secret_ref": "WAREHOUSE_CREDS",
            "properties": {"password": "{{ env_var('DBT_PASS') }}", "host": "${DB_HOST}"},
        },
        "consumption": {"cube": {"api_secret_ref": "CUBE_API_SECRET"}},
    }
    names = referenced_env_names(spec)
    assert names == {"WAREHOUSE_CREDS", "DBT_PASS", "DB_HOST", "CUBE_API_SECRET"}
    env = {
        "WAREHOUSE_CREDS": "user:hunter22@db",
        "DB_HOST": "db.internal",
        "MY_API_TOKEN": "tok-123456",
        "PATH": "/usr/bin",
        "INPUT_CONFIG": "floe.yaml",
        "SHORT_SECRET": "ab",
    }
    masked = values_to_mask(env, names, ["ghs_token_value"])
    assert masked == ["user:hunter22@db", "ghs_token_value", "db.internal", "tok-123456"]
    assert wc.add_mask_lines("first\n\nsecond ") == ["::add-mask::first", "::add-mask::second"]


def test_inputs_are_read_with_hyphens_kept_or_as_underscores() -> None:
    env = {"INPUT_FAIL-ON": "warning", "INPUT_WORKING_DIRECTORY": "shop", "GITHUB_TOKEN": "t0ken"}
    assert action_input(env, "fail-on", "error") == "warning"
    inputs = ActionInputs.from_env(env)
    assert (inputs.fail_on, inputs.working_directory, inputs.token) == ("warning", "shop", "t0ken")
    assert (inputs.command, inputs.config, inputs.comment) == ("check", "floe.yaml", True)
    assert ActionInputs.from_env({"INPUT_COMMENT": "false"}).comment is False


def test_other_commands_are_those_the_caller_names() -> None:
    env = {"INPUT_COMMAND": "validate"}
    assert ActionInputs.from_env(env, ["action", "check", "validate"]).command == "validate"
    with pytest.raises(FloeUsageError) as caught:
        ActionInputs.from_env(env)
    assert "`validate` is not one of check, comment" in str(caught.value)
    with pytest.raises(FloeUsageError) as caught:
        ActionInputs.from_env({"INPUT_COMMAND": "action"}, ["action", "validate"])
    assert "is not one of check, comment, validate" in str(caught.value)


def test_bad_inputs_are_one_usage_error_naming_each() -> None:
    with pytest.raises(FloeUsageError) as caught:
        ActionInputs.from_env({"INPUT_FAIL-ON": "often", "INPUT_COMMENT": "maybe"})
    message = str(caught.value)
    assert "`fail-on`: `often`" in message and "`comment`: `maybe`" in message
