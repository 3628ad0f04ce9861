"""Services, NATS and drains disturbed mid-episode on the local process stack: nothing lost, nothing twice.

Every disturbed episode is the same tiny series as its own tenant, compared with the undisturbed one:
each event exactly once in the streams, and the same delivered video bytes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from microdrama.events import catalog as c
from microdrama.stack.detached import kill, stop
from microdrama.stack.lifecycle import restart
from microdrama.stack.state import ProcessRecord, read_state
from tests.stack.conftest import (
    Stack,
    delivered,
    finishing_report,
    stream_events,
    submit,
    tally,
    wait_done,
    wait_in_flight,
    wait_records,
)

pytestmark = pytest.mark.e2e
EPISODE_EVENTS = (c.EPISODE_SUBMITTED, c.EPISODE_SCRIPTED, c.EPISODE_SHOTS_READY, c.EPISODE_FINISHED, c.EPISODE_MIXED)
SHOT_EVENTS = (c.SHOT_GENERATED, c.SHOT_IDENTITY_CHECKED, c.SHOT_FINISHED)
SHOTS = ("s01", "s02")


def once_each() -> Counter[tuple[str, str]]:
    """Every event of a delivered two-shot episode, once."""
    events = [(s, "") for s in (*EPISODE_EVENTS, c.EPISODE_QC_PASSED, c.EPISODE_DELIVERED)]
    return Counter(events + [(s, shot) for s in SHOT_EVENTS for shot in SHOTS])


def record(stack: Stack, name: str) -> ProcessRecord:
    state = read_state(stack.root)
    assert state is not None
    return state.processes[name]


def test_the_undisturbed_run_emits_every_event_once(stack: Stack, calm: dict[str, object]) -> None:
    assert tally(stack, "calm") == once_each()


def test_killed_finishing_and_delivery_restart_and_deliver_once(
    stack: Stack, series: Path, calm: dict[str, object]
) -> None:
    submission = submit(stack, series, "crash")
    # Finishing killed once a stage is done for both shots, while later stages run.
    wait_records(stack, submission, "grade", len(SHOTS))
    kill(record(stack, "finishing").launched)
    restart(stack.root, "finishing")
    # Delivery killed while it holds the episode's qc_passed message.
    wait_in_flight(stack, "MD_EPISODE", "delivery-episode-qc_passed")
    kill(record(stack, "delivery").launched)
    restart(stack.root, "delivery")

    doc = wait_done(stack, submission)
    assert doc["state"] == "delivered", doc
    assert tally(stack, "crash") == once_each()
    assert delivered(stack, doc) == delivered(stack, calm)
    # The restarted finishing resumed from its last completed stages instead of redoing them.
    stages = finishing_report(stack, submission)["stages"]
    assert stages["analysis"]["reused"] == len(SHOTS) and stages["grade"]["reused"] == len(SHOTS)


def test_nats_killed_and_restarted_mid_episode_loses_no_acknowledged_event(
    stack: Stack, series: Path, calm: dict[str, object]
) -> None:
    submission = submit(stack, series, "natsdown")
    wait_in_flight(stack, "MD_EPISODE", "finishing-episode-shots_ready")
    acknowledged = {name: [e.id for e in stream_events(stack, name)] for name in ("MD_SERIES", "MD_EPISODE", "MD_SHOT")}
    kill(record(stack, "nats").launched)
    restart(stack.root, "nats")

    doc = wait_done(stack, submission)
    assert doc["state"] == "delivered", doc
    for name, ids in acknowledged.items():
        assert [e.id for e in stream_events(stack, name)][: len(ids)] == ids, f"{name} lost acknowledged events"
    assert tally(stack, "natsdown") == once_each()
    assert delivered(stack, doc) == delivered(stack, calm)


def test_sigterm_mid_handler_drains_then_exits(stack: Stack, series: Path, calm: dict[str, object]) -> None:
    submission = submit(stack, series, "drain")
    wait_records(stack, submission, "grade", len(SHOTS))
    finishing = record(stack, "finishing")
    # Asked to stop mid-episode, finishing completes the episode in hand and exits by itself.
    assert stop(finishing.launched, finishing.stop_timeout_s), "finishing had to be killed: it did not drain"
    finished = [
        e for e in stream_events(stack, "MD_EPISODE") if e.tenant == "drain" and e.subject == c.EPISODE_FINISHED
    ]
    assert len(finished) == 1, "the episode in hand was not finished before exit"
    restart(stack.root, "finishing")

    doc = wait_done(stack, submission)
    assert doc["state"] == "delivered", doc
    assert tally(stack, "drain") == once_each()
    assert delivered(stack, doc) == delivered(stack, calm)
