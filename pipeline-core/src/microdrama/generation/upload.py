"""Uploaded takes: probed and bounded before anything decodes them."""

from __future__ import annotations

from pathlib import Path

from microdrama.errors import MediaError
from microdrama.media.probe import MediaLimits, VideoInfo, probe_video


def validate_take(path: Path, limits: MediaLimits) -> VideoInfo:
    """Header facts of an uploaded take; MediaError naming the file when it is unusable or out of bounds."""
    info = probe_video(path, limits)
    if info.frame_count < 1:
        raise MediaError("video stream holds no frames", file=str(path))
    return info
