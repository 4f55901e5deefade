"""End to end: `floe run` builds the example on PostgreSQL, `floe-ci cube sync` generates the
Cube folder for Cube 0.33, and a real Cube 0.33.65 REST/GraphQL server serves exactly what
was generated: row-level security by tenant, 403 for a token without one, a restricted
column for its role only, a masked column masked, a pre-aggregation built and used, and an
OpenLineage event per query whose input is the dataset the dbt run event wrote."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource

from tests.conftest import REPO_ROOT, copy_example
from tests.fixtures.cube_server import CubeServer, cube_server_installed, start_cube_server
from tests.fixtures.postgres import PostgresServer, use_postgres
from tests.integration.test_openlineage_events import (
    SPEC,
    Receiver,
    assert_valid,
    start_receiver,
)

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SCHEMA = "shop_cube"
CUBE_FACET = REPO_ROOT / "schemas" / "openlineage" / "FloeCubeQueryRunFacet.json"
GB = {"tenant_id": "GB"}
US = {"tenant_id": "US"}


@dataclass
class Served:
    root: Path
    cube: CubeServer
    receiver: Receiver
    postgres: PostgresServer
    env: dict[str, str]


def floe(args: list[str], root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "floe-ci"), *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        timeout=600,
    )


def configure(root: Path, receiver: Receiver) -> None:
    """Cube 0.33, row-level security by country, card numbers masked, lineage over HTTP."""
    config = root / "floe.yaml"
    spec = yaml.safe_load(config.read_text())
    cube = spec["consumption"]["cube"]
    cube["version"] = "0.33"
    cube["security"] = {"row_level": True, "tenant_column": "country"}
    spec["governance"]["policies"]["financial"]["production"] = {"action": "mask"}
    spec["observability"].update(lineage_transport="http", lineage_endpoint=receiver.url)
    spec["observability"].pop("lineage_file", None)
    config.write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[Served]:
    cube_server_installed()
    receiver = start_receiver()
    root = copy_example(tmp_path_factory.mktemp("cube-e2e") / "shop")
    use_postgres(root, postgres_server, "shop-cube", SCHEMA)
    configure(root, receiver)
    env = {"SHOP_CUBE_USER": postgres_server.user, "SHOP_CUBE_PASSWORD": postgres_server.password}
    # Cube serves production data: build it as the production environment does.
    done = floe(["run", "--env", "production"], root, env)
    assert done.returncode == 0, done.stdout + done.stderr
    done = floe(["cube", "sync"], root, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "compiled by Cube" in done.stdout
    cube = start_cube_server(root / ".floe" / "cube", postgres_server, secrets.token_hex(16))
    try:
        wait_for_pre_aggregations(cube, postgres_server)
        yield Served(root, cube, receiver, postgres_server, env)
    finally:
        cube.stop()
        receiver.stop()


def wait_for_pre_aggregations(cube: CubeServer, postgres: PostgresServer) -> None:
    """The refresh worker builds every pre-aggregation once at start; wait for both."""
    import time

    sql = "select table_name from information_schema.tables where table_schema = 'floe_preaggs'"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with postgres.connect() as con, con.cursor() as cur:
            cur.execute(sql)
            names = [name for (name,) in cur.fetchall()]
        if all(any(n.startswith(f"{c}_main") for n in names) for c in ("customers", "orders")):
            return
        time.sleep(0.5)
    pytest.fail(f"pre-aggregations not built in 90s:\n{cube.log.read_text()[-3000:]}")


def load(served: Served, query: dict[str, Any], claims: dict[str, Any] | None) -> Any:
    return served.cube.request("/cubejs-api/v1/load", claims, query=query)


def rows(served: Served, query: dict[str, Any], claims: dict[str, Any]) -> list[dict[str, Any]]:
    status, payload = load(served, query, claims)
    assert status == 200, payload
    return list(payload["data"])


def warehouse(served: Served, sql: str) -> list[tuple[Any, ...]]:
    with served.postgres.connect() as con, con.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def test_cube_serves_the_models_exactly_as_generated(served: Served) -> None:
    status, meta = served.cube.request("/cubejs-api/v1/meta", GB)
    assert status == 200, meta
    assert {c["name"] for c in meta["cubes"]} == {"customers", "orders"}
    generated = yaml.safe_load((served.root / ".floe/cube/model/orders.yml").read_text())
    assert "access_policy" not in generated["cubes"][0]  # 0.33: enforced by cube.js


def test_a_tenants_token_sees_only_its_rows(served: Served) -> None:
    query = {"measures": ["customers.count"], "dimensions": ["customers.country"]}
    assert rows(served, query, GB) == [{"customers.country": "GB", "customers.count": "2"}]
    assert rows(served, query, US) == [{"customers.country": "US", "customers.count": "3"}]
    ids = rows(served, {"dimensions": ["orders.order_id"]}, GB)
    expected = warehouse(served, f"select order_id from {SCHEMA}.orders where country = 'GB'")
    assert sorted(int(r["orders.order_id"]) for r in ids) == sorted(r[0] for r in expected)


def test_graphql_applies_the_same_tenant_filter(served: Served) -> None:
    status, payload = served.cube.request(
        "/cubejs-api/graphql",
        US,
        body={"query": "{ cube { customers { count country } } }"},
    )
    assert status == 200, payload
    assert payload["data"]["cube"] == [{"customers": {"count": 3, "country": "US"}}]


@pytest.mark.parametrize("claims", [{}, {"groups": ["pii_reader"]}, {"tenant_id": ""}])
def test_a_token_without_the_tenant_claim_sees_nothing_and_gets_403(
    served: Served, claims: dict[str, Any]
) -> None:
    status, payload = load(served, {"measures": ["orders.count"]}, claims)
    assert status == 403, payload
    assert "data" not in payload and "error" in payload
    status, payload = served.cube.request(
        "/cubejs-api/graphql", claims, body={"query": "{ cube { orders { count } } }"}
    )
    assert status == 403, payload


def test_a_restricted_column_is_refused_outside_its_role(served: Served) -> None:
    query = {"dimensions": ["customers.customer_id", "customers.email"]}
    status, payload = load(served, query, {**GB, "groups": ["analyst"]})
    assert status == 403, payload
    assert "customers.email" in payload["error"] and "pii_reader" in payload["error"]
    allowed = rows(served, query, {**GB, "groups": ["pii_reader"]})
    assert sorted(r["customers.email"] for r in allowed) == ["ada@example.com", "alan@example.com"]


def test_a_masked_column_comes_back_masked(served: Served) -> None:
    served_cards = rows(served, {"dimensions": ["orders.order_id", "orders.card_last4"]}, GB)
    raw = dict(warehouse(served, f"select order_id, card_last4 from {SCHEMA}.orders"))
    assert served_cards
    for row in served_cards:
        card = row["orders.card_last4"]
        assert card != raw[int(row["orders.order_id"])] and "*" in card, row


def test_a_pre_aggregation_is_built_and_used(served: Served) -> None:
    query = {
        "measures": ["orders.count", "orders.amount_sum"],
        "timeDimensions": [{"dimension": "orders.ordered_on", "granularity": "day"}],
    }
    status, sql = served.cube.request("/cubejs-api/v1/sql", GB, query=query)
    assert status == 200, sql
    assert "floe_preaggs.orders_main" in sql["sql"]["sql"][0]
    assert [p["tableName"] for p in sql["sql"]["preAggregations"]] == ["floe_preaggs.orders_main"]
    status, payload = load(served, query, GB)
    assert status == 200, payload
    # Production Cube keeps usedPreAggregations out of its answer: the SQL it ran for this
    # request, in its log, reads the pre-aggregation's table.
    logged = [
        json.loads(line)
        for line in served.cube.log.read_text().splitlines()
        if line.startswith("{")
    ]
    answered = [e for e in logged if e["message"] == "Load Request Success"][-1]
    assert answered["query"]["measures"] == query["measures"]
    request = answered["requestId"].split("-span-")[0]
    ran = [
        e["query"]
        for e in logged
        if e["message"] == "Executing SQL" and str(e.get("requestId", "")).startswith(request)
    ]
    assert ran and all("floe_preaggs.orders_main" in sql for sql in ran), ran
    built = warehouse(
        served,
        "select table_name from information_schema.tables where table_schema = 'floe_preaggs'",
    )
    assert any(name.startswith("orders_main") for (name,) in built)
    expected = warehouse(
        served,
        f"select count(*), sum(amount) from {SCHEMA}.orders where country = 'GB'",
    )
    total = sum(int(r["orders.count"]) for r in payload["data"])
    assert total == expected[0][0]


def test_each_query_produces_an_openlineage_event_on_the_dbt_runs_dataset(
    served: Served,
) -> None:
    before = len(served.receiver.events)
    rows(served, {"measures": ["customers.count"], "dimensions": ["customers.country"]}, US)
    events = _wait_for(served.receiver, before + 1)
    event = next(e for e in events[before:] if e["job"]["name"] == "cube.customers")
    assert_valid(event)
    assert event["eventType"] == "COMPLETE"
    facet = event["run"]["facets"]["floe_cube_query"]
    cube_facet_validator().validate(facet)
    assert facet["tenant"] == "US"
    assert facet["members"] == ["customers.count", "customers.country"]
    dbt_outputs = [
        (d["namespace"], d["name"])
        for e in events[:before]
        if e["job"]["name"] == "shop.customers" and e["eventType"] == "COMPLETE"
        for d in e["outputs"]
    ]
    assert dbt_outputs, "the floe run sent no COMPLETE event for customers"
    assert [(d["namespace"], d["name"]) for d in event["inputs"]] == dbt_outputs
    assert dbt_outputs == [
        (f"postgres://{served.postgres.host}:{served.postgres.port}", f"floe.{SCHEMA}.customers")
    ]
    # customers.count by country is answered from the customers rollup
    assert event["outputs"] == [
        {"namespace": "cube://shop", "name": "floe_preaggs.customers_main", "facets": {}}
    ]


def mcp_call(
    served: Served, claims: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]
) -> list[Any]:
    """`floe-ci mcp` over stdio, driven by the MCP SDK's own client; one result per call."""
    import anyio
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=str(BIN / "floe-ci"),
        args=["mcp", "-c", "floe.yaml"],
        cwd=served.root,
        env={
            "FLOE_CUBE_TOKEN": served.cube.token(claims),
            "FLOE_CUBE_URL": served.cube.url,
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PATH": os.environ["PATH"],
        },
    )

    async def session() -> list[Any]:
        async with Client(params, read_timeout_seconds=300) as client:
            tools = await client.list_tools()
            assert {t.name for t in tools.tools} == {
                "list_cubes",
                "query_cube",
                "explain_column",
                "check",
            }
            return [await client.call_tool(name, arguments) for name, arguments in calls]

    return anyio.run(session)


