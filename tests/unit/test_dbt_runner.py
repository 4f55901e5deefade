"""The one dbtRunner invocation: the argument lists each caller hands dbt, and failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt import compile_job, parse, runner
from floe_ci.integrations.dbt.project import DbtProject
from floe_ci.integrations.dbt.runner import DbtInvocation, DbtOutcome


def test_the_common_flags_in_the_order_dbt_always_received_them() -> None:
    invocation = DbtInvocation("parse", Path("/p"), Path("/prof"), "parse", Path("/logs"))
    assert invocation.args() == [
        "parse",
        "--project-dir",
        "/p",
        "--profiles-dir",
        "/prof",
        "--target",
        "parse",
        "--no-version-check",
        "--log-path",
        "/logs",
        "--log-level",
        "none",
        "--log-level-file",
        "info",
    ]
    assert invocation.log_file == Path("/logs/dbt.log")


def test_target_path_flags_selection_and_extra_arguments_go_where_they_went() -> None:
    invocation = DbtInvocation(
        "compile",
        Path("/p"),
        Path("/prof"),
        "dev",
        Path("/logs"),
        target_path=Path("/t"),
        flags=("--no-write-json", "--no-populate-cache"),
        select=("path:models/a.sql", "b"),
        exclude=("c",),
        extra=("--full-refresh",),
    )
    assert invocation.args() == [
        "compile",
        "--project-dir",
        "/p",
        "--profiles-dir",
        "/prof",
        "--target",
        "dev",
        "--target-path",
        "/t",
        "--no-version-check",
        "--no-write-json",
        "--no-populate-cache",
        "--log-path",
        "/logs",
        "--log-level",
        "none",
        "--log-level-file",
        "info",
        "--select",
        "path:models/a.sql",
        "b",
        "--exclude",
        "c",
        "--full-refresh",
    ]


def test_an_invocation_survives_the_trip_to_the_compile_child() -> None:
    invocation = DbtInvocation(
        "compile", Path("/p"), Path("/q"), "parse", Path("/l"), Path("/t"), ("--x",), ("a",)
    )
    data = json.loads(json.dumps(invocation.to_json()))
    assert DbtInvocation.from_json(data) == invocation
    bare = DbtInvocation("parse", Path("/p"), Path("/q"), "parse", Path("/l"))
    assert DbtInvocation.from_json(bare.to_json()) == bare


def test_a_failure_names_dbts_exception_or_else_the_last_error_in_its_log(tmp_path: Path) -> None:
    raised = DbtOutcome(False, None, RuntimeError("  Compilation Error\n in x  "), tmp_path / "l")
    assert raised.error == "Compilation Error\n in x"
    log = tmp_path / "dbt.log"
    quiet = DbtOutcome(False, None, None, log)
    assert quiet.error is None
    assert quiet.last_log_error() == "dbt reported no reason"
    log.write_text("12:00 Running with dbt\n12:01 Parsing Error in models/x.sql\n12:02 done\n\n")
    assert quiet.last_log_error() == "12:01 Parsing Error in models/x.sql"
    log.write_text("12:00 Running with dbt\n12:02 done\n")
    assert quiet.last_log_error() == "12:02 done"


class _FakeRunner:
    """Stands in for dbtRunner: records what it was given, returns a canned result."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, manifest: Any = None, callbacks: list[Any] | None = None) -> None:
        self.manifest = manifest
        self.callbacks = callbacks

    def invoke(self, args: list[str]) -> Any:
        type(self).calls.append(
            {
                "args": args,
                "callbacks": self.callbacks,
                "env": dict(os.environ),
                "cwd": Path.cwd(),
            }
        )

        class Result:
            success = False
            result = None
            exception = None

        return Result()


@pytest.fixture
def fake_dbt(monkeypatch: pytest.MonkeyPatch) -> type[_FakeRunner]:
    import dbt.cli.main

    _FakeRunner.calls = []
    monkeypatch.setattr(dbt.cli.main, "dbtRunner", _FakeRunner)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "true")  # the user's choice stays
    return _FakeRunner


def test_invoke_runs_offline_in_the_project_and_passes_the_callbacks(
    fake_dbt: type[_FakeRunner], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def on_event(_message: Any) -> None: ...

    (tmp_path / "p").mkdir()
    monkeypatch.chdir(tmp_path)
    invocation = DbtInvocation("build", Path("p"), Path("q"), "dev", Path("l"))
    outcome = runner.invoke(invocation, callbacks=[on_event])
    (call,) = fake_dbt.calls
    # relative folders made absolute: dbt runs in the project's folder, as users run it
    assert call["args"] == invocation.absolute().args()
    assert call["args"][call["args"].index("--project-dir") + 1] == str(tmp_path / "p")
    assert call["cwd"] == tmp_path / "p" and Path.cwd() == tmp_path
    assert call["callbacks"] == [on_event]
    assert call["env"]["DO_NOT_TRACK"] == "1"
    assert call["env"]["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "true"
    assert not outcome.success and outcome.log_file == Path("l/dbt.log")


def test_a_failed_parse_shows_the_log_s_error(fake_dbt: type[_FakeRunner], tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: shop\n")
    state = tmp_path / ".floe"
    project = parse.parse_target_project(DbtProject(tmp_path, "shop", "shop", "target", {}), state)
    (state / "logs").mkdir(parents=True)
    (state / "logs" / "dbt.log").write_text("Parsing Error: bad yaml in models/x.yml\n")
    users = tmp_path / "target" / "manifest.json"  # the user's own parse: never floe-ci's
    users.parent.mkdir()
    users.write_text("{}")
    with pytest.raises(FloeUsageError) as info:
        parse.run_dbt_parse(project, state)
    (problem,) = info.value.problems
    assert problem.message == "`dbt parse` failed: Parsing Error: bad yaml in models/x.yml"
    assert str(state / "logs" / "dbt.log") in str(problem.hint)
    (call,) = fake_dbt.calls
    assert call["args"][:10] == [
        "parse",
        "--project-dir",
        str(tmp_path),
        "--profiles-dir",
        str(state / "parse-profile"),
        "--target",
        "parse",
        "--target-path",
        str((state / "cache" / "parse-target").resolve()),
        "--no-version-check",
    ]
    assert users.read_text() == "{}"


def test_the_compile_child_reads_its_invocation_and_reports_dbts_error(tmp_path: Path) -> None:
    invocation = DbtInvocation("compile", tmp_path / "nowhere", tmp_path, "parse", tmp_path)
    request, response = tmp_path / "request.json", tmp_path / "response.json"
    request.write_text(json.dumps({"invocation": invocation.to_json()}))
    env = {**os.environ, **runner.OFFLINE_ENV}
    done = subprocess.run(
        [sys.executable, "-m", compile_job.__name__, str(request), str(response)],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(response.read_bytes())
    assert answer["compiled"] == {}
    assert answer["error"]  # dbt's own words: the project folder does not exist
