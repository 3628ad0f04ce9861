"""OpenTelemetry: one span per handled event, trace context carried in event headers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from microdrama.logs import get_logger

log = get_logger(__name__)


def configure_tracing(service_name: str, otlp_endpoint: str | None, exporter: SpanExporter | None = None) -> None:
    """Install a tracer provider; export over OTLP when an endpoint is configured."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None and otlp_endpoint:
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning("otlp exporter not installed; spans are not exported", endpoint=otlp_endpoint)
        else:
            exporter = OTLPSpanExporter(endpoint=otlp_endpoint)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


@contextmanager
def event_span(name: str, traceparent: str | None, **attributes: Any) -> Iterator[str | None]:
    """Start a span as a child of the event's trace; yields the traceparent for events it causes."""
    carrier = {"traceparent": traceparent} if traceparent else {}
    parent = propagate.extract(carrier)
    tracer = trace.get_tracer("microdrama")
    with tracer.start_as_current_span(name, context=parent, attributes=attributes) as span:
        out: dict[str, str] = {}
        propagate.inject(out)
        try:
            yield out.get("traceparent")
        except Exception as exc:
            span.record_exception(exc)
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
            raise
