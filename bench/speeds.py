"""Deflicker and resampling alone, at the master size, microdrama against libavfilter on the same frames."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np

from bench import ffmpeg_chain
from microdrama.finishing.measure import ShotStats
from microdrama.finishing.stages.deflicker import apply_gain, flicker_gains
from microdrama.finishing.stages.detail import upscale, upscale_yuv
from microdrama.finishing.template import DeflickerSection

REPEATS = 3
TIME_BASE = Fraction(1, 24)


@dataclass(frozen=True)
class Speed:
    name: str
    microdrama_fps: float
    ffmpeg_fps: float


def _fps(frames: int, work: Callable[[], object]) -> float:
    """Frames per second of the best of REPEATS runs (the others pay for cold caches)."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return frames / best


def _deflicker(frames: list[np.ndarray], settings: DeflickerSection) -> list[np.ndarray]:
    """The deflicker stage's work: per-frame means, the smoothed gains, one LUT per frame."""
    means = np.array([cv2.mean(f)[:3] for f in frames])
    zeros = np.zeros_like(means)
    # flicker_gains reads only the RGB means; the Lab statistics belong to the grade stage.
    height, width = frames[0].shape[:2]
    stats = ShotStats(
        width=width, height=height, fps=TIME_BASE**-1, rgb_mean=means, lab_mean=zeros, lab_sq_mean=zeros, sharpness=0.0
    )
    return [apply_gain(f, g) for f, g in zip(frames, flicker_gains(stats, settings), strict=True)]


def measure(raw: list[np.ndarray], size: tuple[int, int], settings: DeflickerSection) -> list[Speed]:
    """`raw` frames at their own size; deflicker runs on them upscaled to `size`, resampling from them to `size`."""
    big = [upscale(f, *size, "lanczos") for f in raw]
    big_yuv = [ffmpeg_chain.to_yuv(f, i) for i, f in enumerate(big)]
    raw_yuv = [ffmpeg_chain.to_yuv(f, i) for i, f in enumerate(raw)]

    def ffmpeg(frames: list, filters: ffmpeg_chain.Filters) -> Callable[[], object]:
        return lambda: list(ffmpeg_chain.filtered(frames, filters, TIME_BASE))

    deflicker = Speed(
        f"deflicker at {size[0]}x{size[1]}",
        _fps(len(big), lambda: _deflicker(big, settings)),
        _fps(len(big), ffmpeg(big_yuv, [("deflicker", f"size={settings.window}")])),
    )
    scale = f"{size[0]}:{size[1]}:flags=lanczos"
    resample = Speed(
        f"Lanczos resampling {raw[0].shape[1]}x{raw[0].shape[0]} to {size[0]}x{size[1]}",
        # What the master stage does: the shot's RGB to the encoder's yuv420p at the master size.
        _fps(len(raw), lambda: [upscale_yuv(f, *size, "lanczos") for f in raw]),
        _fps(len(raw), ffmpeg(raw_yuv, [("scale", scale)])),
    )
    return [deflicker, resample]
