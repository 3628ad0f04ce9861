"""Prometheus metrics of one service process: events handled and gRPC calls, served on MD_METRICS_LISTEN."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from microdrama.runtime.addresses import split_host_port

# Stage steps run from milliseconds (script) to minutes (finishing a 4K episode).
_BUCKETS = (0.01, 0.05, 0.25, 1, 5, 15, 60, 180, 600, 1800)


@dataclass
class Metrics:
    """One registry per process (no global default registry); the scrape adds pod and service labels."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.events = Counter(
            "md_events_handled",
            "Events handled, by subject and outcome (ok, not_ready, bad_input, retry, dead_letter)",
            ["subject", "outcome"],
            registry=r,
        )
        self.handler_seconds = Histogram(
            "md_handler_seconds", "Time in event handlers", ["subject"], registry=r, buckets=_BUCKETS
        )
        self.calls = Counter("md_grpc_calls", "gRPC calls by method and status code", ["method", "code"], registry=r)
        self.call_seconds = Histogram(
            "md_grpc_call_seconds", "gRPC call time", ["method"], registry=r, buckets=_BUCKETS
        )

    def serve(self, listen: str) -> Any:
        host, port = split_host_port(listen)
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server
