"""The Polaris/REST client and the table manager against a real Iceberg REST catalog server.

Apache Polaris is a Java server that cannot run here; lakana-server (PyPI) is a real Iceberg
REST catalog on PostgreSQL, and pyiceberg's RestCatalog speaks the same protocol to both. Its
environment name is the REST `prefix`; tables live only under bronze/silver/gold.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.iceberg import IcebergTableManager, catalog_from_config
from floe_ci.integrations.polaris import PolarisClient, create_catalog_client
from floe_ci.spec.models import CatalogConfig
from tests.fixtures.postgres import PostgresServer, free_port

ENVIRONMENT = "dev"


@dataclass(frozen=True)
class RestServer:
    uri: str
    token: str


def _server_program() -> str:
    program = Path(sys.executable).with_name("lakana-server")
    if not program.is_file():
        pytest.fail("lakana-server is not installed: pip install -e '.[dev]'")
    return str(program)


def _request(url: str, token: str | None = None, body: object = None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"lakana-server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if _request(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    pytest.fail(f"lakana-server did not answer within 45 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def rest_server(postgres_server: PostgresServer) -> Iterator[RestServer]:
    """lakana-server on a free loopback port, its metadata in a fresh PostgreSQL database."""
    database = f"lakana_{secrets.token_hex(4)}"
    conn = postgres_server.connect("postgres")
    try:
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {database}")
    finally:
        conn.close()
    work = Path(tempfile.mkdtemp(prefix="floe-lakana-"))
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(24)
    port = free_port()
    env = {
        **os.environ,
        "LAKANA_DATABASE__URL": (
            f"postgresql+pg8000://{postgres_server.user}:{postgres_server.password}"
            f"@{postgres_server.host}:{postgres_server.port}/{database}"
        ),
        "LAKANA_BOOTSTRAP_PAT_KEY_ID": key_id,
        "LAKANA_BOOTSTRAP_PAT_SECRET": secret,
        "LAKANA_HOST": "127.0.0.1",
        "LAKANA_PORT": str(port),
        "LAKANA_LOG__LEVEL": "WARNING",
    }
    program = _server_program()
    migrate = subprocess.run([program, "migrate"], env=env, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr
    log = work / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([program], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        token = f"lakana_pat_{key_id}_{secret}"
        storage = {"scheme": "file", "root": (work / "lake").as_uri()}
        status, body = _request(
            f"{base}/api/v1/environments", token, {"name": ENVIRONMENT, "storage": storage}
        )
        assert status == 201, body
        yield RestServer(uri=base, token=token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def client(rest_server: RestServer) -> PolarisClient:
    return PolarisClient(rest_server.uri, token=rest_server.token, prefix=ENVIRONMENT)


def test_namespaces_round_trip(client: PolarisClient) -> None:
    from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchNamespaceError

    # The server starts each environment with bronze, silver and gold.
    assert {"bronze", "silver", "gold"} <= set(client.list_namespaces())
    assert client.create_namespace("staging", {"owner": "data-eng"}) is True
    assert client.create_namespace("staging", exist_ok=True) is False
    with pytest.raises(NamespaceAlreadyExistsError):
        client.create_namespace("staging")
    assert client.namespace_properties("staging")["owner"] == "data-eng"

    assert client.create_namespace("bronze.eu") is True
    assert "staging" in client.list_namespaces()
    assert "bronze.eu" not in client.list_namespaces()
    assert client.list_namespaces("bronze") == ["bronze.eu"]
    assert "bronze.eu" in client.list_namespaces(recursive=True)
    assert client.namespace_exists("bronze.eu") and not client.namespace_exists("bronze.us")

    assert client.drop_namespace("bronze.eu") is True
    assert client.drop_namespace("bronze.eu", missing_ok=True) is False
    with pytest.raises(NoSuchNamespaceError):
        client.drop_namespace("bronze.eu")
    assert not client.namespace_exists("bronze.eu")
    assert client.drop_namespace("staging") is True
    assert "staging" not in client.list_namespaces()
    with pytest.raises(FloeUsageError, match="not a namespace name"):
        client.create_namespace("bronze..x")


def test_client_from_floe_config_reads_the_secret_from_the_environment(
    rest_server: RestServer,
) -> None:
    config = CatalogConfig(
        type="rest", uri=rest_server.uri, prefix=ENVIRONMENT, credential_secret_ref="lakehouse"
    )
    client = create_catalog_client(config, environ={"LAKEHOUSE": rest_server.token})
    client.create_namespace("gold", exist_ok=True)
    assert client.namespace_exists("gold")

    wrong = "lakana_pat_0123456789abcdef_not-the-secret"
    with pytest.raises(FloeUsageError) as caught:
        create_catalog_client(config, environ={"LAKEHOUSE": wrong}).list_namespaces()
    message = str(caught.value)
    assert "refused" in message and "LAKEHOUSE" in message
    assert wrong not in message and rest_server.token not in message


def test_unreachable_server_is_a_usage_error() -> None:
    with pytest.raises(FloeUsageError, match="cannot reach the catalog"):
        PolarisClient(f"http://127.0.0.1:{free_port()}", token="x", prefix=ENVIRONMENT)


def test_tables_over_rest(rest_server: RestServer) -> None:
    config = CatalogConfig(
        type="rest",
        uri=rest_server.uri,
        prefix=ENVIRONMENT,
        namespace="silver",
        credential_secret_ref="lakehouse",
    )
    catalog = catalog_from_config(config, environ={"LAKEHOUSE": rest_server.token})
    manager = IcebergTableManager(catalog, config.namespace)
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("region", pa.string())])
    manager.create_table("customers", schema, ["region"])
    assert manager.list_tables() == ["customers"]

    rows = [{"id": i, "region": "eu" if i % 2 else "us"} for i in range(12)]
    for start in range(0, 12, 4):
        manager.append("customers", pa.Table.from_pylist(rows[start : start + 4], schema=schema))
    assert len(manager.data_files("customers")) == 6

    result = manager.compact("customers")
    assert (result.files_before, result.files_after, result.rows) == (6, 2, 12)
    assert sorted(manager.read("customers").to_pylist(), key=lambda r: r["id"]) == rows

    # This server keeps snapshot expiry for its own maintenance and refuses the commit (Polaris
    # accepts it); the refusal reaches the caller and nothing is removed.
    from pyiceberg.exceptions import ForbiddenError

    history = [s.snapshot_id for s in manager.snapshots("customers")]
    assert len(history) >= 4 and history[-1] == result.snapshot_id
    with pytest.raises(ForbiddenError, match="cannot remove snapshots"):
        manager.expire_snapshots("customers", retain_last=1)
    assert [s.snapshot_id for s in manager.snapshots("customers")] == history
