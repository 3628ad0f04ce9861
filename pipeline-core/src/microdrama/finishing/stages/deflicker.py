"""Deflicker: pull each frame's channel means onto a smoothed curve, one gain per frame and channel.

The curve is a Gaussian-weighted local linear fit over a window of frames: it follows a
fade (a straight line is fitted exactly) but not frame-to-frame flicker. A jump in mean
luma above the template's scene-cut threshold (a cut, lights switched on) starts a new
window, so a real change is never smeared across its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import ShotStats
from microdrama.finishing.smoothing import smooth
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.template import DeflickerSection

# Gains are bounded: a frame that needs more than this is a content change, not flicker.
MIN_GAIN, MAX_GAIN = 0.5, 2.0


def segments(luma: np.ndarray, threshold: float) -> list[slice]:
    """Runs of frames with no mean-luma jump above `threshold` between neighbours."""
    cuts = [0, *(np.flatnonzero(np.abs(np.diff(luma)) > threshold) + 1).tolist(), len(luma)]
    return [slice(a, b) for a, b in pairwise(cuts)]


def flicker_gains(stats: ShotStats, settings: DeflickerSection) -> np.ndarray:
    """(frames, 3) multiplicative RGB gains that move each frame onto the smoothed curve."""
    means = stats.rgb_mean
    target = np.empty_like(means)
    for seg in segments(stats.luma, settings.scene_cut):
        for channel in range(3):
            target[seg, channel] = smooth(means[seg, channel], settings.window)
    # Near-black channels carry no usable ratio; leave them alone.
    gains = np.where(means > 1.0, target / np.maximum(means, 1.0), 1.0)
    gains = 1.0 + settings.strength * (gains - 1.0)
    return np.asarray(np.clip(gains, MIN_GAIN, MAX_GAIN))


def apply_gain(rgb: np.ndarray, gain: np.ndarray) -> np.ndarray:
    levels = np.arange(256, dtype=np.float64)[:, None] * gain[None, :]
    lut = np.clip(np.rint(levels), 0, 255).astype(np.uint8).reshape(256, 1, 3)
    return np.asarray(cv2.LUT(rgb, lut))


@dataclass(frozen=True)
class DeflickerItem(ShotItem):
    dst_key: str
    stats: ShotStats


class DeflickerStage(StoreStage):
    name = "deflicker"

    def __init__(self, store_factory: StoreFactory, settings: DeflickerSection) -> None:
        super().__init__(store_factory)
        self.settings = settings

    def run(self, item: DeflickerItem) -> Rendered:
        gains = iter(flicker_gains(item.stats, self.settings))
        return self.render(item.src_key, item.dst_key, lambda frame: apply_gain(frame, next(gains)), LosslessWriter)
