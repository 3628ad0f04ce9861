"""Probe untrusted media and bound it before anything decodes it in full."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from microdrama.errors import MediaError


@dataclass(frozen=True)
class MediaLimits:
    max_bytes: int = 4 * 1024**3
    max_duration_s: float = 20 * 60.0
    max_width: int = 8192
    max_height: int = 8192
    max_frames: int = 20 * 60 * 120


DEFAULT_LIMITS = MediaLimits()


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: Fraction
    frame_count: int
    duration_s: float
    codec: str
    pix_fmt: str
    rotation: int
    has_audio: bool

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after the rotation metadata is applied."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class _Header:
    """What a video's headers say, checked against the limits."""

    width: int
    height: int
    fps: Fraction
    frame_count: int
    duration_s: float


def _checked(path: Path | str, limits: MediaLimits) -> tuple[av.container.InputContainer, _Header]:
    """The opened container (the caller closes it) and its first video stream's header, within `limits`; nothing
    decoded. Raises MediaError naming the file and the limit."""
    p = Path(path)
    name = str(p)
    if not p.is_file():
        raise MediaError("file not found", file=name)
    size = p.stat().st_size
    if size == 0:
        raise MediaError("file is empty (0 bytes)", file=name)
    if size > limits.max_bytes:
        raise MediaError(f"file is {size} bytes, over the limit of {limits.max_bytes}", file=name)
    try:
        container = av.open(name, metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise MediaError(f"not a readable media file ({exc})", file=name) from exc
    try:
        return container, _header(container, name, limits)
    except MediaError:
        container.close()
        raise


def _header(container: av.container.InputContainer, name: str, limits: MediaLimits) -> _Header:
    if not container.streams.video:
        raise MediaError("no video stream", file=name)
    stream = container.streams.video[0]
    cc = stream.codec_context
    width, height = int(cc.width), int(cc.height)
    if width <= 0 or height <= 0:
        raise MediaError(f"invalid dimensions {width}x{height}", file=name)
    if width > limits.max_width or height > limits.max_height:
        raise MediaError(
            f"resolution {width}x{height} over the limit of {limits.max_width}x{limits.max_height}", file=name
        )
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        raise MediaError("no frame rate in the header", file=name)
    fps = Fraction(rate)
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    if duration > limits.max_duration_s:
        raise MediaError(f"duration {duration:.1f}s over the limit of {limits.max_duration_s:.0f}s", file=name)
    frames = int(stream.frames) or round(duration * fps)
    if frames > limits.max_frames:
        raise MediaError(f"{frames} frames, over the limit of {limits.max_frames}", file=name)
    return _Header(width, height, fps, frames, duration if duration > 0 else frames / float(fps))


def open_video(path: Path | str, limits: MediaLimits = DEFAULT_LIMITS) -> av.container.InputContainer:
    """The video opened for decoding (its first video stream), once its headers are within `limits`: a reader
    bounds a file with the one open it decodes from. Raises MediaError naming the file and the limit."""
    return _checked(path, limits)[0]


def probe_video(path: Path | str, limits: MediaLimits = DEFAULT_LIMITS) -> VideoInfo:
    """Read only headers (and the first frame for rotation); raise MediaError naming the file and limit."""
    name = str(Path(path))
    container, header = _checked(path, limits)
    with container:
        stream = container.streams.video[0]
        rotation = 0
        try:
            for frame in container.decode(stream):
                rotation = int(frame.rotation or 0)
                break
            else:
                raise MediaError("video stream holds no decodable frame", file=name)
        except av.FFmpegError as exc:
            raise MediaError(f"video stream cannot be decoded ({exc})", file=name) from exc
        cc = stream.codec_context
        return VideoInfo(
            path=name,
            width=header.width,
            height=header.height,
            fps=header.fps,
            frame_count=header.frame_count,
            duration_s=header.duration_s,
            codec=cc.name,
            pix_fmt=str(cc.format.name if cc.format else ""),
            rotation=rotation,
            has_audio=bool(container.streams.audio),
        )
