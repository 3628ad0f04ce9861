"""Reframe: shots not in the master's aspect (16:9 into a 9:16 master) become it without squashing.

`crop` (default) cuts the largest window of the master's aspect out of the frame at native
resolution, sliding along the free axis to follow the subject: the faces the face pass
found when it hands over boxes, else where the picture moves (frame-difference energy),
always with a weak pull to the centre. Each frame's estimate counts by its evidence (a
frame with no motion and no face follows its neighbours) and the path is a Gaussian-weighted
local linear fit over the template's smoothing window: a steady pan is followed exactly,
jitter never. The window moves by sub-pixel steps (Lanczos), since whole-pixel steps would
judder a slow pan once upscaled; a window that stays within a pixel is cut exactly.

`letterbox` fits the whole frame into the aspect with black bars. Shots already within 1%
of the aspect pass through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import PurePosixPath

import cv2
import numpy as np

from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import ShotStats, small_luma
from microdrama.finishing.smoothing import smooth
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.template import ReframeSection
from microdrama.media.video import read_frames

ASPECT_TOLERANCE = 0.01
TRACK_SIDE = 160  # subject tracking runs on luma scaled so its longer side is at most this
NOISE = 2.0  # frame differences below this (0-255) are compression noise, not motion
MOTION_FULL = 1.0  # mean motion energy at which a frame's estimate counts fully
FACE_WEIGHT, CENTRE_WEIGHT = 4.0, 0.05  # a face outweighs motion; the centre only breaks ties
CENTRE_SIGMA = 0.5  # width of the centre bias on motion, as a fraction of the free axis

Box = tuple[float, float, float, float]  # x, y, width, height in source pixels


def _even(value: float | Fraction, limit: int) -> int:
    return max(2, min(limit - limit % 2, 2 * round(value / 2)))


def fits(width: int, height: int, aspect: Fraction) -> bool:
    return abs(width / height / float(aspect) - 1) <= ASPECT_TOLERANCE


def crop_size(width: int, height: int, aspect: Fraction) -> tuple[int, int]:
    """The largest window of `aspect` (width / height) inside the frame, even-sized."""
    if width / height > aspect:
        return _even(height * aspect, width), height
    return width, _even(width / aspect, height)


def letterbox_size(width: int, height: int, aspect: Fraction) -> tuple[int, int]:
    """The smallest canvas of `aspect` holding the whole frame at native size, even-sized."""
    if width / height > aspect:
        return width + width % 2, _even(width / aspect, 1 << 30)
    return _even(height * aspect, 1 << 30), height + height % 2


def letterbox(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = rgb.shape[:2]
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    border = (top, size[1] - height - top, left, size[0] - width - left)
    return np.asarray(cv2.copyMakeBorder(rgb, *border, cv2.BORDER_CONSTANT, value=(0, 0, 0)))


def subject_track(
    frames: Iterable[np.ndarray], horizontal: bool, faces: Sequence[Sequence[Box]] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the subject's position along the free axis (0-1) and how much evidence there is for it."""
    positions, weights = [], []
    prev: np.ndarray | None = None
    for index, rgb in enumerate(frames):
        small = small_luma(rgb, TRACK_SIDE).astype(np.float32)
        boxes = faces[index] if faces is not None and index < len(faces) else ()
        if boxes:
            length = rgb.shape[1] if horizontal else rgb.shape[0]
            centres = np.array([(x + w / 2) if horizontal else (y + h / 2) for x, y, w, h in boxes]) / length
            areas = np.array([w * h for _, _, w, h in boxes])
            position, weight = float(np.average(centres, weights=areas)), FACE_WEIGHT
        elif prev is not None:
            energy = cv2.GaussianBlur(np.maximum(np.abs(small - prev) - NOISE, 0.0), (0, 0), 2.0)
            profile = energy.sum(axis=0 if horizontal else 1)
            axis = (np.arange(len(profile)) + 0.5) / len(profile)
            profile = profile * np.exp(-0.5 * ((axis - 0.5) / CENTRE_SIGMA) ** 2)
            total = float(profile.sum())
            position = float((profile * axis).sum() / total) if total > 0 else 0.5
            weight = min(1.0, total / energy.size / MOTION_FULL)
        else:
            position, weight = 0.5, 0.0
        positions.append((weight * position + CENTRE_WEIGHT * 0.5) / (weight + CENTRE_WEIGHT))
        weights.append(weight + CENTRE_WEIGHT)
        prev = small
    return np.array(positions), np.array(weights)


