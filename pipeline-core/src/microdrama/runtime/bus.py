"""The JetStream transport, written once: streams, publishing, and the consumer loop around handlers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from md.common.v1.refs_pb2 import EpisodeRef
from md.episode.v1.events_pb2 import EpisodeFailed
from microdrama.errors import InputError, NotReady
from microdrama.events.catalog import EPISODE_FAILED, STREAMS, dead_letter_subject, stream_for
from microdrama.events.envelope import H_ERROR, EnvelopeError, Event, decode, encode, new_event
from microdrama.logs import get_logger
from microdrama.runtime.metrics import Metrics
from microdrama.runtime.service import Deps, Service, Subscription
from microdrama.telemetry import event_span

log = get_logger(__name__)

PUBLISH_ATTEMPTS = 5
NOT_READY_DELAY_S = 0.5
NOT_READY_MAX_DELAY_S = 5.0
DUPLICATE_WINDOW_S = 600.0


class Bus:
    """A connection to NATS with JetStream; every service's consumers run through here."""

    def __init__(self, nc: NATS, *, replicas: int = 1, metrics: Metrics | None = None) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.replicas = replicas
        self.metrics = metrics

    @classmethod
    async def connect(
        cls, url: str, *, name: str = "microdrama", replicas: int = 1, metrics: Metrics | None = None
    ) -> Bus:
        nc = NATS()

        async def disconnected() -> None:
            if not nc.is_closed:  # our own close or drain is no trouble
                log.warning("nats disconnected")

        # Reconnects forever; the callbacks put connection trouble in the structured log (not raw tracebacks).
        await nc.connect(
            url,
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,  # type: ignore[arg-type]  # seconds; nats-py annotates int, sleeps a float
            error_cb=_log_error,
            disconnected_cb=disconnected,
            reconnected_cb=_log_reconnected,
        )
        return cls(nc, replicas=replicas, metrics=metrics)

    def _count(self, subject: str, outcome: str, started: float) -> None:
        if self.metrics:
            self.metrics.events.labels(subject, outcome).inc()
            self.metrics.handler_seconds.labels(subject).observe(time.perf_counter() - started)

    async def ensure_streams(self) -> None:
        for name, subjects in STREAMS.items():
            config = StreamConfig(
                name=name,
                subjects=[subjects],
                storage=StorageType.FILE,
                num_replicas=self.replicas,
                duplicate_window=DUPLICATE_WINDOW_S,
            )
            try:
                await self.js.add_stream(config)
            except BadRequestError:
                await self.js.update_stream(config)

    async def publish(self, event: Event) -> None:
        """Publish with the event id as Nats-Msg-Id; a timed-out publish is retried with the same id."""
        data, headers = encode(event)
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                await self.js.publish(event.subject, data, headers=headers, timeout=5.0)
                return
            except (NatsTimeout, nats.errors.NoRespondersError):
                if attempt == PUBLISH_ATTEMPTS:
                    raise
                await asyncio.sleep(0.2 * attempt)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.nc.drain()

    async def consume(
        self,
        service: Service,
        sub: Subscription,
        deps: Deps,
        stop: asyncio.Event,
        *,
        max_deliver: int,
        ack_wait_s: float,
        ack_wait_max_s: float | None = None,
    ) -> None:
        """Pull, handle and ack one message at a time until `stop` is set, then finish the one in hand."""
        durable = service.durable(sub)
        ack_wait = min(sub.ack_wait_s or ack_wait_s, ack_wait_max_s or float("inf"))
        retries = max_deliver
        max_deliver = sub.max_deliver or max_deliver
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait,
            max_deliver=max_deliver,
            filter_subject=sub.subject,
            max_ack_pending=64,
        )
        stream = stream_for(sub.subject)
        # Create or update: changed settings (ack wait, max deliver) also reach a durable that already exists.
        await self.js.add_consumer(stream, config)
        psub = await self.js.pull_subscribe_bind(durable=durable, stream=stream)
        bound = log.bind(service=service.name, consumer=durable)
        while not stop.is_set():
            try:
                msgs = await psub.fetch(1, timeout=0.5)
            except (TimeoutError, NatsTimeout):
                continue
            except nats.errors.ConnectionClosedError:
                return
            except nats.errors.Error as exc:  # NATS restarting: JetStream answers again once it is back
                bound.warning("fetch failed", error=repr(exc))
                await asyncio.sleep(NOT_READY_DELAY_S)
                continue
            for msg in msgs:
                try:
                    await self._handle(service, sub, deps, msg, (max_deliver, retries), ack_wait, bound)
                except (nats.errors.Error, TimeoutError) as exc:
                    # NATS went away before the outputs or the ack got through: the message stays unacked
                    # and comes back after the ack wait; outputs are deduplicated by their event ids.
                    bound.warning("message left for redelivery", subject=msg.subject, error=repr(exc))
        with contextlib.suppress(Exception):
            await psub.unsubscribe()

    async def _handle(
        self,
        service: Service,
        sub: Subscription,
        deps: Deps,
        msg: Msg,
        budgets: tuple[int, int],
        ack_wait: float,
        logger: Any,
    ) -> None:
        # Deliveries allowed while waiting for other stages, and while a step keeps failing.
        max_deliver, retries = budgets
        try:
            event = decode(msg.subject, msg.data, dict(msg.headers or {}))
        except EnvelopeError as exc:
            logger.error("poison message", subject=msg.subject, error=str(exc))
            await self._dead_letter(service, msg, str(exc))
            return
        delivered = msg.metadata.num_delivered
        with event_span(f"{service.name} {event.subject}", event.traceparent, event_id=event.id) as traceparent:
            heartbeat = asyncio.create_task(_heartbeat(msg, ack_wait / 3))
            started = time.perf_counter()
            dead = ""
            outcome = "ok"
            try:
                outputs = await asyncio.to_thread(sub.handler, event, deps)
            except NotReady as exc:
                # Waiting spends deliveries too: on the last one the episode fails, saying what never came.
                if delivered < max_deliver:
                    await msg.nak(delay=min(NOT_READY_DELAY_S * delivered, NOT_READY_MAX_DELAY_S))
                    logger.debug("not ready", subject=event.subject, why=str(exc))
                    self._count(event.subject, "not_ready", started)
                    return
                dead = f"gave up waiting after {delivered} deliveries: {exc}"
                outputs = failure_events(event, service.name, dead)
            except InputError as exc:
                logger.warning("bad input", subject=event.subject, error=str(exc))
                outcome = "bad_input"
                outputs = failure_events(event, service.name, str(exc))
            except Exception as exc:  # a step failed: retried, then dead-lettered with the episode failed
                logger.exception("handler failed", subject=event.subject, attempt=delivered)
                if delivered < min(retries, max_deliver):
                    await msg.nak(delay=min(2.0**delivered, 30.0))
                    self._count(event.subject, "retry", started)
                    return
                dead = f"{type(exc).__name__}: {exc}"
                outputs = failure_events(event, service.name, dead)
            finally:
                heartbeat.cancel()
            self._count(event.subject, "dead_letter" if dead else outcome, started)
            for out in outputs:
                await self.publish(dataclasses.replace(out, traceparent=traceparent or out.traceparent))
            if dead:
                await self._dead_letter(service, msg, dead)
            else:
                await msg.ack_sync()

    async def _dead_letter(self, service: Service, msg: Msg, error: str) -> None:
        headers = dict(msg.headers or {})
        headers[H_ERROR] = error[:1000]
        headers.pop("Nats-Msg-Id", None)
        await self.js.publish(dead_letter_subject(service.name, msg.subject), msg.data, headers=headers)
        await msg.term()


async def _log_error(exc: Exception) -> None:
    log.warning("nats connection error", error=repr(exc))


async def _log_reconnected() -> None:
    log.info("nats reconnected")


async def _heartbeat(msg: Msg, every: float) -> None:
    """Tell JetStream the message is still being worked on, so a long step is not redelivered."""
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(Exception):
            await msg.in_progress()


def failure_events(event: Event, stage: str, reason: str) -> list[Event]:
    """An episode-scoped failure becomes episode.failed, so the episode never hangs and others go on."""
    episode = getattr(event.payload, "episode", None)
    if not isinstance(episode, EpisodeRef) or not episode.episode_id:
        return []
    payload = EpisodeFailed(episode=episode, stage=stage, reason=reason)
    return [new_event(EPISODE_FAILED, payload, tenant=event.tenant, cause=event, key=stage)]
