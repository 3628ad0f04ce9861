"""series.submitted -> identity descriptors; shot.generated -> identity scores against them."""

from __future__ import annotations

from pathlib import PurePosixPath

import cv2
import numpy as np

from md.character.v1.events_pb2 import CharacterLocked
from md.series.v1.events_pb2 import SeriesSubmitted
from md.shot.v1.events_pb2 import CharacterScore, ShotGenerated, ShotIdentityChecked
from microdrama.character.identity import IdentityDescriptor, describe, score_frames
from microdrama.documents import load_bible
from microdrama.errors import InputError, NotReady
from microdrama.events.catalog import CHARACTER_LOCKED, SHOT_IDENTITY_CHECKED
from microdrama.events.envelope import Event, new_event
from microdrama.layout import identity_key, identity_report_key, reference_key
from microdrama.media.video import read_frames
from microdrama.runtime.service import Deps

# Every 6th frame (4 per second at 24 fps) is enough to find drift and keeps the check cheap.
FRAME_STRIDE = 6


def lock_characters(event: Event, deps: Deps) -> list[Event]:
    msg: SeriesSubmitted = event.payload
    bible = load_bible(deps.store, msg.bible_key)
    events = []
    for character in bible.characters:
        images = []
        for index, ref in enumerate(character.references):
            key = reference_key(msg.tenant_id, msg.series_id, character.id, index, PurePosixPath(ref).suffix.lower())
            image = cv2.imdecode(np.frombuffer(deps.store.get_bytes(key), np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                raise InputError(f"reference image of {character.id!r} is not a readable image", file=ref)
            images.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        descriptor = describe(character.id, images)
        key = identity_key(msg.tenant_id, msg.series_id, character.id)
        deps.store.put_json(key, descriptor.to_json())
        locked = CharacterLocked(
            tenant_id=msg.tenant_id, series_id=msg.series_id, character_id=character.id, descriptor_key=key
        )
        events.append(new_event(CHARACTER_LOCKED, locked, tenant=event.tenant, cause=event, key=character.id))
    return events


def check_shot(event: Event, deps: Deps) -> list[Event]:
    msg: ShotGenerated = event.payload
    ref = msg.episode
    descriptors = {}
    for cid in msg.character_ids:
        key = identity_key(ref.tenant_id, ref.series_id, cid)
        if not deps.store.exists(key):
            raise NotReady(f"identity of {cid} not locked yet")
        descriptors[cid] = IdentityDescriptor.from_json(deps.store.get_json(key))
    scores = []
    if descriptors:
        with deps.store.local_path(msg.take.object_key, ".mp4") as path:
            frames = list(read_frames(path, deps.settings.media_limits(), every=FRAME_STRIDE))
        for cid, descriptor in descriptors.items():
            match = score_frames(descriptor, frames)
            scores.append(CharacterScore(character_id=cid, score=round(match.score, 4), found=match.found))
    report_key = identity_report_key(ref, msg.take.shot_id)
    deps.store.put_json(
        report_key,
        {
            "shot_id": msg.take.shot_id,
            "take": msg.take.take,
            "take_key": msg.take.object_key,
            "scores": {s.character_id: {"score": s.score, "found": s.found} for s in scores},
        },
    )
    checked = ShotIdentityChecked(
        episode=ref, shot_id=msg.take.shot_id, take=msg.take.take, scores=scores, report_key=report_key
    )
    return [new_event(SHOT_IDENTITY_CHECKED, checked, tenant=event.tenant, cause=event)]
