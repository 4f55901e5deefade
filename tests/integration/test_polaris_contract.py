"""Polaris what lakana-server lacks, against a local Iceberg REST catalog held to the Iceberg
REST OpenAPI description (every request and answer validated): the OAuth2 client-credentials
flow with scope PRINCIPAL_ROLE:ALL, table registration from a metadata file, vended storage
credentials used by the table's FileIO and never shown, and the catalog's refusals as usage
errors that name what to fix."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.polaris import PolarisClient
from floe_ci.integrations.polaris.client import storage_credential_keys
from tests.iceberg_rest_server import IcebergRestServer
from tests.iceberg_rest_server.server import SCOPE, SPEC, VENDED

pytestmark = pytest.mark.integration

CLIENT_ID, CLIENT_SECRET = "floe-ci", "client-secret-value-8814"


@pytest.fixture
def metadata_location(tmp_path: Path) -> str:
    """A real Iceberg table written by pyiceberg's SqlCatalog: its metadata file."""
    from pyiceberg.catalog.sql import SqlCatalog

    local = SqlCatalog(
        "local", uri=f"sqlite:///{tmp_path / 'c.db'}", warehouse=(tmp_path / "w").as_uri()
    )
    local.create_namespace("sales")
    rows = pa.table({"order_id": pa.array([1, 2, 3], pa.int64()), "amount": [9.5, 3.0, 7.25]})
    table = local.create_table(("sales", "orders"), rows.schema)
    table.append(rows)
    return str(table.metadata_location)


def test_the_spec_is_there() -> None:
    assert SPEC.is_file(), f"the Iceberg REST OpenAPI description is expected at {SPEC}"


def test_register_and_read_with_vended_credentials_over_oauth(
    metadata_location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with IcebergRestServer(CLIENT_ID, CLIENT_SECRET) as server:
        client = PolarisClient(server.uri, f"{CLIENT_ID}:{CLIENT_SECRET}", warehouse="analytics")
        client.create_namespace("sales")
        registered = client.register_table("sales", "orders", metadata_location)
        loaded = client.load_table("sales", "orders")
        rows = loaded.scan().to_arrow()
        with pytest.raises(TableAlreadyExistsError) as twice:
            client.register_table("sales", "orders", metadata_location)
        with pytest.raises(NoSuchTableError) as missing:
            client.load_table("sales", "nope")
    assert server.violations == [], "\n".join(server.violations)
    assert server.scopes and set(server.scopes) == {SCOPE}  # the OAuth2 flow asked for it
    assert registered.metadata_location == metadata_location
    assert sorted(rows.column("order_id").to_pylist()) == [1, 2, 3]
    # The load asked for vended credentials, and the table's FileIO holds them (for reads).
    loads = [r for r in server.requests if r[1].endswith("/tables/orders") and r[0] == "GET"]
    assert loads and loads[0][2].get("X-Iceberg-Access-Delegation") == "vended-credentials"
    assert all(loaded.io.properties.get(k) == v for k, v in VENDED.items())
    assert storage_credential_keys(loaded) == sorted(VENDED)
    assert "already exists" in str(twice.value)
    assert "nope" in str(missing.value)
    shown = capsys.readouterr()
    for value in (*VENDED.values(), CLIENT_SECRET):
        assert value not in shown.out + shown.err + str(twice.value) + str(missing.value)


def test_a_refused_credential_is_a_usage_error_naming_the_variable() -> None:
    with (
        IcebergRestServer(CLIENT_ID, CLIENT_SECRET) as server,
        pytest.raises(FloeUsageError) as refused,
    ):
        PolarisClient(server.uri, f"{CLIENT_ID}:wrong-secret-1234", secret_hint="POLARIS")
    assert server.violations == [], "\n".join(server.violations)
    message = str(refused.value)
    assert "refused the credential in POLARIS" in message and "wrong-secret" not in message
    assert "PRINCIPAL_ROLE:ALL" in message


def test_a_404_from_the_token_endpoint_is_a_usage_error_not_a_rest_error() -> None:
    with (
        IcebergRestServer(CLIENT_ID, CLIENT_SECRET, token_endpoint=False) as server,
        pytest.raises(FloeUsageError) as caught,
    ):
        PolarisClient(server.uri, f"{CLIENT_ID}:{CLIENT_SECRET}", secret_hint="POLARIS")
    message = str(caught.value)
    assert server.uri in message and "catalog.uri" in message
    assert CLIENT_SECRET not in message
