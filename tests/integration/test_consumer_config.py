"""A consumer's settings reach its durable even when it already exists, and are capped by MD_ACK_WAIT_MAX_S."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from nats.js.errors import NotFoundError

from microdrama.events.catalog import EPISODE_SUBMITTED
from microdrama.events.envelope import Event
from microdrama.runtime.bootstrap import build_deps
from microdrama.runtime.bus import Bus
from microdrama.runtime.service import Deps, Service, Subscription
from microdrama.runtime.stages import InProcessRunner
from microdrama.settings import Settings

pytestmark = pytest.mark.integration


def _nothing(event: Event, deps: Deps) -> list[Event]:
    return []


async def _consume_once(bus: Bus, service: Service, deps: Deps, **limits: float | None) -> float:
    """Run the service's consumer until it is pulling, stop it; returns the ack wait of its durable on the server."""
    stop = asyncio.Event()
    task = asyncio.create_task(bus.consume(service, service.subscriptions[0], deps, stop, max_deliver=3, **limits))
    durable = service.durable(service.subscriptions[0])
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        with contextlib.suppress(NotFoundError):
            info = await bus.js.consumer_info("MD_EPISODE", durable)
            # A waiting pull request: the consumer loop is past creating (or updating) its durable.
            if info.num_waiting:
                break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    return float(info.config.ack_wait or 0)


async def test_changed_ack_wait_reaches_an_existing_durable_and_is_capped(nats_url: str, tmp_path: Path) -> None:
    bus = await Bus.connect(nats_url)
    try:
        await bus.ensure_streams()
        deps = build_deps(Settings(store_root=tmp_path), runner_factory=InProcessRunner)
        slow = Service("svc", (Subscription(EPISODE_SUBMITTED, _nothing, ack_wait_s=300.0),))
        assert await _consume_once(bus, slow, deps, ack_wait_s=60.0) == 300.0
        # The same durable started again under a cap: the server's consumer now redelivers sooner.
        assert await _consume_once(bus, slow, deps, ack_wait_s=60.0, ack_wait_max_s=20.0) == 20.0
        plain = Service("svc2", (Subscription(EPISODE_SUBMITTED, _nothing),))
        assert await _consume_once(bus, plain, deps, ack_wait_s=45.0, ack_wait_max_s=20.0) == 20.0
    finally:
        await bus.close()
