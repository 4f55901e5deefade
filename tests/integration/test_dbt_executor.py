"""The dbt executor runs real dbt (dbtRunner) on DuckDB through the generated profile."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from floe_ci.app.compile import compile_pipeline
from floe_ci.errors import FloeUsageError
from floe_ci.integrations.dbt.executor import DbtExecutor, DbtRunResult
from tests.conftest import copy_example

pytestmark = pytest.mark.integration

MODELS = {"stg_customers", "stg_orders", "customers", "orders"}


def executor_for(project: Path) -> tuple[DbtExecutor, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=False, color_system=None)
    return DbtExecutor(compile_pipeline(project / "floe.yaml"), project, console=console), out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DbtRunResult, str]:
    project = copy_example(tmp_path_factory.mktemp("exec") / "shop")
    executor, out = executor_for(project)
    result = executor.build(progress=True)
    return project, result, out.getvalue()


def test_build_reports_every_node_with_status_and_timing(
    built: tuple[Path, DbtRunResult, str],
) -> None:
    _, result, _ = built
    assert result.success and result.failures == [] and result.error is None
    by_type: dict[str, set[str]] = {}
    for node in result.nodes:
        by_type.setdefault(node.resource_type, set()).add(node.name)
        assert node.unique_id.startswith(f"{node.resource_type}.shop.")
        assert node.execution_time > 0
    assert by_type["model"] == MODELS
    assert by_type["seed"] == {"raw_customers", "raw_orders"}
    assert len(by_type["test"]) == 12
    assert result.counts() == {"pass": 12, "success": 6}
    assert {n.name for n in result.built()} == MODELS
    orders = next(n for n in result.nodes if n.name == "orders")
    assert orders.relation == '"shop"."main"."orders"'


def test_build_writes_the_warehouse_and_keeps_the_log_under_floe(
    built: tuple[Path, DbtRunResult, str],
) -> None:
    project, result, _ = built
    assert result.log_path == project / ".floe" / "logs" / "dbt.log"
    assert "Completed successfully" in result.log_path.read_text()
    # The DuckDB path of floe.yaml is relative to the dbt project folder.
    with duckdb.connect(str(project / "target" / "shop.duckdb"), read_only=True) as conn:
        counts = {t: conn.sql(f"select count(*) from {t}").fetchone() for t in MODELS}
    assert counts == {
        "stg_customers": (6,),
        "stg_orders": (10,),
        "customers": (6,),
        "orders": (10,),
    }


def test_progress_shows_nodes_done_of_total_and_a_summary(
    built: tuple[Path, DbtRunResult, str],
) -> None:
    _, _, output = built
    assert "18/18" in output
    assert "dbt build: OK (12 pass, 6 success" in output


def test_select_and_exclude(built: tuple[Path, DbtRunResult, str]) -> None:
    project, _, _ = built
    executor, _ = executor_for(project)
    result = executor.run_command("run", select=["stg_orders+"], exclude=["orders"])
    assert result.success
    assert {n.name for n in result.nodes} == {"stg_orders", "customers"}
    assert executor.test(select=["customers"]).counts() == {"pass": 3}


def test_seed_compile_and_test_commands(built: tuple[Path, DbtRunResult, str]) -> None:
    project, _, _ = built
    executor, _ = executor_for(project)
    assert {n.name for n in executor.seed().nodes} == {"raw_customers", "raw_orders"}
    compiled = executor.compile(select=["orders"])
    assert compiled.success
    assert [n.name for n in compiled.nodes if n.resource_type == "model"] == ["orders"]
    assert (project / "target" / "compiled" / "shop" / "models" / "marts" / "orders.sql").is_file()
    tested = executor.test()
    assert tested.success and {n.resource_type for n in tested.nodes} == {"test"}


def test_failures_are_reported_per_node_and_printed_as_they_happen(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "shop")
    (project / "models" / "marts" / "broken.sql").write_text("select * from no_such_table\n")
    (project / "models" / "marts" / "after_broken.sql").write_text(
        "select * from {{ ref('broken') }}\n"
    )
    # A failing data test: every status is 'completed' in this accepted list.
    staging = project / "models" / "staging" / "_staging.yml"
    staging.write_text(
        staging.read_text().replace(
            "values: [placed, shipped, completed, returned]", "values: [completed]"
        )
    )
    executor, out = executor_for(project)
    result = executor.build(progress=True)
    assert not result.success
    failed = {n.name: n for n in result.failures}
    assert set(failed) == {"broken", "accepted_values_stg_orders_status__completed"}
    assert failed["broken"].status == "error"
    assert "no_such_table" in (failed["broken"].message or "")
    statuses = {n.name: n.status for n in result.nodes}
    assert statuses["after_broken"] == "skipped"
    assert statuses["accepted_values_stg_orders_status__completed"] == "fail"
    output = out.getvalue()
    assert "FAIL model broken:" in output
    assert "FAIL test accepted_values_stg_orders_status__completed" in output
    assert output.index("FAIL model broken") < output.index("dbt build: FAILED")


def test_unknown_command_is_a_usage_error(built: tuple[Path, DbtRunResult, str]) -> None:
    project, _, _ = built
    executor, _ = executor_for(project)
    with pytest.raises(FloeUsageError, match="unknown dbt command `docs`"):
        executor.run_command("docs")
