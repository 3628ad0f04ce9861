"""A service's gRPC server: health, optional reflection, limits, TLS and the call interceptor, written once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from microdrama.logs import get_logger
from microdrama.runtime.calls import Authenticator, CallInterceptor
from microdrama.runtime.metrics import Metrics
from microdrama.runtime.tls import server_credentials
from microdrama.settings import Settings

log = get_logger(__name__)

# Kubernetes probes: "" is readiness (NATS connected, not draining); "liveness" only says the process runs.
READINESS = ""
LIVENESS = "liveness"


@dataclass(frozen=True)
class Registration:
    """One gRPC service a process serves: its full name and how to add its servicer to a server."""

    name: str
    add: Callable[[grpc.aio.Server], None]


class GrpcServer:
    def __init__(
        self,
        settings: Settings,
        service: str,
        registrations: list[Registration],
        *,
        auth: Authenticator | None = None,
        metrics: Metrics | None = None,
        require_client_cert: bool = True,
    ) -> None:
        limit = settings.grpc_max_message_bytes
        self.server = grpc.aio.server(
            interceptors=[CallInterceptor(auth, metrics, service)],
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", limit),
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=settings.grpc_max_concurrent_calls,
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        for registration in registrations:
            registration.add(self.server)
        if settings.grpc_reflection:
            names = [r.name for r in registrations] + [health.SERVICE_NAME, reflection.SERVICE_NAME]
            reflection.enable_server_reflection(names, self.server)
        self.names = [r.name for r in registrations]
        credentials = server_credentials(
            settings.tls_cert_file, settings.tls_key_file, settings.tls_ca_file, require_client_cert=require_client_cert
        )
        if credentials is None:
            log.warning("gRPC without TLS: for development only", listen=settings.grpc_listen)
            self.port = self.server.add_insecure_port(settings.grpc_listen)
        else:
            self.port = self.server.add_secure_port(settings.grpc_listen, credentials)
        if self.port == 0:
            raise OSError(f"cannot listen on {settings.grpc_listen}")
        self.probe_server: grpc.aio.Server | None = None
        if settings.health_listen:
            self.probe_server = grpc.aio.server()
            health_pb2_grpc.add_HealthServicer_to_server(self.health, self.probe_server)
            if self.probe_server.add_insecure_port(settings.health_listen) == 0:
                raise OSError(f"cannot listen on {settings.health_listen}")

    async def start(self) -> None:
        await self.health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
        await self.set_ready(False)
        await self.server.start()
        if self.probe_server is not None:
            await self.probe_server.start()

    async def set_ready(self, ready: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in (READINESS, *self.names):
            await self.health.set(name, status)

    async def stop(self, grace_s: float) -> None:
        await self.set_ready(False)
        await self.server.stop(grace_s)
        if self.probe_server is not None:
            await self.probe_server.stop(0)
