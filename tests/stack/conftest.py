"""One local stack (real processes: nats-server, rclone S3, Ray head, every service) shared by these tests."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
import yaml
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from microdrama.events.catalog import STREAMS
from microdrama.events.envelope import Event, decode
from microdrama.layout import episode_prefix
from microdrama.orchestrate import wait_for
from microdrama.runtime.bus import Bus
from microdrama.runtime.stages import usable_cpus
from microdrama.settings import Settings
from microdrama.stack.lifecycle import up
from microdrama.stack.readiness import check_alive, log_tail
from microdrama.stack.state import StackState, read_state
from microdrama.status import StatusStore
from microdrama.store.base import ObjectStore
from microdrama.store.factory import make_store
from microdrama.submission import Submission, submit_series
from tests.e2e.conftest import make_series

# Two shots, one small delivery profile, a 360x640 master through four finishing stages (analysis, reframe,
# grade, master): an episode takes well under a minute here.
SCRIPT = """Title: Tiny

INT. KITCHEN - NIGHT

MARA waits.

JULIAN
Mara.
"""
TEMPLATE = {
    "name": "tiny-stack",
    "motion": {"enabled": False},
    "face": {"enabled": False},
    "upscale": {"width": 360, "height": 640, "detail_match": False},
    "encode": {"crf": 23, "preset": "ultrafast"},
}
PROFILE = "review-540p-h264"
# Under the per-test limit (pytest-timeout), so a stuck episode fails with the states it reached.
EPISODE_TIMEOUT_S = 200.0
# The helpers' own connections give up: reconnecting forever (as a service does) would hang the run on a dead NATS.
CONNECT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Stack:
    root: Path
    state: StackState
    settings: Settings
    api_key: str

    @property
    def store(self) -> ObjectStore:
        return make_store(self.settings)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed stack test carries the end of every process's log: why it failed is in the CI output."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(stack, Stack):
        state = read_state(stack.root)
        for record in state.processes.values() if state else ():
            report.sections.append((f"{record.name} log ({record.log})", log_tail(record.log, 40)))
    return report


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from microdrama.stack.lifecycle import down

    root = tmp_path_factory.mktemp("stack")
    result = up(root, ray_cpus=min(2, usable_cpus()))
    keys, state = result.keys, result.state
    settings = Settings(
        nats_url=state.nats_url,
        store="s3",
        s3_endpoint=state.s3_endpoint,
        s3_secure=False,
        s3_bucket=state.s3_bucket,
        s3_access_key=keys.s3_access_key,
        s3_secret_key=keys.s3_secret_key,
    )
    try:
        yield Stack(root, state, settings, keys.api_key)
    finally:
        down(root)


@pytest.fixture(scope="session")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_series(tmp_path_factory.mktemp("series"), {"ep01": SCRIPT})
    bible = yaml.safe_load((folder / "bible.yaml").read_text())
    bible["profiles"] = [PROFILE]
    (folder / "bible.yaml").write_text(yaml.safe_dump(bible))
    (folder / "template.yaml").write_text(yaml.safe_dump(TEMPLATE))
    return folder


def submit(stack: Stack, series: Path, tenant: str) -> Submission:
    """Put the series into the stack's S3 and publish its events to the stack's NATS, as the gateway would."""
    # A process an earlier test left dead fails this test at once, with the end of its log.
    state = read_state(stack.root)
    assert state is not None, f"no stack in {stack.root}"
    check_alive(state)
    submission = submit_series(stack.store, series, tenant)

    async def publish() -> None:
        bus = Bus(await _connect(stack))
        try:
            for event in [submission.series, *submission.episodes]:
                await bus.publish(event)
        finally:
            await bus.close()

    asyncio.run(publish())
    return submission


async def _connect(stack: Stack) -> nats.NATS:
    connecting = nats.connect(stack.state.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    return await asyncio.wait_for(connecting, CONNECT_TIMEOUT_S)


def wait_done(stack: Stack, submission: Submission) -> dict[str, object]:
    """Wait until the submitted episode is delivered, rejected or failed; returns its status document."""

    async def wait() -> dict[str, object]:
        nc = await _connect(stack)
        try:
            [doc] = await wait_for(await StatusStore.open(nc.jetstream()), submission, None, EPISODE_TIMEOUT_S)
            return doc
        finally:
            await nc.close()

    return asyncio.run(wait())


def wait_in_flight(stack: Stack, stream: str, durable: str, timeout_s: float = EPISODE_TIMEOUT_S) -> None:
    """Wait until the consumer holds a delivered, unacknowledged message: its handler is running."""

    async def wait() -> None:
        nc = await _connect(stack)
        try:
            js = nc.jetstream()
            deadline = asyncio.get_running_loop().time() + timeout_s
            while (await js.consumer_info(stream, durable)).num_ack_pending < 1:
                assert asyncio.get_running_loop().time() < deadline, f"{durable} never took a message"
                await asyncio.sleep(0.1)
        finally:
            await nc.close()

    asyncio.run(wait())


def stream_events(stack: Stack, stream: str) -> list[Event]:
    """Every event stored in `stream`, oldest first (read through an ephemeral consumer)."""

    async def read() -> list[Event]:
        nc = await _connect(stack)
        try:
            js = nc.jetstream()
            total = (await js.stream_info(stream)).state.messages
            config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL)
            psub = await js.pull_subscribe(STREAMS[stream], stream=stream, config=config)
            events: list[Event] = []
            while len(events) < total:
                for msg in await psub.fetch(min(256, total - len(events)), timeout=5):
                    events.append(decode(msg.subject, msg.data, dict(msg.headers or {})))
            await psub.unsubscribe()
            return events
        finally:
            await nc.close()

    return asyncio.run(read())


def tally(stack: Stack, tenant: str) -> Counter[tuple[str, str]]:
    """How many times each (subject, shot or "") event of `tenant`'s episode is stored in the streams."""
    counts: Counter[tuple[str, str]] = Counter()
    for stream in ("MD_EPISODE", "MD_SHOT"):
        for event in stream_events(stack, stream):
            if event.tenant == tenant:
                # shot.generated names its shot in its take; the other shot events directly.
                take = getattr(event.payload, "take", None)
                counts[(event.subject, getattr(event.payload, "shot_id", "") or getattr(take, "shot_id", ""))] += 1
    return counts


