"""Deflicker and resampling alone, at the master size, microdrama against libavfilter on the same frames."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from bench import ffmpeg_chain
from microdrama.finishing.stages.deflicker import deflicker, flicker_curve
from microdrama.finishing.stages.detail import Resampler, upscale
from microdrama.finishing.template import DeflickerSection
from microdrama.finishing.yuv import BLACK, plane, to_yuv420

REPEATS = 5
STATS_STEP = 8
TIME_BASE = Fraction(1, 24)


@dataclass(frozen=True)
class Speed:
    name: str
    microdrama_fps: float
    ffmpeg_fps: float
    size: tuple[int, int]  # the master size it ran at


Work = Callable[[], Iterable[object]]


def _race(name: str, frames: int, microdrama: Work, ffmpeg: Work, size: tuple[int, int]) -> Speed:
    """Frames per second of each arm: the best of REPEATS runs after one untimed run (cold caches), the arms
    taking turns, so a burst of load from elsewhere on a shared machine slows a run of each, not every run of one.

    Each output is dropped before the next is made, as the master pass hands each frame to the encoder:
    kept in a list, every frame is megabytes of memory faulted in afresh, which made the same resampling
    run anywhere from 350 to 830 fps here, depending on what had been freed before.
    """
    arms = (microdrama, ffmpeg)
    best = [float("inf")] * len(arms)
    for repeat in range(REPEATS + 1):
        for index, work in enumerate(arms):
            started = time.perf_counter()
            deque(work(), maxlen=0)
            if repeat:
                best[index] = min(best[index], time.perf_counter() - started)
    return Speed(name, frames / best[0], frames / best[1], size)


def _deflicker(frames: list[av.VideoFrame], settings: DeflickerSection) -> list[av.VideoFrame]:
    """The deflicker's work on yuv420p frames: per-frame plane means (on every STATS_STEP-th row and
    column, as cheap as the statistics the analysis pass gathers), the smoothed curve, three tables a frame."""
    means = np.array([[plane(f, k)[::STATS_STEP, ::STATS_STEP].mean() for k in range(3)] for f in frames])
    luma = (means[:, 0] - BLACK) * 255 / 219  # mean luma 0-255, the scale scene cuts are judged on
    curve = flicker_curve(means, settings, luma)
    return [deflicker(f, curve.tables(i)) for i, f in enumerate(frames)]  # in place: nothing new is kept


def measure(raw: list[np.ndarray], size: tuple[int, int], settings: DeflickerSection) -> list[Speed]:
    """`raw` frames at their own size; deflicker runs on them upscaled to `size`, resampling from them to `size`."""
    big = [upscale(f, *size, "lanczos") for f in raw]
    big_yuv = [ffmpeg_chain.to_yuv(f, i) for i, f in enumerate(big)]
    raw_yuv = [ffmpeg_chain.to_yuv(f, i) for i, f in enumerate(raw)]

    def ffmpeg(frames: list, filters: ffmpeg_chain.Filters) -> Work:
        return lambda: ffmpeg_chain.filtered(frames, filters, TIME_BASE)

    deflicker_speed = _race(
        f"deflicker at {size[0]}x{size[1]}",
        len(big),
        lambda: _deflicker(big_yuv, settings),
        ffmpeg(big_yuv, [("deflicker", f"size={settings.window}")]),
        size,
    )
    scale = f"{size[0]}:{size[1]}:flags=lanczos"
    resample = Resampler(*size, "lanczos")
    resample_speed = _race(
        f"Lanczos resampling {raw[0].shape[1]}x{raw[0].shape[0]} to {size[0]}x{size[1]}",
        len(raw),
        # What the master pass does: the shot's RGB to yuv420p at its size, swscale to yuv420p at the master size.
        lambda: (resample(to_yuv420(f)) for f in raw),
        ffmpeg(raw_yuv, [("scale", scale)]),
        size,
    )
    return [deflicker_speed, resample_speed]
