"""The embedded stack: nats-server from its wheel, a local object store, local Ray, every service in-process."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from types import TracebackType

from microdrama.events.envelope import Event
from microdrama.logs import get_logger
from microdrama.runtime.bootstrap import build_deps
from microdrama.runtime.bus import Bus
from microdrama.runtime.metrics import Metrics
from microdrama.runtime.processes import ManagedProcess, nats_server
from microdrama.runtime.service import Deps, Service
from microdrama.settings import Settings
from microdrama.status import StatusStore

log = get_logger(__name__)


class EmbeddedStack:
    """Async context: starts what settings leave unset (NATS, Ray), runs the services' consumers, stops all."""

    def __init__(
        self, settings: Settings, state_dir: Path, services: list[Service], *, metrics: Metrics | None = None
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.state_dir = state_dir
        self.services = services
        self.nats: ManagedProcess | None = None
        self.bus: Bus | None = None
        self.status: StatusStore | None = None
        self.deps: Deps | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def nats_url(self) -> str:
        if self.settings.nats_url:
            return self.settings.nats_url
        assert self.nats is not None
        return f"nats://127.0.0.1:{self.nats.port}"

    async def __aenter__(self) -> EmbeddedStack:
        try:
            if not self.settings.nats_url:
                self.state_dir.mkdir(parents=True, exist_ok=True)
                self.nats = nats_server(self.state_dir / "jetstream", log_path=self.state_dir / "nats-server.log")
                await asyncio.to_thread(self.nats.start)
            self.bus = await Bus.connect(self.nats_url, replicas=self.settings.stream_replicas, metrics=self.metrics)
            await self.bus.ensure_streams()
            self.status = await StatusStore.open(self.bus.js, self.bus.replicas)
            self.deps = build_deps(self.settings, self.status)
            if any(s.name == "finishing" for s in self.services):
                # Start Ray now, on the main thread (its signal handlers need it), not mid-episode.
                _ = self.deps.runner
            for service in self.services:
                for sub in service.subscriptions:
                    coro = self.bus.consume(
                        service,
                        sub,
                        self.deps,
                        self._stop,
                        max_deliver=self.settings.max_deliver,
                        ack_wait_s=self.settings.ack_wait_s,
                        ack_wait_max_s=self.settings.ack_wait_max_s,
                    )
                    self._tasks.append(asyncio.create_task(coro, name=service.durable(sub)))
            log.info("stack started", nats=self.nats_url, services=[s.name for s in self.services])
        except BaseException:
            await self._shutdown(drain=False)
            raise
        return self

    async def publish(self, event: Event) -> None:
        assert self.bus is not None
        await self.bus.publish(event)

    async def _shutdown(self, drain: bool = True) -> None:
        # Stop taking work; on a normal exit let each consumer finish the message in hand, on
        # an error or interrupt stop waiting: unacked messages are redelivered on the next start.
        self._stop.set()
        if self._tasks and drain:
            # A step still running after the drain time is left unacked: JetStream redelivers it.
            await asyncio.wait(self._tasks, timeout=self.settings.drain_timeout_s)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.bus is not None:
            await self.bus.close()
        if self.deps is not None:
            self.deps.close()
        if self.nats is not None:
            await asyncio.to_thread(self.nats.stop)

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        with contextlib.suppress(Exception):
            await self._shutdown(drain=t is None)
