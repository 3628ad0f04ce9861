"""Deflicker: pull each frame's luma and chroma means onto a smoothed curve.

The curve is a Gaussian-weighted local linear fit over a window of frames: it follows a
fade (a straight line is fitted exactly) but not frame-to-frame flicker. A jump in mean
luma above the template's scene-cut threshold (a cut, lights switched on) starts a new
window, so a real change is never smeared across its neighbours.

The correction works in the master's YUV, one lookup table per plane and frame: a gain
about black on luma, the same gain about neutral on chroma (exactly what a change of light,
one gain on R, G and B, does to BT.709 YUV), then an offset per chroma plane for what is
left of the frame's colour flicker. The curve is decided from per-frame means the earlier
passes measured (analysis or the stage before); applying it costs three table lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import av
import cv2
import numpy as np

from microdrama.finishing.measure import ShotStats
from microdrama.finishing.smoothing import smooth
from microdrama.finishing.template import DeflickerSection
from microdrama.finishing.yuv import BLACK, NEUTRAL, plane, yuv_means

# Gains are bounded: a frame that needs more than this is a content change, not flicker.
MIN_GAIN, MAX_GAIN = 0.5, 2.0
MAX_OFFSET = 16.0  # chroma code values: a larger colour jump is a content change
_LEVELS = np.arange(256, dtype=np.float64)


def segments(luma: np.ndarray, threshold: float) -> list[slice]:
    """Runs of frames with no mean-luma jump above `threshold` between neighbours."""
    cuts = [0, *(np.flatnonzero(np.abs(np.diff(luma)) > threshold) + 1).tolist(), len(luma)]
    return [slice(a, b) for a, b in pairwise(cuts)]


@dataclass(frozen=True, eq=False)
class FlickerCurve:
    """Per frame: the luma gain (about black; chroma scaled alike about neutral) and the U and V offsets."""

    gain: np.ndarray  # (n,)
    offset: np.ndarray  # (n, 2)

    def tables(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frame `index`'s uint8 lookup tables for Y, U and V."""
        g = float(self.gain[index])
        y = BLACK + g * (_LEVELS - BLACK)
        u, v = (NEUTRAL + g * (_LEVELS - NEUTRAL) + float(d) for d in self.offset[index])
        return tuple(np.clip(np.rint(t), 0, 255).astype(np.uint8) for t in (y, u, v))  # type: ignore[return-value]


def flicker_curve(means: np.ndarray, settings: DeflickerSection, luma: np.ndarray) -> FlickerCurve:
    """The correction that moves (n, 3) per-frame YUV means onto their smoothed curves.

    `luma` (n,) is the mean luma (0-255) the scene cuts are found in.
    """
    target = np.empty_like(means)
    for seg in segments(luma, settings.scene_cut):
        for channel in range(3):
            target[seg, channel] = smooth(means[seg, channel], settings.window)
    above = means[:, 0] - BLACK
    # Near-black frames carry no usable ratio; leave them alone.
    gain = np.where(above > 1.0, (target[:, 0] - BLACK) / np.maximum(above, 1.0), 1.0)
    gain = np.clip(1.0 + settings.strength * (gain - 1.0), MIN_GAIN, MAX_GAIN)
    scaled = NEUTRAL + gain[:, None] * (means[:, 1:] - NEUTRAL)
    offset = np.clip(settings.strength * (target[:, 1:] - scaled), -MAX_OFFSET, MAX_OFFSET)
    return FlickerCurve(gain=np.asarray(gain), offset=np.asarray(offset))


def shot_curve(stats: ShotStats, settings: DeflickerSection) -> FlickerCurve:
    """The curve of a shot from its measured statistics."""
    return flicker_curve(yuv_means(stats.rgb_mean), settings, stats.luma)


def deflicker(frame: av.VideoFrame, tables: tuple[np.ndarray, np.ndarray, np.ndarray]) -> av.VideoFrame:
    """Apply one frame's tables to a planar YUV frame in place; returns the frame."""
    for index, table in enumerate(tables):
        values = plane(frame, index)
        cv2.LUT(values, table, dst=values)
    return frame
