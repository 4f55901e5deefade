"""OpenTelemetry spans for floe's steps (compile, check, each dbt node, deploy), over OTLP/HTTP.

Tracing is on only when floe.yaml sets `observability.otlp_endpoint` (and `traces` is not
false) and a command calls `configure_tracing`. Otherwise every `span()` is a no-op and
OpenTelemetry is not even imported. floe keeps its own TracerProvider: it never installs a
global one, so embedding floe in a program with its own tracing changes nothing there.

    from floe_ci.integrations.opentelemetry.tracing import span, traced_command

    with traced_command(spec.observability, pipeline=spec.name, command="deploy"):
        with span("deploy.helm", release="shop"):
            ...
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from floe_ci import __version__
from floe_ci.spec.models import ObservabilityConfig

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from floe_ci.integrations.dbt.log_events import NodeEvent

log = logging.getLogger(__name__)

TRACES_PATH = "v1/traces"
EXPORT_TIMEOUT_SECONDS = 5

_provider: TracerProvider | None = None
_tracer: Tracer | None = None

AttributeValue = str | bool | int | float


def traces_url(endpoint: str) -> str:
    """OTLP/HTTP collector base URL -> its traces URL (`http://c:4318` -> `.../v1/traces`)."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/" + TRACES_PATH) else f"{base}/{TRACES_PATH}"


def tracing_endpoint(observability: ObservabilityConfig | None) -> str | None:
    if observability is None or not observability.traces or not observability.otlp_endpoint:
        return None
    return traces_url(observability.otlp_endpoint)


def configure_tracing(
    observability: ObservabilityConfig | None, *, pipeline: str, command: str
) -> bool:
    """Start exporting spans when floe.yaml names an OTLP endpoint; True when tracing is on."""
    global _provider, _tracer
    endpoint = tracing_endpoint(observability)
    if endpoint is None:
        return False
    shutdown_tracing()
    from floe_ci.integrations.extras import require_extra

    require_extra("opentelemetry.sdk", "telemetry", "`observability.otlp_endpoint`")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {
            "service.name": "floe",
            "service.version": __version__,
            "floe.pipeline": pipeline,
            "floe.command": command,
        }
    )
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=EXPORT_TIMEOUT_SECONDS)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _provider = provider
    _tracer = provider.get_tracer("floe_ci", __version__)
    atexit.register(shutdown_tracing)
    return True


def shutdown_tracing() -> None:
    """Send the spans still queued and stop exporting. Safe to call when tracing is off."""
    global _provider, _tracer
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        try:
            provider.shutdown()
        except Exception as exc:  # an unreachable collector must not fail the command
            log.warning("OpenTelemetry: could not export spans: %s", exc)


def tracing_enabled() -> bool:
    return _tracer is not None


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Span | None]:
    """A span around a block of work; yields None (and costs nothing) when tracing is off.

    An exception leaving the block is recorded on the span and re-raised.
    """
    tracer = _tracer
    if tracer is None:
        yield None
        return
    from opentelemetry.trace import Status, StatusCode

    with tracer.start_as_current_span(
        name,
        attributes=_attributes(attributes),
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            current.record_exception(exc)
            current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


@contextmanager
def traced_command(
    observability: ObservabilityConfig | None, *, pipeline: str, command: str, **attributes: Any
) -> Iterator[Span | None]:
    """Tracing for one whole command: configure, one root span `floe.<command>`, flush.

    with traced_command(spec.observability, pipeline=spec.name, command="check"):
        with span("check.rules"):
            ...
    """
    configure_tracing(observability, pipeline=pipeline, command=command)
    try:
        with span(f"floe.{command}", pipeline=pipeline, **attributes) as root:
            yield root
    finally:
        shutdown_tracing()


class NodeSpanRecorder:
    """One span per dbt node, timed by dbt's own start and finish timestamps."""

    def __init__(self, tracer: Tracer, parent: Context) -> None:
        self.tracer = tracer
        self.parent = parent
        self.open: dict[str, Span] = {}

    def node_started(self, event: NodeEvent) -> None:
        self.open[event.unique_id] = self.tracer.start_span(
            f"dbt.{event.resource_type} {event.name}",
            context=self.parent,
            start_time=_nanoseconds(event.started_at),
            attributes=_attributes(
                {
                    "dbt.unique_id": event.unique_id,
                    "dbt.resource_type": event.resource_type,
                    "dbt.node": event.name,
                }
            ),
        )

    def node_finished(self, event: NodeEvent) -> None:
        current = self.open.pop(event.unique_id, None)
        if current is None:
            return
        from opentelemetry.trace import Status, StatusCode

        current.set_attribute("dbt.status", event.status)
        if event.execution_time is not None:
            current.set_attribute("dbt.execution_time_s", event.execution_time)
        if event.failed:
            current.set_status(Status(StatusCode.ERROR, event.message[:200] or event.status))
        current.end(end_time=_nanoseconds(event.finished_at))

    def close(self) -> None:
        for current in self.open.values():  # nodes that never finished (interrupted run)
            current.set_attribute("dbt.status", "interrupted")
            current.end()
        self.open.clear()


def node_span_observer() -> NodeSpanRecorder | None:
    """A recorder for the dbt nodes of the current run, under the current span; None if off."""
    if _tracer is None:
        return None
    from opentelemetry.context import get_current

    return NodeSpanRecorder(_tracer, get_current())


def _attributes(values: dict[str, Any]) -> dict[str, AttributeValue]:
    cleaned: dict[str, AttributeValue] = {}
    for key, value in values.items():
        if value is None:
            continue
        cleaned[key] = value if isinstance(value, str | bool | int | float) else str(value)
    return cleaned


def _nanoseconds(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1_000_000_000) if moment is not None else None
