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


def content_digest(*sha256_hex: str) -> str:
    """The key of a submission's event id: the sha256s of everything submitted, in order."""
    h = hashlib.sha256()
    for sha in sha256_hex:
        h.update(bytes.fromhex(sha))
    return h.hexdigest()[:16]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_reference_image(path: Path, character_id: str, label: str) -> None:
    """A character reference must be a readable still of sane size; `label` names it to the studio."""
    if path.stat().st_size > MAX_REFERENCE_BYTES:
        raise InputError(f"reference image is over the limit of {MAX_REFERENCE_BYTES} bytes", file=label)
    image = cv2.imread(str(path))
    if image is None:
        raise InputError(f"reference image of character {character_id!r} is not a readable image", file=label)
    if max(image.shape[:2]) > MAX_REFERENCE_SIDE:
        raise InputError(f"reference image is over {MAX_REFERENCE_SIDE} px on a side", file=label)


def series_event(tenant: str, series_id: str, digest: str) -> Event:
    payload = SeriesSubmitted(tenant_id=tenant, series_id=series_id, bible_key=bible_key(tenant, series_id))
    return new_event(SERIES_SUBMITTED, payload, tenant=tenant, key=digest)


def episode_event(ref: EpisodeRef, takes: dict[str, str], digest: str) -> Event:
    payload = EpisodeSubmitted(
        episode=ref, script_key=script_key(ref), bible_key=bible_key(ref.tenant_id, ref.series_id), take_keys=takes
    )
    return new_event(EPISODE_SUBMITTED, payload, tenant=ref.tenant_id, key=digest)


def submit_series(store: ObjectStore, series_dir: Path, tenant: str, only: list[str] | None = None) -> Submission:
    bible = load_bible(series_dir)
    bible_bytes = (series_dir / "bible.yaml").read_bytes()
    shas = [_sha(bible_bytes)]
    refs_to_put: list[tuple[str, Path]] = []
    for character in bible.characters:
        for index, ref in enumerate(character.references):
            path = series_dir / ref
            check_reference_image(path, character.id, str(path))
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
        shas.append(store.put_file(key, path).sha256)
    if template_bytes:
        shas.append(store.put_bytes(template_key(tenant, bible.id), template_bytes).sha256)
    series = series_event(tenant, bible.id, content_digest(*shas))
    episodes = []
    for episode_id, path in scripts:
        ref = EpisodeRef(tenant_id=tenant, series_id=bible.id, episode_id=episode_id)
        episode_shas = [store.put_bytes(script_key(ref), path.read_bytes()).sha256]
        takes = {}
        take_dir = series_dir / "takes" / episode_id
        for take in sorted(take_dir.glob("*")) if take_dir.is_dir() else []:
            if take.suffix.lower() in TAKE_SUFFIXES:
                key = upload_take_key(ref, take.stem, take.suffix.lower())
                episode_shas.append(store.put_file(key, take).sha256)
                takes[take.stem] = key
        episodes.append(episode_event(ref, takes, content_digest(*shas, *episode_shas)))
    return Submission(bible, series, episodes)
