"""The event transport against a real nats-server: delivery, dedupe, retries, dead letters, status."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
from pathlib import Path

import pytest
from nats.aio.msg import Msg

from md.common.v1.refs_pb2 import EpisodeRef
from md.episode.v1.events_pb2 import EpisodeFailed, EpisodeScripted, EpisodeSubmitted
from microdrama.errors import InputError, NotReady
from microdrama.events.catalog import EPISODE_FAILED, EPISODE_SCRIPTED, EPISODE_SUBMITTED
from microdrama.events.envelope import H_ERROR, Event, decode, new_event
from microdrama.runtime.bootstrap import build_deps
from microdrama.runtime.bus import Bus
from microdrama.runtime.service import Deps, Service, Subscription
from microdrama.runtime.stages import InProcessRunner
from microdrama.settings import Settings
from microdrama.status import StatusStore, apply_event, status_key

pytestmark = pytest.mark.integration
REF = EpisodeRef(tenant_id="t", series_id="s", episode_id="ep01")


def submitted(key: str = "a") -> Event:
    return new_event(EPISODE_SUBMITTED, EpisodeSubmitted(episode=REF, script_key=key), tenant="t", key=key)


class Harness:
    """One service consuming episode.submitted, plus a recorder of everything on md.episode.v1.>."""

    def __init__(self, bus: Bus, deps: Deps) -> None:
        self.bus, self.deps = bus, deps
        self.stop = asyncio.Event()
        self.seen: list[Event] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self, handler: object, max_deliver: int = 3) -> None:
        service = Service("test", (Subscription(EPISODE_SUBMITTED, handler),))  # type: ignore[arg-type]
        self.tasks.append(
            asyncio.create_task(
                self.bus.consume(
                    service, service.subscriptions[0], self.deps, self.stop, max_deliver=max_deliver, ack_wait_s=5
                )
            )
        )

        async def record(msg: Msg) -> None:
            if msg.subject != EPISODE_SUBMITTED:
                self.seen.append(decode(msg.subject, msg.data, dict(msg.headers or {})))

        await self.bus.nc.subscribe("md.episode.v1.>", cb=record)

    async def wait_for(self, subject: str, count: int = 1, timeout: float = 15.0) -> list[Event]:
        async def poll() -> list[Event]:
            while len(got := [e for e in self.seen if e.subject == subject]) < count:
                await asyncio.sleep(0.05)
            return got

        return await asyncio.wait_for(poll(), timeout)

    async def close(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)
        await self.bus.close()


@pytest.fixture
async def harness(nats_url: str, tmp_path: Path, spans: object) -> Harness:
    bus = await Bus.connect(nats_url)
    await bus.ensure_streams()
    deps = build_deps(Settings(store_root=tmp_path / "store"), runner_factory=InProcessRunner)
    h = Harness(bus, deps)
    yield h  # type: ignore[misc]
    await h.close()


def scripted(event: Event, deps: Deps, calls: list[str]) -> list[Event]:
    calls.append(event.id)
    out = EpisodeScripted(episode=event.payload.episode, shot_count=2)  # type: ignore[attr-defined]
    return [new_event(EPISODE_SCRIPTED, out, tenant=event.tenant, cause=event)]


async def test_handler_output_flows_and_duplicates_are_dropped(harness: Harness) -> None:
    calls: list[str] = []
    await harness.start(functools.partial(scripted, calls=calls))
    root = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    event = dataclasses.replace(submitted(), traceparent=root)
    await harness.bus.publish(event)
    await harness.bus.publish(event)  # same id inside the duplicate window: JetStream drops it
    got = await harness.wait_for(EPISODE_SCRIPTED)
    await asyncio.sleep(0.5)
    assert calls == [event.id]
    assert got[0].payload.shot_count == 2 and got[0].tenant == "t"  # type: ignore[attr-defined]
    # The handler's span is a child in the same trace, and its output carries that context on.
    assert got[0].traceparent and got[0].traceparent.split("-")[1] == root.split("-")[1]
    assert got[0].traceparent != root


async def test_not_ready_is_redelivered_until_ready(harness: Harness) -> None:
    attempts: list[int] = []

    def later(event: Event, deps: Deps) -> list[Event]:
        attempts.append(1)
        if len(attempts) < 3:
            raise NotReady("identity not locked yet")
        return scripted(event, deps, [])

    await harness.start(later, max_deliver=10)
    await harness.bus.publish(submitted())
    await harness.wait_for(EPISODE_SCRIPTED)
    assert len(attempts) == 3


async def test_bad_input_fails_the_episode_once_with_the_reason(harness: Harness) -> None:
    attempts: list[int] = []

    def bad(event: Event, deps: Deps) -> list[Event]:
        attempts.append(1)
        raise InputError("cue has no dialogue", file="ep01.fountain", line=12)

    await harness.start(bad)
    await harness.bus.publish(submitted())
    failed = (await harness.wait_for(EPISODE_FAILED))[0].payload
    assert isinstance(failed, EpisodeFailed)
    assert failed.reason == "ep01.fountain:12: cue has no dialogue" and failed.stage == "test"
    await asyncio.sleep(1.0)
    assert len(attempts) == 1  # acked, not retried


async def test_crashing_handler_is_retried_then_dead_lettered(harness: Harness) -> None:
    attempts: list[int] = []

    def crash(event: Event, deps: Deps) -> list[Event]:
        attempts.append(1)
        raise RuntimeError("encoder crashed")

    dead: list[Msg] = []

    async def collect(msg: Msg) -> None:
        dead.append(msg)

    await harness.bus.nc.subscribe("md.dlq.>", cb=collect)
    await harness.start(crash, max_deliver=2)
    await harness.bus.publish(submitted())
    failed = (await harness.wait_for(EPISODE_FAILED, timeout=20))[0].payload
    assert "encoder crashed" in failed.reason  # type: ignore[attr-defined]
    assert len(attempts) == 2
    assert dead and "encoder crashed" in (dead[0].headers or {})[H_ERROR]


async def test_status_compare_and_set_loses_no_update(harness: Harness) -> None:
    status = await StatusStore.open(harness.bus.js)
    key = status_key("t", "s", "ep01")

    def bump(n: int) -> None:
        for _ in range(n):
            status.update(key, lambda d: {**(d or {}), "n": (d or {}).get("n", 0) + 1})

    threads = [threading.Thread(target=bump, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    await asyncio.gather(*(asyncio.to_thread(t.join) for t in threads))
    assert (await status.get(key))["n"] == 40  # type: ignore[index]


def test_status_only_moves_forward() -> None:
    cause = submitted()
    doc = apply_event(None, cause)
    done = new_event(EPISODE_FAILED, EpisodeFailed(episode=REF, stage="script", reason="x"), tenant="t", cause=cause)
    doc = apply_event(doc, done)
    late = new_event(EPISODE_SCRIPTED, EpisodeScripted(episode=REF, shot_count=3), tenant="t", cause=cause)
    doc = apply_event(doc, late)
    assert doc["state"] == "failed" and doc["error"]["reason"] == "x"


async def test_waiting_forever_fails_the_episode_instead_of_hanging(harness: Harness) -> None:
    def never(event: Event, deps: Deps) -> list[Event]:
        raise NotReady("identity check of s03 not done yet")

    await harness.start(never, max_deliver=3)
    await harness.bus.publish(submitted())
    failed = (await harness.wait_for(EPISODE_FAILED, timeout=20))[0].payload
    assert "gave up waiting after 3 deliveries: identity check of s03" in failed.reason  # type: ignore[attr-defined]