def structured(result: Any) -> Any:
    assert not result.is_error, result.content
    content = result.structured_content
    return content.get("result", content) if isinstance(content, dict) else content


def test_mcp_lists_queries_refuses_and_explains(served: Served) -> None:
    listed, queried, refused, explained = mcp_call(
        served,
        {**GB, "groups": ["analyst"]},
        [
            ("list_cubes", {}),
            ("query_cube", {"measures": ["customers.count"], "dimensions": ["customers.country"]}),
            ("query_cube", {"dimensions": ["customers.email"]}),
            ("explain_column", {"model": "customers", "column": "email"}),
        ],
    )
    cubes = {c["name"]: c for c in structured(listed)}
    assert set(cubes) == {"customers", "orders"}
    names = [d["name"] for d in cubes["customers"]["dimensions"]]
    assert "customers.email" not in names and "customers.country" in names  # analyst
    assert cubes["customers"]["restricted_dimensions_not_shown"] == 2  # email, full_name
    assert "orders.count" in [m["name"] for m in cubes["orders"]["measures"]]

    answer = structured(queried)
    assert answer["data"] == [{"customers.country": "GB", "customers.count": "2"}]

    assert refused.is_error
    message = " ".join(getattr(c, "text", "") for c in refused.content)
    assert "403" in message and "pii_reader" in message and "customers.email" in message

    lineage = structured(explained)
    assert lineage["column"]["classification"] == "pii"
    assert {s["column"] for s in lineage["sources"]} == {"raw_customers.email"}
    chain = [(step["from"]["column"], step["to"]["column"]) for step in lineage["steps"]]
    assert ("stg_customers.email", "customers.email") in chain
    assert ("raw_customers.email", "stg_customers.email") in chain


