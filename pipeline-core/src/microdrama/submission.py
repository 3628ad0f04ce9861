"""Put a series folder into the object store and build the events that start its episodes.

Everything is checked before anything is submitted: a missing or unreadable reference
image, a bad template or an episode id that is not a plain name is an error naming the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2

from md.common.v1.refs_pb2 import EpisodeRef
from md.episode.v1.events_pb2 import EpisodeSubmitted
from md.series.v1.events_pb2 import SeriesSubmitted
from microdrama.domain.bible import Bible, load_bible
from microdrama.errors import InputError
from microdrama.events.catalog import EPISODE_SUBMITTED, SERIES_SUBMITTED
from microdrama.events.envelope import Event, new_event
from microdrama.finishing.template import load_template
from microdrama.keys import KeyError_, episode_key
from microdrama.layout import bible_key, reference_key, script_key, template_key, upload_take_key
from microdrama.store.base import ObjectStore

TAKE_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")
# Reference images are stills of a character: anything bigger is a mistake or an attack.
MAX_REFERENCE_BYTES = 32 * 1024 * 1024
MAX_REFERENCE_SIDE = 8192


@dataclass(frozen=True)
class Submission:
    bible: Bible
    series: Event
    episodes: list[Event]

    @property
    def refs(self) -> list[EpisodeRef]:
        return [e.payload.episode for e in self.episodes]


def _digest(*blobs: bytes) -> str:
    h = hashlib.sha256()
    for b in blobs:
        h.update(hashlib.sha256(b).digest())
    return h.hexdigest()[:16]


def submit_series(store: ObjectStore, series_dir: Path, tenant: str, only: list[str] | None = None) -> Submission:
    bible = load_bible(series_dir)
    bible_bytes = (series_dir / "bible.yaml").read_bytes()
    blobs = [bible_bytes]
    refs_to_put: list[tuple[str, Path]] = []
    for character in bible.characters:
        for index, ref in enumerate(character.references):
            path = series_dir / ref
            if path.stat().st_size > MAX_REFERENCE_BYTES:
                raise InputError(f"reference image is over the limit of {MAX_REFERENCE_BYTES} bytes", file=str(path))
            image = cv2.imread(str(path))
            if image is None:
                raise InputError(
                    f"reference image of character {character.id!r} is not a readable image", file=str(path)
                )
            if max(image.shape[:2]) > MAX_REFERENCE_SIDE:
                raise InputError(f"reference image is over {MAX_REFERENCE_SIDE} px on a side", file=str(path))
            refs_to_put.append(
                (reference_key(tenant, bible.id, character.id, index, PurePosixPath(ref).suffix.lower()), path)
            )
    template_bytes = b""
    if bible.look.template:
        path = series_dir / bible.look.template
        load_template(path)
        template_bytes = path.read_bytes()
    scripts = []
    for rel in bible.episodes:
        path = series_dir / rel
        episode_id = Path(rel).stem
        try:
            episode_key(tenant, bible.id, episode_id)
        except KeyError_ as exc:
            raise InputError(
                f"episode id {episode_id!r} from the file name is not a plain name", file=str(path)
            ) from exc
        if only and episode_id not in only:
            continue
        scripts.append((episode_id, path))
    if only and (unknown := sorted(set(only) - {e for e, _ in scripts})):
        raise InputError(f"no such episode in the bible: {', '.join(unknown)}", file=str(series_dir / "bible.yaml"))

    store.put_bytes(bible_key(tenant, bible.id), bible_bytes)
    for key, path in refs_to_put:
        store.put_file(key, path)
        blobs.append(path.read_bytes())
    if template_bytes:
        store.put_bytes(template_key(tenant, bible.id), template_bytes)
        blobs.append(template_bytes)
    series_payload = SeriesSubmitted(tenant_id=tenant, series_id=bible.id, bible_key=bible_key(tenant, bible.id))
    series_event = new_event(SERIES_SUBMITTED, series_payload, tenant=tenant, key=_digest(*blobs))
    episodes = []
    for episode_id, path in scripts:
        ref = EpisodeRef(tenant_id=tenant, series_id=bible.id, episode_id=episode_id)
        script = path.read_bytes()
        store.put_bytes(script_key(ref), script)
        takes = {}
        take_dir = series_dir / "takes" / episode_id
        for take in sorted(take_dir.glob("*")) if take_dir.is_dir() else []:
            if take.suffix.lower() in TAKE_SUFFIXES:
                key = upload_take_key(ref, take.stem, take.suffix.lower())
                store.put_file(key, take)
                takes[take.stem] = key
                script += take.read_bytes()
        payload = EpisodeSubmitted(
            episode=ref, script_key=script_key(ref), bible_key=series_payload.bible_key, take_keys=takes
        )
        episodes.append(new_event(EPISODE_SUBMITTED, payload, tenant=tenant, key=_digest(*blobs, script)))
    return Submission(bible, series_event, episodes)
