"""Per-frame picture statistics shared by every finishing stage and the report.

Sharpness is the mean absolute luma difference between neighbouring pixels, scaled by
frame height / 1000: a Lanczos upscale by k divides pixel gradients by about k, so the
scaling keeps one number comparable between a native take and its 4K master.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

# Sharpness is measured on every SHARPNESS_EVERY-th frame: detail changes slowly within a shot.
SHARPNESS_EVERY = 8
# Colour statistics are taken on a grid no finer than this many rows: means are stable well below 4K.
STATS_ROWS = 960


def gray(rgb: np.ndarray) -> np.ndarray:
    """Luma as float32 0-255 (Rec.601 weights, OpenCV's gray)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (L 0-100) of uint8 sRGB pixels, float32."""
    return cv2.cvtColor(rgb.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)


def from_lab(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def edge_strength(luma: np.ndarray) -> float:
    """Resolution-normalised sharpness of one luma plane (see module doc)."""
    dx = np.abs(np.diff(luma, axis=1)).mean()
    dy = np.abs(np.diff(luma, axis=0)).mean()
    return float(dx + dy) * luma.shape[0] / 1000.0


def sharpness(rgb: np.ndarray) -> float:
    return edge_strength(gray(rgb))


def flicker(luma: np.ndarray) -> float:
    """Mean distance of each frame's luma from the line through its neighbours: 0 for steady shots and fades."""
    if len(luma) < 3:
        return 0.0
    return float(np.abs(luma[1:-1] - (luma[:-2] + luma[2:]) / 2).mean())


@dataclass(frozen=True, eq=False)
class ShotStats:
    """Per-frame means of one shot (arrays are (frames, 3)) and its sharpness."""

    width: int
    height: int
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
            rgb_mean=np.asarray(doc["rgb_mean"], dtype=np.float64).reshape(-1, 3),
            lab_mean=np.asarray(doc["lab_mean"], dtype=np.float64).reshape(-1, 3),
            lab_sq_mean=np.asarray(doc["lab_sq_mean"], dtype=np.float64).reshape(-1, 3),
            sharpness=float(doc["sharpness"]),
        )


class StatsAccumulator:
    """Collects ShotStats frame by frame, so no stage holds a whole shot in memory to measure it."""

    def __init__(self) -> None:
        self._rgb: list[np.ndarray] = []
        self._lab: list[np.ndarray] = []
        self._lab_sq: list[np.ndarray] = []
        self._sharp: list[float] = []
        self._size = (0, 0)

    def add(self, rgb: np.ndarray) -> None:
        height, width = rgb.shape[:2]
        self._size = (width, height)
        stride = max(1, height // STATS_ROWS)
        grid = rgb[::stride, ::stride]
        lab = to_lab(grid).reshape(-1, 3)
        self._rgb.append(grid.reshape(-1, 3).mean(axis=0, dtype=np.float64))
        self._lab.append(lab.mean(axis=0, dtype=np.float64))
        self._lab_sq.append(np.square(lab).mean(axis=0, dtype=np.float64))
        if (len(self._rgb) - 1) % SHARPNESS_EVERY == 0:
            self._sharp.append(sharpness(rgb))

    def result(self) -> ShotStats:
        if not self._rgb:
            raise ValueError("no frames measured")
        return ShotStats(
            width=self._size[0],
            height=self._size[1],
            rgb_mean=np.stack(self._rgb),
            lab_mean=np.stack(self._lab),
            lab_sq_mean=np.stack(self._lab_sq),
            sharpness=float(np.mean(self._sharp)),
        )
