"""One service as one process: its event consumers, its gRPC server and metrics, and a drain on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from microdrama.logs import get_logger
from microdrama.runtime.embedded import EmbeddedStack
from microdrama.runtime.grpc_server import GrpcServer
from microdrama.runtime.metrics import Metrics
from microdrama.runtime.service import Api, ApiContext, Service
from microdrama.runtime.stage_api import stage_registration
from microdrama.settings import Settings

log = get_logger(__name__)


async def serve_service(
    settings: Settings, service: Service, state_dir: Path, stop: asyncio.Event | None = None
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop`): then readiness goes NOT_SERVING, consumers finish the
    message in hand (up to MD_DRAIN_TIMEOUT_S; anything longer is redelivered elsewhere) and
    in-flight calls get the same grace."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    metrics = Metrics()
    http = metrics.serve(settings.metrics_listen) if settings.metrics_listen else None
    try:
        async with EmbeddedStack(settings, state_dir, [service], metrics=metrics) as stack:
            assert stack.deps is not None and stack.bus is not None
            ctx = ApiContext(stack.deps, stack.bus)
            api = await service.api(ctx) if service.api else Api([])
            registrations = list(api.registrations)
            if service.stage:
                registrations.append(await stage_registration(service, ctx))
            server = GrpcServer(
                settings,
                service.name,
                registrations,
                auth=api.auth,
                metrics=metrics,
                require_client_cert=not api.partner_facing,
            )
            await server.start()
            await server.set_ready(True)
            log.info("serving", service=service.name, grpc=settings.grpc_listen, port=server.port)
            await stop.wait()
            log.info("draining", service=service.name, timeout_s=settings.drain_timeout_s)
            await server.set_ready(False)
            stopping = asyncio.create_task(server.stop(settings.drain_timeout_s))
        await stopping
    finally:
        if http is not None:
            http.shutdown()
    log.info("stopped", service=service.name)
