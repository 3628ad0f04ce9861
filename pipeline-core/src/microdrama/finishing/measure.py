"""Per-frame picture statistics shared by every finishing stage and the report.

Sharpness is the mean absolute luma difference between neighbouring pixels, scaled by
frame height / 1000: a Lanczos upscale by k divides pixel gradients by about k, so the
scaling keeps one number comparable between a native take and its 4K master.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cv2
import numpy as np

# Sharpness is measured on every SHARPNESS_EVERY-th frame: detail changes slowly within a shot.
SHARPNESS_EVERY = 8
# Colour statistics are taken on a grid no finer than this many rows: means are stable well below 4K. Against a
# 480-row grid, on the benchmark's 13 raw takes (480 rows), a shot's mean L*a*b* moved by at most 0.16 and its
# flicker measure by under 0.01, for a quarter of the Lab conversions (each stage that writes a picture measures it).
STATS_ROWS = 240
SAMPLE_STRIDE, MIN_SAMPLES = 7, 100_000
# edge_width: the re-blur sigma at 1920 rows (scaled with the picture, at least MIN_REBLUR), the least
# gradient (L1 Sobel; a step of ~8 code values) and the number of edge peaks that make a measurement.
REBLUR_PER_1920, MIN_REBLUR = 2.0, 1.0
MIN_EDGE, MIN_EDGE_PIXELS = 32, 200  # an int: int16 gradients compared with a float are copied to float64


def gray(rgb: np.ndarray) -> np.ndarray:
    """Luma, uint8 (Rec.601 weights, OpenCV's gray)."""
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def shrunk(picture: np.ndarray, side: int) -> np.ndarray:
    """The picture scaled down (area average) so its longer side is at most `side`."""
    height, width = picture.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale == 1.0:
        return picture
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(picture, size, interpolation=cv2.INTER_AREA))


def small_luma(rgb: np.ndarray, side: int) -> np.ndarray:
    """Luma scaled down (area average) so its longer side is at most `side`: for motion estimates."""
    return shrunk(gray(rgb), side)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (L 0-100) of uint8 sRGB pixels, float32."""
    return cv2.cvtColor(np.multiply(rgb, np.float32(1 / 255), dtype=np.float32), cv2.COLOR_RGB2Lab)


def from_lab(lab: np.ndarray) -> np.ndarray:
    """uint8 sRGB, rounded and saturated (negatives are zeroed first: convertScaleAbs takes the absolute value)."""
    rgb = np.maximum(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0.0)
    return np.asarray(cv2.convertScaleAbs(rgb, alpha=255.0))


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of L*a*b* values (last axis), element-wise (Sharma, Wu and Dalal 2005)."""
    l1, a1, b1 = np.moveaxis(np.asarray(lab1, np.float64), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab2, np.float64), -1, 0)
    c_bar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_bar7 / (c_bar7 + 25.0**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    chromatic = c1 * c2 != 0  # a hue difference means nothing where either colour is grey
    dh = h2 - h1
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh)) * chromatic
    d_l, d_c = l2 - l1, c2 - c1
    d_h = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    l_bar, c_bar = (l1 + l2) / 2, (c1 + c2) / 2
    h_sum = h1 + h2
    h_bar = np.where(np.abs(h1 - h2) <= 180, h_sum / 2, np.where(h_sum < 360, h_sum + 360, h_sum - 360) / 2)
    h_bar = np.where(chromatic, h_bar, h_sum)
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    c_bar7 = c_bar**7
    r_t = -2 * np.sqrt(c_bar7 / (c_bar7 + 25.0**7)) * np.sin(np.radians(60 * np.exp(-(((h_bar - 275) / 25) ** 2))))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar, 1 + 0.015 * c_bar * t
    return np.asarray(np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h)))


def edge_strength(luma: np.ndarray) -> float:
    """Resolution-normalised sharpness of one luma plane (see module doc).

    Large planes are sampled across the gradient on a prime stride (every row pair for
    vertical differences, one column in SAMPLE_STRIDE): an upscale by k makes every k-th
    row and column special, and a prime stride visits them all.
    """
    step = SAMPLE_STRIDE if luma.size >= MIN_SAMPLES * SAMPLE_STRIDE**2 else 1
    rows, columns = luma[::step], luma[:, ::step]
    # |differences| of uint8 are exact in uint8, and OpenCV's mean sums them in float64: no float32 copy of the plane.
    dx = cv2.mean(cv2.absdiff(rows[:, 1:], rows[:, :-1]))[0]
    dy = cv2.mean(cv2.absdiff(columns[1:], columns[:-1]))[0]
    return float(dx + dy) * luma.shape[0] / 1000.0


def _gradient(luma: np.ndarray) -> np.ndarray:
    """|d/dx| + |d/dy| (3x3 Sobel): the L1 magnitude; its ratios below match the L2's for any edge direction.

    In int16, exact for uint8 luma (at most 2 * 1020), and half the memory traffic of float32; summed in place,
    since a fresh array per step cost more than the Sobel filters."""
    gx, gy = (cv2.Sobel(luma, cv2.CV_16S, dx, 1 - dx, ksize=3) for dx in (1, 0))
    np.abs(gx, out=gx)
    gx += np.abs(gy, out=gy)
    return np.asarray(gx)


