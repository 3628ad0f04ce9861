import pytest

from md.common.v1.refs_pb2 import EpisodeRef
from md.episode.v1.events_pb2 import EpisodeScripted, EpisodeSubmitted
from microdrama.events.catalog import EPISODE_SCRIPTED, EPISODE_SUBMITTED, PAYLOADS, STREAMS, stream_for
from microdrama.events.envelope import EnvelopeError, decode, encode, new_event

REF = EpisodeRef(tenant_id="t", series_id="s", episode_id="ep01")


def test_every_subject_has_one_stream_and_follows_the_naming() -> None:
    for subject in PAYLOADS:
        parts = subject.split(".")
        assert parts[0] == "md" and parts[2] == "v1" and len(parts) == 4
        assert stream_for(subject) in STREAMS


def test_roundtrip_keeps_payload_tenant_and_trace() -> None:
    first = new_event(EPISODE_SUBMITTED, EpisodeSubmitted(episode=REF, script_key="k"), tenant="t", key="abc")
    event = new_event(EPISODE_SCRIPTED, EpisodeScripted(episode=REF, shot_count=3), tenant="t", cause=first)
    data, headers = encode(event)
    assert headers["Nats-Msg-Id"] == event.id
    back = decode(EPISODE_SCRIPTED, data, headers)
    assert back.payload == event.payload and back.tenant == "t" and back.id == event.id


def test_ids_are_deterministic_from_the_cause() -> None:
    cause = new_event(EPISODE_SUBMITTED, EpisodeSubmitted(episode=REF), tenant="t", key="x")
    again = new_event(EPISODE_SUBMITTED, EpisodeSubmitted(episode=REF), tenant="t", key="x")
    assert cause.id == again.id
    a = new_event(EPISODE_SCRIPTED, EpisodeScripted(episode=REF), tenant="t", cause=cause)
    b = new_event(EPISODE_SCRIPTED, EpisodeScripted(episode=REF, shot_count=9), tenant="t", cause=cause)
    assert a.id == b.id  # a redelivered handler's output is deduplicated by JetStream


def test_wrong_payload_or_schema_is_refused() -> None:
    with pytest.raises(EnvelopeError):
        new_event(EPISODE_SCRIPTED, EpisodeSubmitted(episode=REF), tenant="t")
    event = new_event(EPISODE_SUBMITTED, EpisodeSubmitted(episode=REF), tenant="t")
    data, headers = encode(event)
    with pytest.raises(EnvelopeError, match="schema"):
        decode(EPISODE_SCRIPTED, data, headers)
