"""episode.submitted -> parse the Fountain script against the bible -> episode.scripted."""

from __future__ import annotations

from md.episode.v1.events_pb2 import EpisodeScripted, EpisodeSubmitted
from microdrama.documents import load_bible
from microdrama.events.catalog import EPISODE_SCRIPTED
from microdrama.events.envelope import Event, new_event
from microdrama.layout import episode_prefix
from microdrama.runtime.service import Deps
from microdrama.script.fountain import parse_fountain
from microdrama.script.shotlist import build_shot_list


def script_episode(event: Event, deps: Deps) -> list[Event]:
    msg: EpisodeSubmitted = event.payload
    ref = msg.episode
    bible = load_bible(deps.store, msg.bible_key)
    # The error names the script as the studio knows it, not the object key.
    source = f"{ref.episode_id}.fountain"
    play = parse_fountain(deps.store.get_bytes(msg.script_key).decode("utf-8"), source)
    shots = build_shot_list(play, bible, series_id=ref.series_id, episode_id=ref.episode_id, source=source)
    key = episode_prefix(ref, "script", "shotlist.json")
    deps.store.put_bytes(key, shots.model_dump_json(indent=2).encode())
    out = EpisodeScripted(
        episode=ref,
        shot_list_key=key,
        shot_count=len(shots.shots),
        duration_seconds=shots.duration_s,
        bible_key=msg.bible_key,
        take_keys=dict(msg.take_keys),
    )
    return [new_event(EPISODE_SCRIPTED, out, tenant=event.tenant, cause=event)]
