"""Upscale, sharpen, and the detail matching that picks each shot's sharpening amount.

The master is made in the encoder's own format: the shot is converted to BT.709 4:2:0 at
its own size (finishing.yuv, cheap), swscale resamples the planes to the master size (about
10x faster than resampling RGB, then converting the big picture) and only luma is sharpened,
as ffmpeg's `unsharp` does by default: detail reads in luma, and chroma is not sharpened.

Each shot's detail (measure.sharpness at master size) is probed as a function of the
unsharp-mask amount on a few upscaled sample frames. The episode's target is the detail
of the sharpest shot at the template's base amount; every other shot gets the amount
that brings it to the target (bounded by max_sharpen), so no shot reads softer than its
neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from microdrama.finishing.measure import edge_strength
from microdrama.finishing.stages.base import ShotItem, StoreFactory, StoreStage
from microdrama.finishing.template import UpscaleSection
from microdrama.finishing.yuv import plane, to_yuv420

SAMPLE_FRAMES = 8
CURVE_POINTS = 9
BLUR_SCALE = 16


def upscale(rgb: np.ndarray, width: int, height: int, resampler: str) -> np.ndarray:
    # Two swscale passes (scale into planar RGB, then pack) beat one packed-to-packed pass:
    # 270x480 up to 1080x1920 ran 46 vs 25 fps, to 2160x3840 60 vs 22 fps here (2 cores).
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    return frame.reformat(width, height, format="gbrp", interpolation=resampler.upper()).to_ndarray(format="rgb24")


class Resampler:
    """yuv420p frames to width x height by swscale, one scaler kept for the whole shot: a fresh one per
    frame rebuilds its filter tables, which cost several times the scaling itself (seen here)."""

    def __init__(self, width: int, height: int, method: str) -> None:
        self.width, self.height, self.method = width, height, method.upper()
        self._scaler = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        return self._scaler.reformat(frame, self.width, self.height, format="yuv420p", interpolation=self.method)


def sharpen_luma(frame: av.VideoFrame, amount: float, sigma: float) -> av.VideoFrame:
    """Unsharp-mask the frame's luma in place; returns the frame."""
    if amount > 0:
        y = plane(frame, 0)
        y[:] = unsharp(y, fine_blur(y, sigma), amount)
    return frame


def fine_blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of uint8 RGB kept in 1/16 code values (uint16).

    A uint8 blur rounds the high-pass of an upscaled picture to whole code values, which
    makes small sharpening amounts do nothing and larger ones jump; 4 extra bits keep it smooth.
    """
    kernel = cv2.getGaussianKernel(2 * math.ceil(3 * sigma) + 1, sigma)
    return np.asarray(cv2.sepFilter2D(rgb, cv2.CV_16U, kernel * BLUR_SCALE, kernel))


def unsharp(rgb: np.ndarray, blurred: np.ndarray, amount: float) -> np.ndarray:
    """rgb + amount * (rgb - blurred / BLUR_SCALE), rounded and saturated to uint8."""
    return np.asarray(cv2.addWeighted(rgb, 1.0 + amount, blurred, -amount / BLUR_SCALE, 0.0, dtype=cv2.CV_8U))


def sharpen(rgb: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    if amount <= 0:
        return rgb
    return unsharp(rgb, fine_blur(rgb, sigma), amount)


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


def detail_curve(planes: list[np.ndarray], amounts: np.ndarray, sigma: float) -> DetailCurve:
    """measure.edge_strength of each luma plane sharpened by each amount, averaged over the planes.

    Measured on the real uint8 result: at 4K a Lanczos-upscaled picture's gradients are
    around one code value, so rounding shapes the curve as much as the sharpening does.
    """
    totals = np.zeros(len(amounts))
    for y in planes:
        blurred = fine_blur(y, sigma)
        totals += [edge_strength(unsharp(y, blurred, float(a))) for a in amounts]
    details = totals / len(planes)
    return DetailCurve(amounts=tuple(float(a) for a in amounts), details=tuple(float(d) for d in details))


def match_amounts(curves: Mapping[str, DetailCurve], base: float) -> tuple[float, dict[str, float]]:
    """The episode's detail target and the sharpening amount per shot that meets it (rounded, for stable keys)."""
    target = max(curve.at(base) for curve in curves.values())
    return target, {shot: round(curve.amount_for(target), 4) for shot, curve in curves.items()}


@dataclass(frozen=True)
class DetailItem(ShotItem):
    frames: int


class DetailStage(StoreStage):
    """Probes a shot's detail at master size against the sharpening amount, on sampled frames."""

    name = "detail"

    def __init__(self, store_factory: StoreFactory, settings: UpscaleSection) -> None:
        super().__init__(store_factory)
        self.settings = settings

    def run(self, item: DetailItem) -> DetailCurve:
        s = self.settings
        frames = [frame for _, frame in self.sample(item.src_key, item.frames, SAMPLE_FRAMES)]
        resample = Resampler(s.width, s.height, s.resampler)
        samples = [plane(resample(to_yuv420(f)), 0) for f in frames]
        return detail_curve(samples, np.linspace(0.0, s.max_sharpen, CURVE_POINTS), s.sharpen_sigma)
