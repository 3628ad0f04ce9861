"""episode.scripted -> one take per shot (an uploaded take, or the embedded provider) -> shot.generated, shots_ready."""

from __future__ import annotations

import tempfile
from pathlib import Path

from md.common.v1.refs_pb2 import ShotTake
from md.episode.v1.events_pb2 import EpisodeScripted, EpisodeShotsReady
from md.shot.v1.events_pb2 import ShotGenerated
from microdrama.documents import content_hash, load_bible, load_shot_list
from microdrama.errors import InputError, MediaError
from microdrama.events.catalog import EPISODE_SHOTS_READY, SHOT_GENERATED
from microdrama.events.envelope import Event, new_event
from microdrama.generation.animatic import AnimaticProvider
from microdrama.generation.provider import ShotRequest, seed_for
from microdrama.generation.upload import validate_take
from microdrama.layout import episode_prefix
from microdrama.runtime.service import Deps

TAKE = 1


def generate_shots(event: Event, deps: Deps) -> list[Event]:
    msg: EpisodeScripted = event.payload
    ref = msg.episode
    shots = load_shot_list(deps.store, msg.shot_list_key)
    bible = load_bible(deps.store, msg.bible_key)
    provider = AnimaticProvider()
    takes: list[ShotTake] = []
    events: list[Event] = []
    for shot in shots.shots:
        uploaded = msg.take_keys.get(shot.id)
        if uploaded:
            with deps.store.local_path(uploaded) as path:
                try:
                    validate_take(path, deps.settings.media_limits())
                except MediaError as exc:
                    raise InputError(f"uploaded take for shot {shot.id} is unusable: {exc}") from exc
            key, provider_name = uploaded, "upload"
        else:
            looks = {cid: bible.character(cid).look for cid in shot.characters}
            request = ShotRequest(
                shot=shot,
                fps=shots.fps,
                width=shots.width,
                height=shots.height,
                characters=looks,
                seed=seed_for(ref.series_id, ref.episode_id, shot.id, TAKE),
                take=TAKE,
            )
            # Keyed by everything that decides the pixels: a redelivered event renders nothing twice.
            digest = content_hash(
                shot,
                {k: v.model_dump() for k, v in looks.items()},
                [shots.fps, shots.width, shots.height, provider.name],
            )
            key = episode_prefix(ref, "shots", shot.id, f"take{TAKE:02d}-{digest}.mp4")
            provider_name = provider.name
            if not deps.store.exists(key):
                with tempfile.TemporaryDirectory(prefix="md-gen-") as tmp:
                    dest = Path(tmp) / "take.mp4"
                    provider.generate(request, dest)
                    deps.store.put_file(key, dest)
        info = deps.store.info(key)
        take = ShotTake(shot_id=shot.id, take=TAKE, object_key=key, sha256=info.sha256)
        takes.append(take)
        generated = ShotGenerated(episode=ref, take=take, provider=provider_name, character_ids=shot.characters)
        events.append(new_event(SHOT_GENERATED, generated, tenant=event.tenant, cause=event, key=shot.id))
    ready = EpisodeShotsReady(episode=ref, shot_list_key=msg.shot_list_key, takes=takes, bible_key=msg.bible_key)
    events.append(new_event(EPISODE_SHOTS_READY, ready, tenant=event.tenant, cause=event))
    return events
