"""Upscale an image or a video file with an Upscaler; video frames are encoded on a separate thread."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from microdrama.errors import InputError, MediaError
from microdrama.media.audio import read_audio_stream
from microdrama.media.mux import mux_audio
from microdrama.media.probe import MediaLimits, probe_video
from microdrama.media.video import EncodeSettings, VideoWriter, read_frames
from microdrama.models.background_writer import BackgroundWriter
from microdrama.models.upscaler import Upscaler

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})
FrameProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Detected:
    """What the input is, as told to the user before the work starts."""

    kind: str  # "image" or "video"
    width: int
    height: int
    frames: int
    fps: Fraction | None
    has_audio: bool

    def describe(self, scale: int) -> str:
        size = f"{self.width}x{self.height} -> {self.width * scale}x{self.height * scale}"
        if self.kind == "image":
            return f"image {size}"
        audio = ", audio carried over" if self.has_audio else ", no audio"
        return f"video {size}, {self.frames} frames at {self.fps} fps{audio}"


def detect_input(path: Path, limits: MediaLimits) -> Detected:
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = _read_image(path)
        return Detected("image", image.shape[1], image.shape[0], 1, None, False)
    info = probe_video(path, limits)
    width, height = info.display_size
    return Detected("video", width, height, info.frame_count, info.fps, info.has_audio)


def _read_image(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise MediaError("not a readable image", file=str(path))
    return np.ascontiguousarray(bgr[:, :, ::-1])


VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v"})


def check_output(detected: Detected, dst: Path) -> None:
    """Refuse an output whose suffix does not fit the input before any work is done."""
    wanted = IMAGE_SUFFIXES if detected.kind == "image" else VIDEO_SUFFIXES
    if dst.suffix.lower() not in wanted:
        raise InputError(f"{detected.kind} output must be one of {', '.join(sorted(wanted))}", file=str(dst))


def upscale_image(upscaler: Upscaler, src: Path, dst: Path) -> None:
    out = upscaler(_read_image(src)[None])[0]
    if not cv2.imwrite(str(dst), np.ascontiguousarray(out[:, :, ::-1])):
        raise InputError("the image could not be written", file=str(dst))


def _batches(frames: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    batch: list[np.ndarray] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def upscale_video(
    upscaler: Upscaler,
    src: Path,
    dst: Path,
    detected: Detected,
    encode: EncodeSettings,
    limits: MediaLimits,
    progress: FrameProgress | None = None,
) -> int:
    """Decode, upscale in batches, encode on the encoder thread; the source's audio is muxed back. Returns frames."""
    scale, fps = upscaler.scale, detected.fps or Fraction(30)
    size = (detected.width * scale, detected.height * scale)
    done = 0
    with tempfile.TemporaryDirectory(prefix="md-upscale-") as tmp:
        video = Path(tmp) / "video.mp4" if detected.has_audio else dst
        with BackgroundWriter(VideoWriter(video, *size, fps, encode)) as writer:
            for batch in _batches(read_frames(src, limits), upscaler.options.batch):
                for frame in upscaler(batch):
                    writer.write(frame)
                done += len(batch)
                if progress:
                    progress(done, detected.frames)
        if detected.has_audio:
            mux_audio(video, read_audio_stream(src), dst)
    return done
