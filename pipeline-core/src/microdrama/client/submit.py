"""Send a series folder to the gateway: create the series, upload what the bible names, submit episodes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from md.studio.v1 import studio_pb2 as pb
from microdrama.client.connection import GatewayClient
from microdrama.domain.bible import Bible, load_bible
from microdrama.errors import InputError
from microdrama.store.base import sha256_file
from microdrama.submission import TAKE_SUFFIXES


@dataclass(frozen=True)
class Upload:
    header: pb.UploadHeader
    path: Path


def _request_id(*parts: str) -> str:
    # The same content sent again is the same request: the gateway answers it without redoing it.
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def _upload(series_id: str, kind: int, path: Path, name: str, episode: str = "", shot: str = "") -> Upload:
    sha = sha256_file(path)
    header = pb.UploadHeader(
        request_id=_request_id(series_id, str(kind), name, episode, shot, sha),
        series_id=series_id,
        kind=kind,  # type: ignore[arg-type]
        name=name,
        episode_id=episode,
        shot_id=shot,
        sha256=sha,
        size=path.stat().st_size,
    )
    return Upload(header, path)


def plan_uploads(series_dir: Path, bible: Bible, only: list[str] | None) -> tuple[list[str], list[Upload]]:
    """The episodes to submit and every file to upload (references, then each episode's script and takes)."""
    episodes = {PurePosixPath(rel).stem: rel for rel in bible.episodes}
    if only and (unknown := sorted(set(only) - set(episodes))):
        raise InputError(f"no such episode in the bible: {', '.join(unknown)}", file=str(series_dir / "bible.yaml"))
    chosen = [e for e in episodes if not only or e in only]
    uploads = [
        _upload(bible.id, pb.OBJECT_KIND_REFERENCE, series_dir / ref, ref)
        for character in bible.characters
        for ref in character.references
    ]
    for episode in chosen:
        uploads.append(_upload(bible.id, pb.OBJECT_KIND_SCRIPT, series_dir / episodes[episode], episodes[episode]))
        take_dir = series_dir / "takes" / episode
        for take in sorted(take_dir.glob("*")) if take_dir.is_dir() else []:
            if take.suffix.lower() in TAKE_SUFFIXES:
                uploads.append(_upload(bible.id, pb.OBJECT_KIND_TAKE, take, take.name, episode, take.stem))
    return chosen, uploads


async def submit_series(
    client: GatewayClient,
    series_dir: Path,
    only: list[str] | None = None,
    on_upload: Callable[[Upload], None] | None = None,
) -> list[pb.Operation]:
    parsed = load_bible(series_dir)  # checks every file it names exists
    series_id = parsed.id
    episodes, uploads = plan_uploads(series_dir, parsed, only)
    bible = (series_dir / "bible.yaml").read_bytes()
    template = (series_dir / parsed.look.template).read_bytes() if parsed.look.template else b""
    documents = [hashlib.sha256(bible).hexdigest(), hashlib.sha256(template).hexdigest()]
    await client.create_series(_request_id("series", *documents), bible, template)
    for upload in uploads:
        await client.upload(upload.header, upload.path)
        if on_upload:
            on_upload(upload)
    content = [*documents, *(u.header.sha256 for u in uploads)]
    return [
        await client.submit(_request_id("submit", series_id, episode, *content), series_id, episode)
        for episode in episodes
    ]
