"""Sharpen, upscale, and the detail matching that picks each shot's sharpening amount.

A shot is sharpened at its own size, before the upscale, as every other content fix is: the
softness of a generated take is a blur of its own pixels, one or two of them wide, which an
unsharp mask of that radius narrows. After an 8x upscale to a 4K master the same blur spans 8-16
master pixels, beyond the reach of a mask a few master pixels wide: sharpening there had only
crisped the resampler's own transitions, the soft shots' edges could not be matched, and the
benchmark's sharpness spread at 4K stayed at -47% against raw (-65% sharpened first; at 540x960
-37% and -58%). It also works on the take's pixels, not the master's: 16x fewer for a 540x960
take at 4K, where sharpening the master's luma had cost 6 ms a frame.

The master is made in the encoder's own format: the shot is converted to BT.709 4:2:0 at
its own size (finishing.yuv, cheap), only luma is sharpened, as ffmpeg's `unsharp` does by
default (detail reads in luma, and chroma is not sharpened), and swscale resamples the planes
to the master size (about 10x faster than resampling RGB, then converting the big picture).

Each shot is probed on a few sample frames at its own size, as a function of the unsharp-mask
amount, by two measures: its crispness (the inverse of measure.edge_width as a share of the
picture height, taken on the sharpened picture Lanczos-upscaled 2x: how wide its strongest
edges are, whatever its content and its size) and its detail (measure.edge_strength, itself
normalised to the height). Each
target is the reference shot's value at the template's base amount (the shot whose look the
episode is matched to), or the shots' median where that is higher, since a reference picked
for its colour may be a soft shot. Not the crispest shot's: that may be a text message
insert or a title card, whose hard graphic edges no photographed shot can reach, and every
other shot would be sharpened to max_sharpen.

A shot is sharpened until its edges are as crisp as the target: crispness reads focus, not
content, so a soft shot full of texture (grass, a busy set) is sharpened although its detail
already exceeds a plain reference's, and a plain shot in focus (a sky) is not sharpened
toward a busy one. Where no amount up to max_sharpen brings the edges there (a blur wider
than the unsharp mask's radius can narrow, which more amount only rings; or edges already
about as crisp as the resampler draws a perfectly sharp take), the shot is
sharpened until its detail meets the detail target instead. No shot gets less than the base
amount, so a shot crisper than the target keeps its edges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from microdrama.finishing.measure import ShotStats, edge_strength, edge_width
from microdrama.finishing.stages.base import ShotItem, StoreFactory, StoreStage
from microdrama.finishing.template import UpscaleSection
from microdrama.finishing.yuv import plane, to_yuv420

SAMPLE_FRAMES = 4
CURVE_POINTS = 6
# Crispness is measured on a plane Lanczos-resampled to twice its size, at most CRISP_ROWS rows. Twice: the edges
# of a shot in focus are about a pixel wide at its own size, where the 3x3 gradient's own spread swamps them (a
# 72x128 take with hard-edged shapes read softer than a textured one). OpenCV's 8-tap Lanczos, not the master's
# swscale: on the benchmark's episodes the 4K sharpness spread came out -65% against raw with it, -56% with
# swscale's (at a 540x960 master -58% against -40%). At most CRISP_ROWS: on a 4K picture (a learned upscaler's
# output) a full-size measure per amount and frame costs seconds per shot, and halving a 4K plane keeps the edge
# widths' order (and the sharpening's effect on them).
CRISP_ROWS = 1920


def upscale(rgb: np.ndarray, width: int, height: int, resampler: str) -> np.ndarray:
    # Two swscale passes (scale into planar RGB, then pack) beat one packed-to-packed pass:
    # 270x480 up to 1080x1920 ran 46 vs 25 fps, to 2160x3840 60 vs 22 fps here (2 cores).
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    return frame.reformat(width, height, format="gbrp", interpolation=resampler.upper()).to_ndarray(format="rgb24")


class Resampler:
    """yuv420p frames to width x height by swscale, one scaler kept for the whole shot: a fresh one per
    frame rebuilds its filter tables, which cost several times the scaling itself (seen here).

    swscale scales in THREADS slices: the same bytes at any count, 1.3-1.7x faster here than one thread
    (libavfilter's `scale` filter stays on one). Two, not one per core: shots already run one per core."""

    THREADS = 2

    def __init__(self, width: int, height: int, method: str) -> None:
        self.width, self.height, self.method = width, height, method.upper()
        self._scaler = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        return self._scaler.reformat(
            frame, self.width, self.height, format="yuv420p", interpolation=self.method, threads=self.THREADS
        )


def sharpen_luma(frame: av.VideoFrame, amount: float, sigma: float) -> av.VideoFrame:
    """Unsharp-mask the frame's luma in place; returns the frame."""
    if amount > 0:
        y = plane(frame, 0)
        y[:] = unsharp(y, fine_blur(y, sigma), amount)
    return frame


def fine_blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a uint8 picture, kept in float32.

    A uint8 blur rounds the high-pass of an upscaled picture to whole code values, which
    makes small sharpening amounts do nothing and larger ones jump. Float keeps it smooth, and
    OpenCV's float path runs twice as fast here as a 16-bit fixed-point one (9 against 16 ms a 4K plane).
    """
    kernel = cv2.getGaussianKernel(2 * math.ceil(3 * sigma) + 1, sigma)
    return np.asarray(cv2.sepFilter2D(rgb, cv2.CV_32F, kernel, kernel))


def unsharp(rgb: np.ndarray, blurred: np.ndarray, amount: float) -> np.ndarray:
    """rgb + amount * (rgb - blurred), rounded and saturated to uint8."""
    return np.asarray(cv2.addWeighted(rgb, 1.0 + amount, blurred, -amount, 0.0, dtype=cv2.CV_8U))


def sharpen(rgb: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    if amount <= 0:
        return rgb
    return unsharp(rgb, fine_blur(rgb, sigma), amount)


def _reach(amounts: Sequence[float], values: Sequence[float], target: float) -> float:
    """The smallest amount whose value reaches `target` (values increase with amount), or the largest probed."""
    return float(np.interp(target, np.maximum.accumulate(values), amounts))


@dataclass(frozen=True)
class DetailCurve:
    """Detail and crispness of a shot sharpened by each amount (both increase with amount, and both are
    normalised to the picture height, so shots of any size compare); crispness is empty for a shot with too few
    edges to measure (a flat or dark picture)."""

    amounts: tuple[float, ...]
    details: tuple[float, ...]
    crispness: tuple[float, ...] = ()

    def at(self, amount: float) -> float:
        return float(np.interp(amount, self.amounts, self.details))

    def crispness_at(self, amount: float) -> float | None:
        return float(np.interp(amount, self.amounts, self.crispness)) if self.crispness else None

    def amount_for(self, detail: float, crispness: float | None = None) -> float:
        """The smallest amount reaching the crispness target, or the detail target where no amount probed reaches
        the crispness target (or the shot's crispness cannot be measured)."""
        if crispness is not None and self.crispness and max(self.crispness) >= crispness:
            return _reach(self.amounts, self.crispness, crispness)
        return _reach(self.amounts, self.details, detail)

    def to_json(self) -> dict[str, Any]:
        return {"amounts": list(self.amounts), "details": list(self.details), "crispness": list(self.crispness)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DetailCurve:
        return cls(
            amounts=tuple(map(float, doc["amounts"])),
            details=tuple(map(float, doc["details"])),
            crispness=tuple(map(float, doc["crispness"])),
        )


def _as_measured(luma: np.ndarray) -> np.ndarray:
    """The plane resampled to twice its height, at most CRISP_ROWS: Lanczos up, area-averaged down."""
    height, width = luma.shape
    rows = min(2 * height, CRISP_ROWS)
    method = cv2.INTER_LANCZOS4 if rows > height else cv2.INTER_AREA
    return np.asarray(cv2.resize(luma, (round(width * rows / height), rows), interpolation=method))


def detail_curve(planes: list[np.ndarray], amounts: np.ndarray, sigma: float) -> DetailCurve:
    """measure.edge_strength of each luma plane sharpened by each amount, averaged over the planes, and
    crispness (thousandths of the picture height / measure.edge_width), the median over the planes whose edges
    can be measured. Measured on the real uint8 result, rounded as the master's picture is.
    """
    details = np.zeros(len(amounts))
    crisp = []
    for y in planes:
        blurred = fine_blur(y, sigma)
        sharpened = [unsharp(y, blurred, float(a)) for a in amounts]
        details += [edge_strength(p) for p in sharpened]
        measured = [_as_measured(p) for p in sharpened]
        widths = [edge_width(m) for m in measured]
        if all(w is not None for w in widths):
            crisp.append([m.shape[0] / 1000 / w for m, w in zip(measured, widths, strict=True) if w is not None])
    return DetailCurve(
        amounts=tuple(float(a) for a in amounts),
        details=tuple(float(d) for d in details / len(planes)),
        crispness=tuple(float(c) for c in np.median(np.array(crisp), axis=0)) if crisp else (),
    )


def _target(reference: float | None, values: Sequence[float]) -> float:
    """The reference's value, or the median of `values` (the shots', at least one) where that is higher."""
    median = float(np.median(values))
    return median if reference is None else max(reference, median)


def match_amounts(curves: Mapping[str, DetailCurve], reference: str, base: float) -> tuple[float, dict[str, float]]:
    """The episode's detail target and each shot's sharpening amount (rounded, for stable keys), matched to the
    targets at the base amount (see module doc); no shot gets less than the base amount."""
    ref = curves[reference]
    detail = _target(ref.at(base), [curve.at(base) for curve in curves.values()])
    crisp = [c for curve in curves.values() if (c := curve.crispness_at(base)) is not None]
    crispness = _target(ref.crispness_at(base), crisp) if crisp else None
    return detail, {shot: round(max(base, curve.amount_for(detail, crispness)), 4) for shot, curve in curves.items()}


@dataclass(frozen=True)
class DetailItem(ShotItem):
    stats: ShotStats


class DetailStage(StoreStage):
    """Probes a shot's detail against the sharpening amount, on sampled frames at the shot's own size."""

    name = "detail"

    def __init__(self, store_factory: StoreFactory, settings: UpscaleSection) -> None:
        super().__init__(store_factory)
        self.settings = settings

    def run(self, item: DetailItem) -> DetailCurve:
        s = self.settings
        samples = [plane(to_yuv420(frame), 0) for _, frame in self.sample(item.src_key, item.stats, SAMPLE_FRAMES)]
        return detail_curve(samples, np.linspace(0.0, s.max_sharpen, CURVE_POINTS), s.sharpen_sigma)
