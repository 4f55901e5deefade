"""The helper process that analyses a warm check's SQL (app.sql_worker) gives what
the analysis in the check gives: the same columns, the same failures, the same recursion
error; it asks for the relations a statement reads beyond its model's parents; and once it
is gone or has done its share, the check analyses the statements itself."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from floe_ci.app import sql_worker
from floe_ci.app.analysis_helper import LINEAGE_CACHE, analysis_helper
from floe_ci.app.compile import state_dir_for
from floe_ci.app.sql_worker import Worker
from floe_ci.cli.main import cli
from floe_ci.integrations.dbt.lineage import CACHE_FILE
from floe_ci.lineage.builder import _Analyse
from floe_ci.lineage.column_refs import RelationKey, SqlColumns
from floe_ci.lineage.sql_columns import analyse_sql
from tests.conftest import copy_example
from tests.integration.rules_support import EXAMPLE_FINDINGS

pytestmark = pytest.mark.integration

ORDERS: RelationKey = ("db", "main", "orders")
CUSTOMERS: RelationKey = ("db", "main", "customers")
COLUMNS = {ORDERS: ["id", "customer_id", "amount"], CUSTOMERS: ["id", "email"]}


def _columns(key: RelationKey) -> Sequence[str] | None:
    return COLUMNS.get(key)


@pytest.fixture
def worker() -> Iterator[Worker]:
    started = Worker()
    yield started
    started.close()


JOIN = (
    'select o.id, c.email, o.amount * 2 as doubled from "db"."main"."orders" o '
    'join "db"."main"."customers" c on o.customer_id = c.id'
)
STAR = 'select * from "db"."main"."customers"'


@pytest.mark.parametrize(
    "sql",
    [
        JOIN,
        STAR,
        'select * from "db"."main"."nowhere"',  # a relation nobody knows
        "select from where",  # sqlglot cannot parse it
        "create table x as select 1",  # not a query
    ],
)
def test_the_helper_gives_what_the_analysis_here_gives(worker: Worker, sql: str) -> None:
    here = analyse_sql(sql, "duckdb", _columns)
    there = worker(sql, "duckdb", _columns, [ORDERS])
    assert there == here
    assert isinstance(there, SqlColumns)


def test_a_relation_beyond_the_parents_is_asked_for_again(worker: Worker) -> None:
    # customers is not among the likely relations: its columns expand the `*` all the same
    there = worker(STAR, "duckdb", _columns, [ORDERS])
    assert there is not None and there.columns is not None
    assert [column.name for column in there.columns] == ["id", "email"]


def test_sql_too_deep_for_the_helper_is_analysed_in_the_check_which_decides(
    worker: Worker,
) -> None:
    deep = "select " + "(" * 20_000 + "email" + ")" * 20_000 + ' as e from "db"."main"."x"'
    with pytest.raises(RecursionError):
        analyse_sql(deep, "duckdb", _columns)
    assert worker(deep, "duckdb", _columns, []) is None  # its stack is the shorter one
    with pytest.raises(RecursionError):  # the builder turns it into the model's reason
        _Analyse("duckdb", worker)(deep, _columns, [])
    # and the helper goes on answering afterwards
    assert worker(JOIN, "duckdb", _columns, [ORDERS]) == analyse_sql(JOIN, "duckdb", _columns)


@pytest.mark.parametrize(
    "start",
    [
        # a start-up hook that prints: its text would be read as a reply
        "print('hello from sitecustomize'); " + sql_worker._MAIN,
        # a length no reply has: never read (nor waited for) in full
        "import sys, time; sys.stdout.buffer.write(b'floe-ci sql worker 1\\n' + b'\\xff' * 8);"
        " sys.stdout.flush(); time.sleep(60)",
        # not a reply of the protocol
        "import sys, pickle, struct, time; p = pickle.dumps(('done', 1, 2));"
        " sys.stdout.buffer.write(b'floe-ci sql worker 1\\n' + struct.pack('<Q', len(p)) + p);"
        " sys.stdout.flush(); time.sleep(60)",
    ],
    ids=["printed-at-start", "huge-length", "wrong-shape"],
)
def test_a_helper_that_breaks_the_protocol_is_stopped_and_the_check_analyses(
    start: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_worker, "_MAIN", start)
    worker = Worker()
    try:
        assert worker(JOIN, "duckdb", _columns, [ORDERS]) is None
        assert worker._process is None  # stopped, not left running
        assert _Analyse("duckdb", worker)(JOIN, _columns, [ORDERS]) == analyse_sql(
            JOIN, "duckdb", _columns
        )
    finally:
        worker.close()


def test_no_helper_when_none_can_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / LINEAGE_CACHE
    cache.parent.mkdir(parents=True)
    cache.write_text("{}")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    with analysis_helper(tmp_path / "floe.yaml") as started:
        assert started is not None
    python = sys.executable
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with analysis_helper(tmp_path / "floe.yaml") as started:
        assert started is None
    monkeypatch.setattr(sys, "executable", python)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    with analysis_helper(tmp_path / "floe.yaml") as started:
        assert started is None  # one processor: the helper would only wait its turn
    monkeypatch.undo()
    cache.unlink()
    with analysis_helper(tmp_path / "floe.yaml") as started:
        assert started is None  # a cold check analyses every model itself


def test_a_helper_that_died_leaves_the_analysis_to_the_check(worker: Worker) -> None:
    process = worker._process
    assert process is not None
    process.kill()
    process.wait()
    assert worker(JOIN, "duckdb", _columns, [ORDERS]) is None
    analyse = _Analyse("duckdb", worker)
    assert analyse(JOIN, _columns, [ORDERS]) == analyse_sql(JOIN, "duckdb", _columns)


def test_past_its_share_the_check_analyses_the_rest(
    worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_worker, "SHARE", 2)
    answers = [worker(JOIN, "duckdb", _columns, [ORDERS]) for _ in range(3)]
    assert answers[0] is not None and answers[1] is not None and answers[2] is None
    assert worker.answered == 2


def test_a_warm_check_after_an_sql_edit_is_analysed_by_the_helper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_example(tmp_path / "shop", EXAMPLE_FINDINGS)
    asked: list[str] = []
    answer = Worker.__call__

    def counted(self: Worker, sql: str, *args: Any) -> SqlColumns | None:
        result = answer(self, sql, *args)
        if result is not None:  # answered by the helper, not left to the check
            asked.append(sql)
        return result

    monkeypatch.setattr(Worker, "__call__", counted)
    _cli_check(project, tmp_path / "cold.json")
    assert asked == []  # a cold check starts no helper: it analyses every model itself
    model = project / "models" / "marts" / "customers.sql"
    model.write_text(model.read_text().replace("select", "select 1 as one,", 1))
    warm = _cli_check(project, tmp_path / "warm.json")
    assert len(asked) == 1 and "1 as one" in asked[0]
    shutil.rmtree(project / ".floe" / "cache")
    assert warm == _cli_check(project, tmp_path / "again.json")  # what a check finds afresh
    assert len(asked) == 1


def test_the_actions_warm_check_is_analysed_by_the_helper_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from floe_ci.app.action import run_action

    workspace = tmp_path / "workspace"
    project = copy_example(workspace / "shop", EXAMPLE_FINDINGS)
    asked: list[str] = []
    answer = Worker.__call__

    def counted(self: Worker, sql: str, *args: Any) -> SqlColumns | None:
        result = answer(self, sql, *args)
        if result is not None:
            asked.append(sql)
        return result

    monkeypatch.setattr(Worker, "__call__", counted)
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    env = {
        "GITHUB_WORKSPACE": str(workspace),
        "INPUT_WORKING-DIRECTORY": "shop",
        "INPUT_COMMENT": "false",
        "INPUT_FAIL-ON": "never",
    }
    assert run_action(env, io.StringIO()) == 0
    assert asked == []  # cold: no helper
    model = project / "models" / "marts" / "customers.sql"
    model.write_text(model.read_text().replace("select", "select 1 as one,", 1))
    assert run_action(env, io.StringIO()) == 0
    assert len(asked) == 1 and "1 as one" in asked[0]
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ  # off for the check only
    report = json.loads((project / ".floe" / "github" / "report.json").read_text())
    assert report["findings"] == _cli_check(project, tmp_path / "check.json")["findings"]


def test_the_helper_looks_for_the_lineage_cache_where_the_check_keeps_it(tmp_path: Path) -> None:
    config = tmp_path / "floe.yaml"
    lineage_dir = state_dir_for(config) / "cache" / "lineage"
    assert tmp_path / LINEAGE_CACHE == lineage_dir / CACHE_FILE


def _cli_check(project: Path, report: Path) -> dict[str, Any]:
    run = CliRunner().invoke(
        cli,
        ["check", "-c", str(project / "floe.yaml"), "--fail-on", "never", "-f", f"json={report}"],
    )
    assert run.exit_code == 0, run.output
    data: dict[str, Any] = json.loads(report.read_text())
    data["stats"].pop("durations", None)
    return data
