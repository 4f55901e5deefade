"""`floe run` on the example: every model materialized through Dagster, rows in DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import copy_example
from tests.fixtures.postgres import PostgresServer, use_postgres

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
EXPECTED_ROWS = {
    "raw_customers": 6,
    "raw_orders": 10,
    "stg_customers": 6,
    "stg_orders": 10,
    "customers": 6,
    "orders": 10,
}


def floe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "floe"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        timeout=600,
    )


@pytest.fixture(scope="module")
def shop_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = copy_example(tmp_path_factory.mktemp("run") / "shop")
    return root, floe("run", "-c", "floe.yaml", cwd=root)


def test_run_materializes_every_model_through_dagster(
    shop_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, done = shop_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    for name in EXPECTED_ROWS:
        assert any(
            line.split()[:3][1:] == [("seed" if name.startswith("raw") else "model"), name]
            and line.lstrip().startswith("✓")
            for line in lines
        ), (name, done.stdout)
    summary = lines[-1]
    assert summary.startswith("✓ floe run `shop`: 4 models, 2 seeds, 12 tests")
    assert "12 asset checks passed" in summary and "Dagster run" in summary
    # dbt's own output is kept in the log, not on the terminal
    assert "Completed successfully" in (root / ".floe" / "logs" / "run.log").read_text()
    assert (root / ".floe" / "artifacts.json").is_file()


def test_duckdb_holds_the_expected_rows(
    shop_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, done = shop_run
    assert done.returncode == 0
    with duckdb.connect(str(root / "target" / "shop.duckdb"), read_only=True) as con:
        counts = {
            table: con.execute(f'select count(*) from main."{table}"').fetchone()[0]  # type: ignore[index]
            for table in EXPECTED_ROWS
        }
        assert counts == EXPECTED_ROWS
        # returned orders are left out of the customers' order counts
        assert con.execute("select sum(order_count) from main.customers").fetchone() == (9,)
        # a local run is non_production: the pii columns of the built models are governed
        emails = [r[0] for r in con.execute("select email from main.customers").fetchall()]
        raw = {"ada@example.com", "alan@example.com", "grace@example.com", "donald@example.com"}
        assert len(emails) == 6 and not raw & set(emails)


def test_lineage_file_from_the_example_config(
    shop_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, _ = shop_run
    events = (root / ".floe" / "lineage.jsonl").read_text().splitlines()
    assert len(events) == 12  # START and COMPLETE for 4 models and 2 seeds


def test_a_failing_model_exits_1_and_is_named(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    (root / "models" / "marts" / "orders.sql").write_text(
        "select no_such_column from {{ ref('stg_orders') }}\n"
    )
    done = floe("run", "--exclude", "customers", cwd=root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    failed = [line for line in done.stdout.splitlines() if line.lstrip().startswith("✗")]
    assert any("orders" in line and "error" in line for line in failed), done.stdout
    built = [line for line in done.stdout.splitlines() if line.lstrip().startswith("✓")]
    assert any("stg_orders" in line for line in built)  # upstream of the failure: fine
    assert not any(" customers " in line for line in done.stdout.splitlines())  # excluded
    assert "\x1b[" not in done.stdout
    assert done.stdout.splitlines()[-1].startswith("✗ floe run `shop`")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "nowhere"], "unknown environment `nowhere`"),
        (["--select", "no_such_model"], "selects no dbt model"),
    ],
)
def test_bad_options_exit_2_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    root = copy_example(tmp_path / "shop")
    done = floe("run", *args, cwd=root)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_help_has_examples(tmp_path: Path) -> None:
    for command in ("run", "dev", "test"):
        done = floe(command, "--help", cwd=tmp_path)
        assert (
            done.returncode == 0 and "Examples:" in done.stdout and f"floe {command}" in done.stdout
        )


def test_floe_test_runs_the_dbt_tests_and_summarizes(
    shop_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, _ = shop_run
    done = floe("test", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("✓ floe test `shop`: 12 tests (12 pass)")

    failing = root / "tests" / "assert_no_customers.sql"
    failing.parent.mkdir(exist_ok=True)
    failing.write_text("select * from {{ ref('customers') }}\n")  # 6 rows: the test fails
    try:
        done = floe("test", "--select", "customers", cwd=root)
    finally:
        failing.unlink()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✗ assert_no_customers: fail" in done.stdout
    assert "4 tests (1 fail, 3 pass)" in done.stdout.splitlines()[-1]


def test_run_on_postgres_through_the_generated_profile(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    root = copy_example(tmp_path / "shop")
    use_postgres(root, postgres_server, "shop-pg-run", "shop_run")
    env = {
        "SHOP_PG_RUN_USER": postgres_server.user,
        "SHOP_PG_RUN_PASSWORD": postgres_server.password,
    }
    done = subprocess.run(
        [str(BIN / "floe"), "run"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DO_NOT_TRACK": "1", **env},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(postgres, non_production)" in done.stdout
    assert postgres_server.password not in done.stdout + done.stderr
    with postgres_server.connect() as con, con.cursor() as cur:
        counts = {}
        for table in EXPECTED_ROWS:
            cur.execute(f'select count(*) from shop_run."{table}"')
            counts[table] = cur.fetchone()[0]
    assert counts == EXPECTED_ROWS
    events = [
        json.loads(line) for line in (root / ".floe" / "lineage.jsonl").read_text().splitlines()
    ]
    assert {e["outputs"][0]["namespace"] for e in events} == {
        f"postgres://{postgres_server.host}:{postgres_server.port}"
    }
