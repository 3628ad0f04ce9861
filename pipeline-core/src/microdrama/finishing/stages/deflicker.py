"""Deflicker: pull each frame's luma and chroma means onto a smoothed curve.

The curve is a Gaussian-weighted local linear fit over a window of frames: it follows a
fade (a straight line is fitted exactly) but not frame-to-frame flicker. A real change
starts a new window, so it is never smeared across its neighbours: a jump in mean luma above
the template's scene-cut threshold that lasts (the mean of the frames after it that far from
the mean of as many before, and twice as far as either side's standard deviation: a cut,
lights switched on), or a jump over FLASH times the threshold (a flash, gone again in a few
frames). Flicker on a bright picture jumps as far as the threshold too (6% of a sky is 13
code values, and it swings both ways) but swings back: read as cuts, those jumps had left
bright shots flickering (a meadow under a sky: 4.6 code values of jitter left, now 0.5).

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
FLASH = 3.0  # a jump of this many times the scene-cut threshold is no flicker, even where it swings back
MIN_SIDE = 4  # frames each side of a jump needed to tell a lasting change from flicker (a cycle of fast flicker)
_LEVELS = np.arange(256, dtype=np.float64)


def _lasts(luma: np.ndarray, t: int, threshold: float, settle: int) -> bool:
    """Whether the level moves by over `threshold` at frame t and stays, judged on as many frames each side (up
    to `settle`, at least MIN_SIDE): the move is at least twice either side's own spread, which flicker's
    swings, both ways within each side, never are."""
    side = min(settle, t, len(luma) - t)
    if side < MIN_SIDE:
        return False
    before, after = luma[t - side : t], luma[t : t + side]
    return bool(abs(after.mean() - before.mean()) > max(threshold, 2 * after.std(), 2 * before.std()))


def segments(luma: np.ndarray, threshold: float, settle: int) -> list[slice]:
    """Runs of frames between real changes of mean luma (module doc): a jump over `threshold` between
    neighbours that lasts over the `settle` frames either side, or over FLASH times it."""
    cuts = [0]
    for t in (np.flatnonzero(np.abs(np.diff(luma)) > threshold) + 1).tolist():
        if _lasts(luma, t, threshold, settle) or abs(luma[t] - luma[t - 1]) > FLASH * threshold:
            cuts.append(t)
    cuts.append(len(luma))
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
    for seg in segments(luma, settings.scene_cut, settings.window // 2):
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
