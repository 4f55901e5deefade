"""OpenLineage over HTTP: a local receiver gets START and COMPLETE for every model of a run
(FAIL for a failing one), events validate against the OpenLineage schema, and a receiver
that is down never fails the pipeline."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from floe_ci.app.run import RunOutcome, run_pipeline
from tests.conftest import REPO_ROOT, copy_example

pytestmark = pytest.mark.integration

SPEC = REPO_ROOT / "tests" / "data" / "openlineage" / "OpenLineage-2-0-2.transcribed.json"
FLOE_FACET = REPO_ROOT / "schemas" / "openlineage" / "FloeClassificationDatasetFacet.json"
DATASETS = {"raw_customers", "raw_orders", "stg_customers", "stg_orders", "customers", "orders"}


@dataclass
class Receiver:
    """An OpenLineage HTTP endpoint on the loopback that keeps what it is sent."""

    server: ThreadingHTTPServer
    events: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver() -> Receiver:
    received: list[dict[str, Any]] = []
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            paths.append(self.path)
            received.append(json.loads(body))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Receiver(server, received, paths)


def validator() -> Draft202012Validator:
    spec = json.loads(SPEC.read_text())
    facet = json.loads(FLOE_FACET.read_text())
    registry = Registry().with_resources(
        [(spec["$id"], Resource.from_contents(spec)), (facet["$id"], Resource.from_contents(facet))]
    )
    return Draft202012Validator(spec, registry=registry, format_checker=FormatChecker())


def assert_valid(event: dict[str, Any]) -> None:
    check = validator()
    errors = sorted(check.iter_errors(event), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    facet_check = Draft202012Validator(
        {
            "$ref": json.loads(FLOE_FACET.read_text())["$id"]
            + "#/$defs/FloeClassificationDatasetFacet"
        },
        registry=check._registry,  # same resources
        format_checker=FormatChecker(),
    )
    for dataset in event.get("outputs", []):
        facet = dataset["facets"].get("floe_classification")
        if facet is not None:
            facet_check.validate(facet)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = start_receiver()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Path:
    root = copy_example(tmp_path_factory.mktemp("lineage") / "shop")
    config = root / "floe.yaml"
    text = config.read_text()
    text = text.replace(
        "  lineage_transport: file\n  lineage_file: .floe/lineage.jsonl\n",
        f"  lineage_transport: http\n  lineage_endpoint: {receiver.url}\n",
    )
    assert receiver.url in text
    config.write_text(text)
    return root


@pytest.fixture(scope="module")
def first_run(project: Path, receiver: Receiver) -> tuple[RunOutcome, list[dict[str, Any]]]:
    outcome = run_pipeline(project / "floe.yaml")
    return outcome, list(receiver.events)


def by_job(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    jobs: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        jobs.setdefault(event["job"]["name"], []).append(event)
    return jobs


def test_every_model_gets_start_then_complete(
    first_run: tuple[RunOutcome, list[dict[str, Any]]], receiver: Receiver, project: Path
) -> None:
    outcome, events = first_run
    assert outcome.success
    assert set(receiver.paths) == {"/api/v1/lineage"}
    jobs = by_job(events)
    assert set(jobs) == {f"shop.{name}" for name in DATASETS}
    for name, sequence in jobs.items():
        assert [e["eventType"] for e in sequence] == ["START", "COMPLETE"], name
        start, complete = sequence
        assert start["run"]["runId"] == complete["run"]["runId"]
        assert start["eventTime"] <= complete["eventTime"]
        assert complete["run"]["facets"]["parent"]["run"]["runId"] == outcome.dagster_run_id
        assert complete["job"]["namespace"] == "shop"
        (output,) = complete["outputs"]
        assert output["name"] == f"shop.main.{name.split('.')[1]}"
        assert output["namespace"] == f"duckdb://{(project / 'target' / 'shop.duckdb').resolve()}"


def test_events_validate_against_the_openlineage_schema(
    first_run: tuple[RunOutcome, list[dict[str, Any]]],
) -> None:
    _, events = first_run
    assert len(events) == 12
    for event in events:
        assert_valid(event)


def test_the_schema_check_rejects_a_broken_event(
    first_run: tuple[RunOutcome, list[dict[str, Any]]],
) -> None:
    event = json.loads(json.dumps(first_run[1][0]))
    event["eventType"] = "DONE"
    event["run"]["runId"] = "not-a-uuid"
    del event["job"]["namespace"]
    messages = {e.message for e in validator().iter_errors(event)}
    assert any("DONE" in m for m in messages)
    assert any("not-a-uuid" in m for m in messages)
    assert any("namespace" in m for m in messages)


def test_schema_column_lineage_and_classification_facets(
    first_run: tuple[RunOutcome, list[dict[str, Any]]],
) -> None:
    _, events = first_run
    complete = next(
        e for e in events if e["job"]["name"] == "shop.customers" and e["eventType"] == "COMPLETE"
    )
    assert {i["name"] for i in complete["inputs"]} == {
        "shop.main.stg_customers",
        "shop.main.stg_orders",
    }
    facets = complete["outputs"][0]["facets"]
    assert [f["name"] for f in facets["schema"]["fields"]][:3] == [
        "customer_id",
        "full_name",
        "email",
    ]
    lineage = facets["columnLineage"]["fields"]
    assert lineage["email"]["inputFields"] == [
        {
            "namespace": complete["outputs"][0]["namespace"],
            "name": "shop.main.stg_customers",
            "field": "email",
            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
        }
    ]
    assert {f["field"] for f in lineage["full_name"]["inputFields"]} == {"first_name", "last_name"}
    assert lineage["lifetime_value"]["inputFields"][0]["transformations"][0]["subtype"] == (
        "AGGREGATION"
    )
    # Each input names what the SQL does to it: `||` transforms, and the join's other side
    # (`on o.customer_id = c.customer_id`) is carried into c.customer_id.
    assert lineage["full_name"]["inputFields"][0]["transformations"] == [
        {"type": "DIRECT", "subtype": "TRANSFORMATION", "description": "derived by `||`"}
    ]
    assert [
        (i["name"], i["field"], i["transformations"][0]["type"], i["transformations"][0]["subtype"])
        for i in lineage["customer_id"]["inputFields"]
    ] == [
        ("shop.main.stg_customers", "customer_id", "DIRECT", "IDENTITY"),
        ("shop.main.stg_orders", "customer_id", "INDIRECT", "JOIN"),
    ]
    classification = facets["floe_classification"]
    assert classification["columns"]["email"] == {
        "classification": "pii",
        "pii_type": "email",
        "sensitivity": "high",
    }
    assert classification["policies"]["pii"]["non_production"]["action"] == "mask"
    assert complete["job"]["facets"]["jobType"]["jobType"] == "MODEL"
    assert "stg_customers" in complete["job"]["facets"]["sql"]["query"]


def test_a_failing_model_gets_a_fail_event(
    first_run: tuple[RunOutcome, list[dict[str, Any]]], project: Path, receiver: Receiver
) -> None:
    model = project / "models" / "marts" / "orders.sql"
    original = model.read_text()
    model.write_text("select no_such_column from {{ ref('stg_orders') }}\n")
    before = len(receiver.events)
    try:
        outcome = run_pipeline(project / "floe.yaml", select="orders")
    finally:
        model.write_text(original)
    assert not outcome.success
    events = receiver.events[before:]
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    fail = events[1]
    assert fail["run"]["facets"]["errorMessage"]["message"]
    assert "columnLineage" not in fail["outputs"][0]["facets"]
    for event in events:
        assert_valid(event)


def test_a_receiver_that_is_down_never_fails_the_run(
    first_run: tuple[RunOutcome, list[dict[str, Any]]],
    project: Path,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver.stop()
    before = len(receiver.events)
    with caplog.at_level(logging.WARNING, logger="floe_ci.integrations.openlineage.emitter"):
        outcome = run_pipeline(project / "floe.yaml", select="stg_customers")
    assert outcome.success
    assert [e.name for e in outcome.summary.of_type("model")] == ["stg_customers"]
    assert len(receiver.events) == before
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("OpenLineage: could not send a START event" in w for w in warnings), warnings