def delivered(stack: Stack, doc: dict[str, object]) -> dict[str, str]:
    """The sha256 of every video file the episode delivered, by file name (tenant-free, comparable)."""
    store = stack.store
    digests = {}
    for package in doc["deliverables"]:  # type: ignore[attr-defined]
        key = package["video_key"]
        digests[key.rsplit("/", 1)[1]] = hashlib.sha256(store.get_bytes(key)).hexdigest()
    return digests


def wait_records(
    stack: Stack, submission: Submission, stage: str, count: int, timeout_s: float = EPISODE_TIMEOUT_S
) -> None:
    """Wait until `count` finishing result records of `stage` are in the store: that stage is done."""
    prefix = episode_prefix(submission.refs[0], "finishing", stage) + "/"
    store = stack.store
    deadline = time.monotonic() + timeout_s
    while sum(key.endswith(".json") for key in store.list(prefix)) < count:
        assert time.monotonic() < deadline, f"finishing never completed {stage}"
        time.sleep(0.2)


def finishing_report(stack: Stack, submission: Submission) -> dict[str, Any]:
    report: dict[str, Any] = stack.store.get_json(episode_prefix(submission.refs[0], "finishing", "finishing.json"))
    return report


@pytest.fixture(scope="session")
def calm(stack: Stack, series: Path) -> dict[str, object]:
    """The series delivered undisturbed, as its own tenant: what every disturbed run must equal."""
    doc = wait_done(stack, submit(stack, series, "calm"))
    assert doc["state"] == "delivered", doc
    return doc
