"""Upscale, sharpen, and the detail matching that picks each shot's sharpening amount.

Each shot's detail (measure.sharpness at master size) is probed as a function of the
unsharp-mask amount on a few upscaled sample frames. The episode's target is the detail
of the sharpest shot at the template's base amount; every other shot gets the amount
that brings it to the target (bounded by max_sharpen), so no shot reads softer than its
neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import av
import cv2
import numpy as np

from microdrama.finishing.measure import gray
from microdrama.finishing.stages.base import ShotItem, StoreFactory, StoreStage
from microdrama.finishing.template import UpscaleSection
from microdrama.media.video import read_frames

SAMPLE_FRAMES = 3
CURVE_POINTS = 17


def upscale(rgb: np.ndarray, width: int, height: int, resampler: str) -> np.ndarray:
    # swscale into planar RGB is ~8x faster than packed RGB to packed RGB at 4K (measured here).
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    return frame.reformat(width, height, format="gbrp", interpolation=resampler.upper()).to_ndarray(format="rgb24")


def sharpen(rgb: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """Unsharp mask: rgb + amount * (rgb - blur(rgb)), saturating."""
    if amount <= 0:
        return rgb
    blurred = cv2.GaussianBlur(rgb, (0, 0), sigma)
    return np.asarray(cv2.addWeighted(rgb, 1.0 + amount, blurred, -amount, 0.0))


@dataclass(frozen=True)
class DetailCurve:
    """Detail at master size after sharpening by each amount (increasing in amount)."""

    amounts: tuple[float, ...]
    details: tuple[float, ...]

    def at(self, amount: float) -> float:
        return float(np.interp(amount, self.amounts, self.details))

    def amount_for(self, target: float) -> float:
        """The smallest amount reaching `target`, or the largest amount probed if none does."""
        return float(np.interp(target, np.maximum.accumulate(self.details), self.amounts))

    def to_json(self) -> dict[str, Any]:
        return {"amounts": list(self.amounts), "details": list(self.details)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DetailCurve:
        return cls(amounts=tuple(map(float, doc["amounts"])), details=tuple(map(float, doc["details"])))


def detail_curve(frames: list[np.ndarray], amounts: np.ndarray, sigma: float) -> DetailCurve:
    """measure.sharpness of sharpen(frame, a) for every a, from one blur per frame.

    Sharpening is linear in luma, so the gradients of the result are g + a*h with g the
    frame's and h its high-pass's; gradients are sampled on every other row and column.
    """
    totals = np.zeros(len(amounts))
    for rgb in frames:
        luma = gray(rgb)
        high = luma - cv2.GaussianBlur(luma, (0, 0), sigma)
        scale = luma.shape[0] / 1000.0
        for axis in (0, 1):
            g = np.diff(luma, axis=axis)[::2, ::2]
            h = np.diff(high, axis=axis)[::2, ::2]
            for k, amount in enumerate(amounts):
                totals[k] += float(np.abs(g + np.float32(amount) * h).mean()) * scale
    details = totals / len(frames)
    return DetailCurve(amounts=tuple(float(a) for a in amounts), details=tuple(float(d) for d in details))


def match_amounts(curves: Mapping[str, DetailCurve], base: float) -> tuple[float, dict[str, float]]:
    """The episode's detail target and the sharpening amount per shot that meets it (rounded, for stable keys)."""
    target = max(curve.at(base) for curve in curves.values())
    return target, {shot: round(curve.amount_for(target), 4) for shot, curve in curves.items()}


@dataclass(frozen=True)
class DetailItem(ShotItem):
    frames: int


class DetailStage(StoreStage):
    name = "detail"

    def __init__(self, store_factory: StoreFactory, settings: UpscaleSection) -> None:
        super().__init__(store_factory)
        self.settings = settings

    def run(self, item: DetailItem) -> DetailCurve:
        s = self.settings
        wanted = set(np.linspace(0, item.frames - 1, SAMPLE_FRAMES).round().astype(int).tolist())
        samples = []
        with self.store.local_path(item.src_key, PurePosixPath(item.src_key).suffix) as src:
            for index, frame in enumerate(read_frames(src)):
                if index in wanted:
                    samples.append(upscale(frame, s.width, s.height, s.resampler))
        return detail_curve(samples, np.linspace(0.0, s.max_sharpen, CURVE_POINTS), s.sharpen_sigma)
