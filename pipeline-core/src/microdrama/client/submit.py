"""Send a series folder to the gateway: create the series, upload what the bible names, submit episodes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from md.studio.v1 import studio_pb2 as pb
from microdrama.client.connection import GatewayClient
from microdrama.domain.bible import load_bible
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


def plan_uploads(series_dir: Path, only: list[str] | None) -> tuple[str, list[str], list[Upload]]:
    """The series id, its episodes to submit and every file to upload; checks the files exist first."""
    bible = load_bible(series_dir)
    episodes = [PurePosixPath(rel).stem for rel in bible.episodes]
    chosen = [e for e in episodes if not only or e in only]
    uploads = [
        _upload(bible.id, pb.OBJECT_KIND_REFERENCE, series_dir / ref, ref)
        for character in bible.characters
        for ref in character.references
    ]
    for rel in bible.episodes:
        episode = PurePosixPath(rel).stem
        if episode not in chosen:
            continue
        uploads.append(_upload(bible.id, pb.OBJECT_KIND_SCRIPT, series_dir / rel, rel))
        take_dir = series_dir / "takes" / episode
        for take in sorted(take_dir.glob("*")) if take_dir.is_dir() else []:
            if take.suffix.lower() in TAKE_SUFFIXES:
                uploads.append(_upload(bible.id, pb.OBJECT_KIND_TAKE, take, take.name, episode, take.stem))
    return bible.id, chosen, uploads


async def submit_series(
    client: GatewayClient,
    series_dir: Path,
    only: list[str] | None = None,
    on_upload: Callable[[Upload], None] | None = None,
) -> list[pb.Operation]:
    series_id, episodes, uploads = plan_uploads(series_dir, only)
    bible = (series_dir / "bible.yaml").read_bytes()
    template_rel = load_bible(series_dir).look.template
    template = (series_dir / template_rel).read_bytes() if template_rel else b""
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