def edge_width(luma: np.ndarray) -> float | None:
    """How blurred the picture's edges are: the Gaussian sigma (pixels) of its strongest edges, or None
    when it has too few edges to tell.

    Blurring an edge of width s by a Gaussian of width r lowers its gradient peak by
    sqrt(s^2 + r^2) / s, so the ratio of the gradients before and after a known blur gives s
    (the re-blur method of Zhuo and Sim, 2011). The median is taken over the strongest edge pixels:
    it depends on how soft the shot is, not on how much detail its content has (a sky reads as
    sharp as a meadow when both are in focus), which edge_strength cannot tell apart.
    """
    height = luma.shape[0]
    reblur = max(MIN_REBLUR, REBLUR_PER_1920 * height / 1920)
    before = _gradient(luma)
    after = _gradient(cv2.GaussianBlur(luma, (0, 0), reblur))
    # The formula holds at an edge's gradient peak, not on its flanks: local maxima only, the stronger half.
    peaks = (before >= cv2.dilate(before, np.ones((3, 3), np.uint8))) & (before >= MIN_EDGE)
    strengths = before[peaks]
    if len(strengths) < MIN_EDGE_PIXELS:
        return None
    strong = strengths >= np.median(strengths)
    ratio = strengths[strong] / np.maximum(after[peaks][strong], 1.0)
    ratio = ratio[ratio > 1.0 + 1e-3]  # edges the re-blur does not lower are wider than it can measure
    if len(ratio) < MIN_EDGE_PIXELS // 2:
        return None
    return float(np.median(reblur / np.sqrt(ratio**2 - 1.0)))


def sharpness(rgb: np.ndarray) -> float:
    return edge_strength(gray(rgb))


def flicker(luma: np.ndarray) -> float:
    """Mean distance of each frame's luma from the line through its neighbours: 0 for steady shots and fades."""
    if len(luma) < 3:
        return 0.0
    return float(np.abs(luma[1:-1] - (luma[:-2] + luma[2:]) / 2).mean())


@dataclass(frozen=True, eq=False)
class ShotStats:
    """Per-frame means of one shot (arrays are (frames, 3)), its sharpness and frame rate."""

    width: int
    height: int
    fps: Fraction
    rgb_mean: np.ndarray
    lab_mean: np.ndarray
    lab_sq_mean: np.ndarray
    sharpness: float

    @property
    def frames(self) -> int:
        return len(self.rgb_mean)

    @property
    def luma(self) -> np.ndarray:
        return np.asarray(self.rgb_mean @ np.array([0.299, 0.587, 0.114]))

    @property
    def lab(self) -> np.ndarray:
        return np.asarray(self.lab_mean.mean(axis=0))

    @property
    def lab_std(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.lab_sq_mean.mean(axis=0) - self.lab**2, 0.0))

    def summary(self) -> dict[str, Any]:
        """What the report shows: rounded so it reads well and compares stably."""
        return {
            "size": [self.width, self.height],
            "fps": str(self.fps),
            "frames": self.frames,
            "flicker": round(flicker(self.luma), 4),
            "lab_mean": [round(float(v), 3) for v in self.lab],
            "lab_std": [round(float(v), 3) for v in self.lab_std],
            "sharpness": round(self.sharpness, 4),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "fps": str(self.fps),
            "rgb_mean": self.rgb_mean.tolist(),
            "lab_mean": self.lab_mean.tolist(),
            "lab_sq_mean": self.lab_sq_mean.tolist(),
            "sharpness": self.sharpness,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ShotStats:
        return cls(
            width=int(doc["width"]),
            height=int(doc["height"]),
            fps=Fraction(doc["fps"]),
            rgb_mean=np.asarray(doc["rgb_mean"], dtype=np.float64).reshape(-1, 3),
            lab_mean=np.asarray(doc["lab_mean"], dtype=np.float64).reshape(-1, 3),
            lab_sq_mean=np.asarray(doc["lab_sq_mean"], dtype=np.float64).reshape(-1, 3),
            sharpness=float(doc["sharpness"]),
        )


class StatsAccumulator:
    """Collects ShotStats frame by frame, so no stage holds a whole shot in memory to measure it."""

    def __init__(self, fps: Fraction, size: tuple[int, int] | None = None) -> None:
        """`size` (w, h): of the pictures recorded, when the frames measured are a smaller copy of them."""
        self._fps = fps
        self._rgb: list[np.ndarray] = []
        self._lab: list[np.ndarray] = []
        self._lab_sq: list[np.ndarray] = []
        self._sharp: list[float] = []
        self._size = size or (0, 0)
        self._fixed_size = size is not None

    def add(self, rgb: np.ndarray, full: Callable[[], np.ndarray] | None = None) -> None:
        """Measure one frame; `full` gives the picture at its recorded size, for sharpness (asked only when due)."""
        height, width = rgb.shape[:2]
        if not self._fixed_size:
            self._size = (width, height)
        stride = max(1, height // STATS_ROWS)
        grid = np.ascontiguousarray(rgb[::stride, ::stride])
        lab_mean, lab_std = (v.ravel() for v in cv2.meanStdDev(to_lab(grid)))
        self._rgb.append(np.array(cv2.mean(grid)[:3]))
        self._lab.append(lab_mean)
        self._lab_sq.append(lab_std**2 + lab_mean**2)
        if (len(self._rgb) - 1) % SHARPNESS_EVERY == 0:
            self._sharp.append(sharpness(full() if full is not None else rgb))

    def result(self) -> ShotStats:
        if not self._rgb:
            raise ValueError("no frames measured")
        return ShotStats(
            width=self._size[0],
            height=self._size[1],
            fps=self._fps,
            rgb_mean=np.stack(self._rgb),
            lab_mean=np.stack(self._lab),
            lab_sq_mean=np.stack(self._lab_sq),
            sharpness=float(np.mean(self._sharp)),
        )