def crop_path(positions: np.ndarray, weights: np.ndarray, window: int, length: int, crop: int) -> np.ndarray:
    """Crop offsets along the free axis: the smoothed subject path, kept inside the frame."""
    path = np.clip(smooth(positions, window, weights) * length - crop / 2, 0, length - crop)
    return np.rint(path) if np.ptp(path) < 1 else path


def cut_window(rgb: np.ndarray, offset: float, size: tuple[int, int], horizontal: bool) -> np.ndarray:
    """The crop at `offset` along the free axis: sliced when whole, else shifted by an 8-tap Lanczos filter."""
    length = size[0] if horizontal else size[1]
    base = int(np.floor(offset))
    if offset == base:
        return np.ascontiguousarray(rgb[:, base : base + length] if horizontal else rgb[base : base + length])
    k = np.arange(-3, 5) - (offset - base)
    taps = np.sinc(k) * np.sinc(k / 4)
    kernel = (taps / taps.sum()).astype(np.float32)
    # Filter the window plus the 3 pixels before and 4 after it (the frame's edge repeated), keep the middle.
    start = max(0, base - 3)
    stop = min(rgb.shape[1 if horizontal else 0], base + length + 5)
    keep = slice(base - start, base - start + length)
    if horizontal:
        out = cv2.filter2D(rgb[:, start:stop], -1, kernel[None, :], anchor=(3, 0), borderType=cv2.BORDER_REPLICATE)
        return np.ascontiguousarray(out[:, keep])
    out = cv2.filter2D(rgb[start:stop], -1, kernel[:, None], anchor=(0, 3), borderType=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(out[keep])


@dataclass(frozen=True)
class ReframeItem(ShotItem):
    dst_key: str
    stats: ShotStats
    aspect: Fraction  # the master's width / height
    faces: tuple[tuple[Box, ...], ...] | None = None  # per frame, from the face pass when it runs first


class ReframeStage(StoreStage):
    name = "reframe"

    def __init__(self, store_factory: StoreFactory, settings: ReframeSection) -> None:
        super().__init__(store_factory)
        self.settings = settings

    def run(self, item: ReframeItem) -> Rendered:
        width, height = item.stats.width, item.stats.height
        if fits(width, height, item.aspect):
            return Rendered(key=item.src_key, stats=item.stats)
        if self.settings.mode == "letterbox":
            size = letterbox_size(width, height, item.aspect)
            return self.render(item.src_key, item.dst_key, lambda rgb: letterbox(rgb, size), LosslessWriter, size)
        crop_w, crop_h = crop_size(width, height, item.aspect)
        horizontal = crop_w < width
        with self.store.local_path(item.src_key, PurePosixPath(item.src_key).suffix) as src:
            positions, weights = subject_track(read_frames(src), horizontal, item.faces)
        window = max(3, round(self.settings.smoothing * float(item.stats.fps)))
        length, crop = (width, crop_w) if horizontal else (height, crop_h)
        offsets = iter(crop_path(positions, weights, window, length, crop).tolist())
        size = (crop_w, crop_h)
        return self.render(
            item.src_key,
            item.dst_key,
            lambda rgb: cut_window(rgb, next(offsets), size, horizontal),
            LosslessWriter,
            size,
        )
