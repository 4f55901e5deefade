"""`floe dev`: Dagster's web UI serves the example's assets; SIGINT stops it and its children."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import copy_example

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def graphql(port: int, query: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (no psutil here)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait a moment to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_dev_serves_the_assets_and_stops_on_sigint(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "shop")
    port = free_port()
    log = (tmp_path / "dev.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "floe"), "dev", "--port", str(port)],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )
    children: set[int] = set()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        answer: dict[str, object] | None = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = graphql(port, "{ assetNodes { assetKey { path } } }")
                break
            except OSError:
                time.sleep(1)
        output = (tmp_path / "dev.log").read_text()
        assert answer is not None, f"no GraphQL answer on port {port}:\n{output}"
        assert f"http://127.0.0.1:{port}" in output
        data = answer["data"]
        assert isinstance(data, dict)
        keys = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
        assert keys == {
            "raw_customers", "raw_orders", "stg_customers", "stg_orders", "customers", "orders",
        }  # fmt: skip
        checks = graphql(
            port,
            '{ assetNodeOrError(assetKey: {path: ["customers"]}) { ... on AssetNode {'
            " assetChecksOrError { ... on AssetChecks { checks { name } } } } } }",
        )
        names = {
            c["name"]
            for c in checks["data"]["assetNodeOrError"]["assetChecksOrError"]["checks"]  # type: ignore[index]
        }
        assert "unique_customers_customer_id" in names

        children = descendants(process.pid)
        assert len(children) >= 3  # dagster dev, its web server, daemon, code server
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=90) == 0
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if running(pid)], "children left behind"
        assert "stopping Dagster (SIGINT)" in (tmp_path / "dev.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
        for pid in children:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        log.close()
