"""Delivery profiles: what each destination receives (size, rate, codecs, loudness, limits)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from microdrama.errors import InputError

COPY = "copy"


@dataclass(frozen=True)
class DeliveryProfile:
    name: str
    width: int
    height: int
    # None keeps the master's frame rate.
    fps: int | None
    # An encoder name, or COPY to pass the master's video packets through untouched.
    video_codec: str
    crf: int = 20
    preset: str = "veryfast"
    h264_profile: str = "high"
    audio_codec: str = "aac"
    audio_bitrate: int = 192_000
    loudness_lufs: float = -14.0
    true_peak_dbtp: float = -1.0
    max_bytes: int | None = None

    @property
    def copies_video(self) -> bool:
        return self.video_codec == COPY

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_PROFILES: tuple[DeliveryProfile, ...] = (
    # Vertical-drama apps and short-video platforms (ReelShort, DramaBox, TikTok style): 1080p30 H.264 + AAC.
    DeliveryProfile("app-1080p-h264", 1080, 1920, 30, "libx264", crf=20, preset="veryfast", audio_bitrate=192_000),
    # The finished 4K master itself, for archives and partners who transcode on their side.
    DeliveryProfile("master-2160p-h264", 2160, 3840, None, COPY, audio_bitrate=320_000),
    # Small and quick, for reviews and tests.
    DeliveryProfile("review-540p-h264", 540, 960, 24, "libx264", crf=26, preset="veryfast", audio_bitrate=128_000),
)


def profile_names() -> tuple[str, ...]:
    return tuple(p.name for p in _PROFILES)


def get_profile(name: str) -> DeliveryProfile:
    for profile in _PROFILES:
        if profile.name == name:
            return profile
    raise InputError(f"unknown delivery profile {name!r}; known profiles: {', '.join(profile_names())}")