def test_mcp_lists_a_restricted_column_to_its_role(served: Served) -> None:
    (listed,) = mcp_call(served, {**GB, "groups": ["pii_reader"]}, [("list_cubes", {})])
    customers = next(c for c in structured(listed) if c["name"] == "customers")
    email = next(d for d in customers["dimensions"] if d["name"] == "customers.email")
    assert email == {
        "name": "customers.email",
        "type": "string",
        "classification": "pii",
        "policy": "restrict",
        "restricted_to": ["pii_reader"],
    }
    assert customers["restricted_dimensions_not_shown"] == 0


def test_mcp_with_a_token_without_tenant_gets_cubes_refusal_as_a_tool_error(
    served: Served,
) -> None:
    (refused,) = mcp_call(served, {}, [("query_cube", {"measures": ["orders.count"]})])
    assert refused.is_error
    assert "403" in " ".join(getattr(c, "text", "") for c in refused.content)


def test_a_lineage_endpoint_that_is_down_never_fails_a_query(served: Served) -> None:
    served.receiver.stop()
    query = {"measures": ["orders.count"]}
    for _ in range(3):
        assert rows(served, query, GB)
    assert "OpenLineage events are not sent" in served.cube.log.read_text()


def cube_facet_validator() -> Draft202012Validator:
    spec = json.loads(SPEC.read_text())
    facet = json.loads(CUBE_FACET.read_text())
    registry = Registry().with_resources(
        [(spec["$id"], Resource.from_contents(spec)), (facet["$id"], Resource.from_contents(facet))]
    )
    return Draft202012Validator(
        {"$ref": facet["$id"] + "#/$defs/FloeCubeQueryRunFacet"},
        registry=registry,
        format_checker=FormatChecker(),
    )


def test_the_cube_query_facet_schema_rejects_a_broken_facet() -> None:
    with pytest.raises(ValidationError):
        cube_facet_validator().validate(
            {"_producer": "x", "_schemaURL": "y", "members": ["not a member"], "tenant": None}
        )


def _wait_for(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    import time

    deadline = time.monotonic() + 10
    while len(receiver.events) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(receiver.events) >= count, json.dumps(receiver.events[-3:])[:2000]
    return list(receiver.events)
