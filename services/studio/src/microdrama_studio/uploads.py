"""Where an upload goes and what it must be: keys come from the bible's ids, never from client file names."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from md.common.v1.refs_pb2 import EpisodeRef
from md.studio.v1 import studio_pb2 as pb
from microdrama.domain.bible import Bible
from microdrama.errors import InputError, NotFound
from microdrama.keys import check_segment
from microdrama.layout import reference_key, script_key, upload_take_key
from microdrama.media.probe import MediaLimits, probe_video
from microdrama.script.fountain import parse_fountain
from microdrama.submission import MAX_REFERENCE_BYTES, TAKE_SUFFIXES, check_reference_image

MAX_SCRIPT_BYTES = 1024 * 1024
_SHA256_HEX = 64


@dataclass(frozen=True)
class Target:
    key: str
    max_bytes: int
    check: Callable[[Path], None]
    label: str


def episode_ids(bible: Bible) -> dict[str, str]:
    """Episode id (the script's file stem) -> the script's path as the bible lists it."""
    return {PurePosixPath(rel).stem: rel for rel in bible.episodes}


def _check_script(label: str) -> Callable[[Path], None]:
    def check(path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"a Fountain script is UTF-8 text: {exc.reason} at byte {exc.start}", file=label) from exc
        parse_fountain(text, label)

    return check


def target_of(bible: Bible, tenant: str, header: pb.UploadHeader, limits: MediaLimits) -> Target:
    """Validate the header against the series and say where the bytes go and how they are checked."""
    if len(header.sha256) != _SHA256_HEX or any(c not in "0123456789abcdef" for c in header.sha256):
        raise InputError("sha256 must be 64 lowercase hex digits")
    if header.size <= 0:
        raise InputError("size must be the object's length in bytes (> 0)")
    kind = header.kind
    if kind == pb.OBJECT_KIND_REFERENCE:
        for character in bible.characters:
            for index, ref in enumerate(character.references):
                if ref == header.name:
                    suffix = PurePosixPath(ref).suffix.lower()
                    key = reference_key(tenant, bible.id, character.id, index, suffix)
                    check = functools.partial(check_reference_image, character_id=character.id, label=ref)
                    return Target(key, MAX_REFERENCE_BYTES, check, ref)
        raise NotFound(f"the bible lists no reference image {header.name!r}")
    ids = episode_ids(bible)
    if kind == pb.OBJECT_KIND_SCRIPT:
        by_name = {rel: eid for eid, rel in ids.items()}
        episode_id = by_name.get(header.name) or (header.episode_id if header.episode_id in ids else "")
        if not episode_id:
            raise NotFound(f"the bible lists no episode script {header.name or header.episode_id!r}")
        ref = EpisodeRef(tenant_id=tenant, series_id=bible.id, episode_id=episode_id)
        return Target(script_key(ref), MAX_SCRIPT_BYTES, _check_script(ids[episode_id]), ids[episode_id])
    if kind == pb.OBJECT_KIND_TAKE:
        if header.episode_id not in ids:
            raise NotFound(f"the bible lists no episode {header.episode_id!r}")
        suffix = PurePosixPath(header.name).suffix.lower()
        if suffix not in TAKE_SUFFIXES:
            raise InputError(f"a take is one of {', '.join(TAKE_SUFFIXES)}; got {header.name!r}")
        check_segment(header.shot_id)
        ref = EpisodeRef(tenant_id=tenant, series_id=bible.id, episode_id=header.episode_id)
        label = f"{header.episode_id}/{header.shot_id}{suffix}"
        return Target(
            upload_take_key(ref, header.shot_id, suffix), limits.max_bytes, lambda p: _probe(p, label, limits), label
        )
    raise InputError("kind must be REFERENCE, SCRIPT or TAKE")


def _probe(path: Path, label: str, limits: MediaLimits) -> None:
    try:
        probe_video(path, limits)
    except InputError as exc:
        raise InputError(str(exc).replace(str(path), label)) from exc


async def receive(chunks: AsyncIterator[bytes], dest: Path, header: pb.UploadHeader, target: Target) -> None:
    """Write the chunks to dest, stopping at the declared size or the limit; the checksum must match."""
    limit = min(header.size, target.max_bytes)
    if header.size > target.max_bytes:
        raise InputError(f"{target.label}: {header.size} bytes is over the limit of {target.max_bytes}")
    digest = hashlib.sha256()
    received = 0
    with dest.open("wb") as out:
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
                raise InputError(f"{target.label}: more bytes than the declared size {header.size}")
            digest.update(chunk)
            out.write(chunk)
    if received != header.size:
        raise InputError(f"{target.label}: received {received} bytes, the header declared {header.size}")
    if digest.hexdigest() != header.sha256:
        raise InputError(f"{target.label}: sha256 of the bytes received does not match the header; nothing stored")
