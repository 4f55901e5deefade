"""`floe-ci mcp` through the MCP SDK's own client, over stdio and streamable HTTP: the check
tool on the working tree, lineage, and failures as tool errors that leave the server up.
(Queries against a real Cube server: tests/e2e/test_cube_server.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import copy_example
from tests.fixtures.postgres import free_port

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("mcp") / "shop")


def text(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


async def calls(client: Client, todo: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    return [await client.call_tool(name, arguments) for name, arguments in todo]


def test_stdio_tools_answer_and_failures_are_tool_errors(shop: Path) -> None:
    params = StdioServerParameters(
        command=str(BIN / "floe-ci"),
        args=["mcp", "-c", "floe.yaml"],
        cwd=shop,
        env={**ENV, "PATH": os.environ["PATH"]},
    )

    async def session() -> list[Any]:
        async with Client(params, read_timeout_seconds=300) as client:
            return await calls(
                client,
                [
                    ("list_cubes", {}),
                    ("query_cube", {"measures": ["orders.count"]}),
                    ("explain_column", {"model": "no_such_model", "column": "x"}),
                    ("explain_column", {"model": "orders", "column": "no_such_column"}),
                    ("check", {}),
                    ("explain_column", {"model": "orders", "column": "card_last4"}),
                ],
            )

    no_models, no_token, no_model, no_column, checked, explained = anyio.run(session)
    assert no_models.is_error and "floe-ci cube sync" in text(no_models)
    assert no_token.is_error and "FLOE_CUBE_TOKEN" in text(no_token)
    assert no_model.is_error and "no dbt model `no_such_model`" in text(no_model)
    assert no_column.is_error and "no column `no_such_column`" in text(no_column)
    assert "card_last4" in text(no_column)  # the columns it does have
    assert not checked.is_error, text(checked)
    verdict = checked.structured_content
    assert verdict["passed"] is True and verdict["findings"] == []
    lineage = explained.structured_content
    assert lineage["column"] == {
        "column": "orders.card_last4",
        "node": "model.shop.orders",
        "classification": "financial",
    }
    assert [s["column"] for s in lineage["sources"]] == ["raw_orders.card_last4"]


def test_check_tool_reports_the_findings_of_the_working_tree(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    config = root / "floe.yaml"
    config.write_text(config.read_text().replace("models: [customers, orders]", "models: [nope]"))
    params = StdioServerParameters(
        command=str(BIN / "floe-ci"),
        args=["mcp"],
        cwd=root,
        env={**ENV, "PATH": os.environ["PATH"]},
    )

    async def session() -> Any:
        async with Client(params, read_timeout_seconds=300) as client:
            (result,) = await calls(client, [("check", {})])
            return result

    result = anyio.run(session)
    assert not result.is_error, text(result)
    findings = result.structured_content["findings"]
    assert [(f["rule_id"], f["file"], f["line"]) for f in findings] == [
        ("FLOE402", "floe.yaml", 21)
    ]


def test_streamable_http_serves_the_same_tools(shop: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "floe-ci"), "mcp", "--transport", "http", "--port", str(port)],
        cwd=shop,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1)
            except urllib.error.HTTPError:
                break  # up: it answers (a GET without a session is refused)
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        else:
            pytest.fail("floe-ci mcp --transport http did not start")

        async def session() -> tuple[set[str], Any]:
            async with Client(url, read_timeout_seconds=300) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                (result,) = await calls(client, [("list_cubes", {})])
                return tools, result

        tools, result = anyio.run(session)
        assert tools == {"list_cubes", "query_cube", "explain_column", "check"}
        assert result.is_error and "floe-ci cube sync" in text(result)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_bad_floe_yaml_exits_2_before_serving(tmp_path: Path) -> None:
    (tmp_path / "floe.yaml").write_text("name: [broken\n")
    done = subprocess.run(
        [str(BIN / "floe-ci"), "mcp"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "floe.yaml" in done.stderr and "Traceback" not in done.stderr


def test_help_teaches_the_tools_and_the_token() -> None:
    done = subprocess.run(
        [str(BIN / "floe-ci"), "mcp", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    for word in ("list_cubes", "query_cube", "explain_column", "FLOE_CUBE_TOKEN", "Examples:"):
        assert word in done.stdout
