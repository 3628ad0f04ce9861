"""Tiled inference for frames too large to run whole, with overlap and seamless blending.

Tiles of `tile` input pixels overlap their neighbours by `overlap`; each tile's input is
widened by `context` pixels (cropped away again from its output) so the pixels that are
kept saw the same neighbourhood as in a whole-frame run. Where tiles overlap, their outputs
are cross-faded with linear ramps, so any remaining difference near a tile edge fades out
instead of forming a seam. With `context` at least the network's receptive radius, tiled and
whole-frame outputs agree to float rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Forward = Callable[[np.ndarray], np.ndarray]  # float32 (N, C, h, w) -> (N, C, h*scale, w*scale)


@dataclass(frozen=True)
class Tiling:
    tile: int
    overlap: int = 16
    context: int = 16

    def __post_init__(self) -> None:
        if self.tile <= 2 * self.overlap or self.overlap < 0 or self.context < 0:
            raise ValueError(f"tile {self.tile} must exceed twice the overlap {self.overlap}; both non-negative")


def spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) tiles covering 0..length, consecutive ones overlapping by `overlap` (the last may overlap more)."""
    if length <= tile:
        return [(0, length)]
    stride = tile - overlap
    starts = [*range(0, length - tile, stride), length - tile]
    return [(s, s + tile) for s in starts]


def ramp(start: int, end: int, length: int, fade_in: int, fade_out: int) -> np.ndarray:
    """Blend weights along one axis for a tile covering [start, end) of `length` (fades only at inner edges)."""
    weights = np.ones(end - start, dtype=np.float32)
    if start > 0 and fade_in > 0:
        weights[:fade_in] = (np.arange(fade_in, dtype=np.float32) + 0.5) / fade_in
    if end < length and fade_out > 0:
        weights[-fade_out:] = np.minimum(
            weights[-fade_out:], (np.arange(fade_out, 0, -1, dtype=np.float32) - 0.5) / fade_out
        )
    return weights


def _fades(spans_: list[tuple[int, int]], index: int) -> tuple[int, int]:
    """How far tile `index` overlaps its previous and next neighbour."""
    start, end = spans_[index]
    before = spans_[index - 1][1] - start if index > 0 else 0
    after = end - spans_[index + 1][0] if index + 1 < len(spans_) else 0
    return before, after


def tiled_forward(x: np.ndarray, forward: Forward, scale: int, tiling: Tiling, multiple: int = 1) -> np.ndarray:
    """Run `forward` over `x` (N, C, H, W) tile by tile; tile origins and sizes stay multiples of `multiple`."""
    n, c, height, width = x.shape
    out = np.zeros((n, c, height * scale, width * scale), dtype=np.float32)
    total = np.zeros((height * scale, width * scale), dtype=np.float32)
    tile = max(multiple, tiling.tile - tiling.tile % multiple)
    overlap = tiling.overlap - tiling.overlap % multiple
    context = tiling.context + (-tiling.context) % multiple
    rows, cols = spans(height, tile, overlap), spans(width, tile, overlap)
    for i, (y0, y1) in enumerate(rows):
        fy = _fades(rows, i)
        wy = ramp(y0 * scale, y1 * scale, height * scale, fy[0] * scale, fy[1] * scale)
        for j, (x0, x1) in enumerate(cols):
            fx = _fades(cols, j)
            wx = ramp(x0 * scale, x1 * scale, width * scale, fx[0] * scale, fx[1] * scale)
            cy0, cy1 = max(0, y0 - context), min(height, y1 + context)
            cx0, cx1 = max(0, x0 - context), min(width, x1 + context)
            result = forward(np.ascontiguousarray(x[:, :, cy0:cy1, cx0:cx1]))
            keep = result[:, :, (y0 - cy0) * scale : (y1 - cy0) * scale, (x0 - cx0) * scale : (x1 - cx0) * scale]
            weight = wy[:, None] * wx[None, :]
            out[:, :, y0 * scale : y1 * scale, x0 * scale : x1 * scale] += keep * weight
            total[y0 * scale : y1 * scale, x0 * scale : x1 * scale] += weight
    return out / total
