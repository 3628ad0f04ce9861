"""The provider interface every take source implements (embedded renderer, hosted APIs)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from microdrama.domain.bible import CharacterLook
from microdrama.domain.shots import Shot
from microdrama.media.video import EncodeSettings

# Takes are intermediates that finishing re-encodes: keep them close to lossless.
TAKE_ENCODE = EncodeSettings(crf=16)


@dataclass(frozen=True)
class ShotRequest:
    """Everything a provider needs to produce one take of one shot."""

    shot: Shot
    fps: int
    width: int
    height: int
    # Character id -> look, for the characters in the shot.
    characters: dict[str, CharacterLook] = field(hash=False)
    seed: int
    take: int
    # A frame the regeneration is conditioned on (keeps the identity from drifting).
    reference_frame: Path | None = None


class Provider(Protocol):
    name: str

    def generate(self, request: ShotRequest, dest: Path) -> None:
        """Write the take as an MP4 to dest."""
        ...


def seed_for(series_id: str, episode_id: str, shot_id: str, take: int) -> int:
    """A seed stable across processes and Python versions (unlike hash())."""
    key = "\x1f".join((series_id, episode_id, shot_id, str(take))).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 1
