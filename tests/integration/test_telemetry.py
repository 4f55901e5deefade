"""OpenTelemetry spans over OTLP/HTTP, received by a local collector that decodes the protobuf."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from floe_ci.app.run import run_pipeline
from floe_ci.integrations.opentelemetry import tracing as telemetry
from floe_ci.spec.models import ObservabilityConfig
from tests.conftest import copy_example

pytestmark = pytest.mark.integration


@dataclass
class ReceivedSpan:
    name: str
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    attributes: dict[str, Any]
    status: int
    events: list[str]
    resource: dict[str, Any]
    start_ns: int
    end_ns: int


@dataclass
class Collector:
    server: ThreadingHTTPServer
    spans: list[ReceivedSpan] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def named(self, name: str) -> ReceivedSpan:
        matches = [s for s in self.spans if s.name == name]
        assert len(matches) == 1, (name, [s.name for s in self.spans])
        return matches[0]


def _value(any_value: Any) -> Any:
    return getattr(any_value, any_value.WhichOneof("value"))


@pytest.fixture
def collector() -> Iterator[Collector]:
    spans: list[ReceivedSpan] = []
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            paths.append(self.path)
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        spans.append(
                            ReceivedSpan(
                                name=span.name,
                                trace_id=span.trace_id,
                                span_id=span.span_id,
                                parent_span_id=span.parent_span_id,
                                attributes={a.key: _value(a.value) for a in span.attributes},
                                status=span.status.code,
                                events=[e.name for e in span.events],
                                resource=resource,
                                start_ns=span.start_time_unix_nano,
                                end_ns=span.end_time_unix_nano,
                            )
                        )
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Collector(server, spans, paths)
    telemetry.shutdown_tracing()
    server.shutdown()
    server.server_close()


def test_spans_are_exported_with_attributes_nesting_and_errors(collector: Collector) -> None:
    from opentelemetry import trace

    global_provider = trace.get_tracer_provider()
    config = ObservabilityConfig(otlp_endpoint=collector.endpoint)
    assert telemetry.configure_tracing(config, pipeline="shop", command="compile")
    with (
        telemetry.span("compile", pipeline="shop", models=4, path=Path("floe.yaml")),
        telemetry.span("check", fail_on="error") as inner,  # entered inside "compile"
    ):
        assert inner is not None
    with pytest.raises(ValueError, match="boom"), telemetry.span("deploy.helm"):
        raise ValueError("boom")
    telemetry.shutdown_tracing()

    assert set(collector.paths) == {"/v1/traces"}
    compile_span, check_span = collector.named("compile"), collector.named("check")
    assert compile_span.attributes == {"pipeline": "shop", "models": 4, "path": "floe.yaml"}
    assert check_span.parent_span_id == compile_span.span_id
    assert check_span.trace_id == compile_span.trace_id
    assert compile_span.resource["service.name"] == "floe"
    assert compile_span.resource["floe.pipeline"] == "shop"
    deploy = collector.named("deploy.helm")
    assert deploy.status == Status.STATUS_CODE_ERROR and deploy.events == ["exception"]
    # floe never installs a global tracer provider
    assert trace.get_tracer_provider() is global_provider


def test_nothing_is_exported_without_an_endpoint(collector: Collector) -> None:
    assert not telemetry.configure_tracing(ObservabilityConfig(), pipeline="shop", command="x")
    assert not telemetry.configure_tracing(
        ObservabilityConfig(otlp_endpoint=collector.endpoint, traces=False),
        pipeline="shop",
        command="x",
    )
    with telemetry.span("compile") as current:
        assert current is None
    telemetry.shutdown_tracing()
    assert collector.spans == []


def test_tracing_off_does_not_even_import_opentelemetry() -> None:
    code = (
        "import sys\n"
        "from floe_ci.spec.models import ObservabilityConfig\n"
        "from floe_ci.integrations.opentelemetry import tracing as telemetry\n"
        "telemetry.configure_tracing(ObservabilityConfig(), pipeline='p', command='c')\n"
        "with telemetry.span('compile'):\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unreachable_collector_does_not_fail_the_command() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens here
    config = ObservabilityConfig(otlp_endpoint=f"http://127.0.0.1:{port}")
    assert telemetry.configure_tracing(config, pipeline="shop", command="compile")
    started = time.monotonic()
    with telemetry.span("compile"):
        pass
    telemetry.shutdown_tracing()
    assert time.monotonic() - started < 30


def test_floe_run_traces_compile_materialize_and_every_dbt_node(
    collector: Collector, tmp_path: Path
) -> None:
    root = copy_example(tmp_path / "shop")
    config = root / "floe.yaml"
    config.write_text(
        config.read_text().replace(
            "  traces: true\n", f"  traces: true\n  otlp_endpoint: {collector.endpoint}\n"
        )
    )
    env_before = dict(os.environ)
    outcome = run_pipeline(config)
    assert outcome.success
    assert dict(os.environ) == env_before
    run = collector.named("floe.run")
    for name in ("floe.compile", "floe.materialize", "floe.governance"):
        step = collector.named(name)
        assert step.parent_span_id == run.span_id and step.trace_id == run.trace_id
    materialize = collector.named("floe.materialize")
    nodes = [s for s in collector.spans if s.name.startswith("dbt.")]
    names = {s.name for s in nodes}
    assert {"dbt.model customers", "dbt.model orders", "dbt.seed raw_orders"} <= names
    assert len([s for s in nodes if s.name.startswith("dbt.test ")]) == 12
    customers = collector.named("dbt.model customers")
    assert customers.trace_id == run.trace_id
    assert customers.attributes["dbt.unique_id"] == "model.shop.customers"
    assert customers.attributes["dbt.status"] == "success"
    assert materialize.start_ns <= customers.start_ns <= customers.end_ns <= materialize.end_ns


def test_traced_command_wraps_a_whole_command_and_flushes(collector: Collector) -> None:
    config = ObservabilityConfig(otlp_endpoint=collector.endpoint + "/v1/traces")
    with (
        telemetry.traced_command(config, pipeline="shop", command="check", fail_on="error"),
        telemetry.span("check.rules", rules=12),
    ):
        pass
    assert not telemetry.tracing_enabled()  # flushed and switched off again
    root, rules = collector.named("floe.check"), collector.named("check.rules")
    assert root.attributes == {"pipeline": "shop", "fail_on": "error"}
    assert rules.parent_span_id == root.span_id
    assert root.resource["floe.command"] == "check"
