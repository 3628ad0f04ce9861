"""The delivery manifest: every delivered file with its size and SHA-256, and how it was made.

It holds no wall-clock time, so packaging the same inputs twice gives byte-identical manifests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from microdrama.errors import InputError
from microdrama.store.base import sha256_file

MANIFEST_NAME = "manifest.json"
FileKind = Literal["video", "subtitles", "poster"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestFile(_Doc):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: FileKind
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class VideoSummary(_Doc):
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float


class Manifest(_Doc):
    manifest_version: int = 1
    tenant: str
    series: str
    episode: str
    profile: dict[str, Any]
    qc_verdict: str
    template_hash: str
    created_by: str
    video: VideoSummary
    files: list[ManifestFile]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


def describe_file(path: Path, kind: FileKind) -> ManifestFile:
    return ManifestFile(name=path.name, kind=kind, bytes=path.stat().st_size, sha256=sha256_file(path))


def write_manifest(manifest: Manifest, out_dir: Path) -> Path:
    path = out_dir / MANIFEST_NAME
    path.write_bytes(manifest.to_json().encode("utf-8"))
    return path


def read_manifest(out_dir: Path) -> Manifest:
    path = out_dir / MANIFEST_NAME
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise InputError("manifest not found", file=str(path)) from exc
    except ValidationError as exc:
        raise InputError(
            f"manifest is not valid ({exc.error_count()} errors: {exc.errors()[0]['msg']})", file=str(path)
        ) from exc


def verify_manifest(out_dir: Path) -> list[str]:
    """Problems with a delivered folder (missing files, size or checksum mismatches); empty when it is intact."""
    try:
        manifest = read_manifest(out_dir)
    except InputError as exc:
        return [str(exc)]
    problems = []
    for entry in manifest.files:
        path = out_dir / entry.name
        if not path.is_file():
            problems.append(f"{entry.name}: missing")
            continue
        size = path.stat().st_size
        if size != entry.bytes:
            problems.append(f"{entry.name}: {size} bytes, manifest says {entry.bytes}")
        elif sha256_file(path) != entry.sha256:
            problems.append(f"{entry.name}: sha256 differs from the manifest")
    return problems
