"""A shot's colour cast against the reference, read from the regions the two shots share.

Shots of one scene show the same things (a sky, a set, a character) from other angles and
at other times; a shot's content differs from the reference's, so its overall statistics
mix content with cast. Here the cast is read only where the content is the same: ORB
features of sampled frames of each shot are matched (first 200 of each frame's, its
strongest spread over the frame, which rule out most frame pairs that share nothing at a
small part of the cost), a homography (RANSAC) lines the reference frame up with the
shot frame, and colours are compared pixel by pixel where the two agree in luma after one
overall gain (things that moved or were occluded are left out); a frame pair whose shared
colours no single cast explains is dropped. Half the frame pairs, spread evenly, are read first: where none
shares regions the shots are taken to share nothing, where many do they are enough, and
only in between is the other half read too. The cast is per-channel gain (a change of
illuminant or white balance acts per channel, von Kries), estimated as the median
per-channel log ratio over all shared pixels of the pairs read, so a few bad pixels do
not move it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

FEATURES = 1500
MIN_MATCHES, MIN_INLIERS = 20, 25  # distinctive matches / matches kept by RANSAC for a frame pair to count
# A match is distinctive within this Hamming distance (of 256 bits). On the benchmark's shots 94% of RANSAC's
# inliers were, against 15% of the matches of frame pairs sharing nothing; each of 312 pairs that shared regions
# had 26 or more. A pair with fewer than MIN_MATCHES shares nothing and skips RANSAC, which on such junk runs all
# its 2000 iterations (about 20 ms a pair here), and had been most of the cost of matching a shot of another scene.
DISTINCT_BITS = 48
# A frame pair is first matched on PRESCREEN_FEATURES of each frame's features, and only with PRESCREEN_MATCHES
# distinctive matches among those on all of them: matching costs the product of the two frames' feature counts, so
# this costs 2-11% of a full match (1500 to 600 features). The features are each cell's strongest in turn on a
# PRESCREEN_GRID x PRESCREEN_GRID grid, not the frame's strongest: a busy patch (a patterned shirt, a sign) can hold
# every one of those, and a shared set beside it had none among them (a test). On the benchmark's episodes (270x480
# and 540x960 takes, 1702 frame pairs) every pair that shared regions had 5 or more such matches; 72-75% of the pairs
# sharing nothing had fewer than 3 and were ruled out.
PRESCREEN_FEATURES, PRESCREEN_MATCHES, PRESCREEN_GRID = 200, 3, 4
RANSAC_PX = 2.0
COMPARE_SCALE = 4  # colours are compared on pictures area-averaged by this (edges and blur differences fade)
# Code values: darker pixels carry no usable ratio (rounding, noise and a lifted black each move a ratio of
# values under 20 by 5% or more: on a dark set they had pulled casts 1-2% off), brighter may be clipped.
MIN_LEVEL, MAX_LEVEL = 20.0, 248.0
AGREE_ABS, AGREE_REL = 3.0, 0.04  # luma agreement after one overall gain: |a - g b| < ABS + REL * a
# A frame pair whose shared pixels' log ratios spread wider than this (median absolute deviation, any
# channel) is not one cast seen twice: misaligned foliage, content that changed colour. Shared regions of one
# look spread 0.01-0.05; such pairs had spread 0.08-0.13 and pulled a cast 5-12% off.
MAX_SPREAD = 0.06
MIN_SHARED = 300  # shared pixels (at COMPARE_SCALE) needed to trust the estimate
# Pairs of the first half (a checkerboard) sharing regions that make the estimate without the other half. On the
# benchmark's episodes a shot sharing much with another shared in 18-32 of the 32 such pairs, one sharing little in
# 1-4; the casts read from the checkerboard alone were within 0.3% of those read from every pair (from a shot's first
# and last frames against all, within 1.6%: the ends weigh too much).
ENOUGH_PAIRS = 16
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _small(picture: np.ndarray) -> np.ndarray:
    """Area-averaged in float32: averages rounded back to integers would quantise every ratio taken of them."""
    height, width = picture.shape[:2]
    size = (max(1, width // COMPARE_SCALE), max(1, height // COMPARE_SCALE))
    return np.asarray(cv2.resize(picture.astype(np.float32), size, interpolation=cv2.INTER_AREA))


@dataclass(frozen=True)
class _Features:
    """A sampled frame as its pairs use it: made once, though a frame is paired with every frame of another shot."""

    picture: np.ndarray
    points: np.ndarray
    descriptors: np.ndarray | None
    spread: np.ndarray  # the descriptors the prescreen takes (_spread_strongest)
    small: np.ndarray  # the picture at COMPARE_SCALE
    usable: np.ndarray  # where `small` is neither too dark nor clipped to carry a ratio


def _usable(small: np.ndarray) -> np.ndarray:
    return np.asarray((small.min(axis=-1) > MIN_LEVEL) & (small.max(axis=-1) < MAX_LEVEL))


def _spread_strongest(points: np.ndarray, scores: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Indices of PRESCREEN_FEATURES features (all, if fewer): every grid cell's strongest, then every cell's
    second strongest, and so on (the stronger first within a round; ties in the features' order)."""
    cells = np.minimum((points * PRESCREEN_GRID / np.array(shape[1::-1])).astype(int), PRESCREEN_GRID - 1)
    cell = cells[:, 1] * PRESCREEN_GRID + cells[:, 0]
    by_cell = np.lexsort((-scores, cell))
    rank = np.empty(len(cell), int)
    rank[by_cell] = np.arange(len(cell)) - np.searchsorted(cell[by_cell], cell[by_cell])
    return np.lexsort((-scores, rank))[:PRESCREEN_FEATURES]


def _features(orb: cv2.ORB, rgb: np.ndarray) -> _Features:
    keypoints, descriptors = orb.detectAndCompute(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), None)
    points = np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2)
    scores = np.array([k.response for k in keypoints], np.float32)
    spread = (
        np.empty((0, 32), np.uint8)
        if descriptors is None
        else descriptors[_spread_strongest(points, scores, rgb.shape)]
    )
    small = _small(rgb)
    return _Features(rgb, points, descriptors, spread, small, _usable(small))


@dataclass(frozen=True)
class Sampled:
    """A shot's sampled frames with their ORB features, found once however many shots it is matched with."""

    frames: tuple[_Features, ...]

    @classmethod
    def of(cls, pictures: Iterable[np.ndarray]) -> Sampled:
        orb = cv2.ORB.create(FEATURES)
        return cls(tuple(_features(orb, picture) for picture in pictures))


def _distinctive(matches: Sequence[cv2.DMatch]) -> int:
    return sum(m.distance <= DISTINCT_BITS for m in matches)


def _pair(shot: _Features, ref: _Features, matcher: cv2.BFMatcher) -> tuple[np.ndarray, np.ndarray] | None:
    """Colours (n, 3) of the shot and of the reference at the pixels the two frames share, or None."""
    if shot.descriptors is None or ref.descriptors is None:
        return None
    # Where both frames have no more features than the prescreen takes, it would be the full match itself.
    screened = max(len(shot.points), len(ref.points)) > PRESCREEN_FEATURES
    if screened and _distinctive(matcher.match(ref.spread, shot.spread)) < PRESCREEN_MATCHES:
        return None
    matches = matcher.match(ref.descriptors, shot.descriptors)
    if _distinctive(matches) < MIN_MATCHES:
        return None
    src = ref.points[[m.queryIdx for m in matches]]
    dst = shot.points[[m.trainIdx for m in matches]]
    homography, inliers = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_PX)
    if homography is None or int(inliers.sum()) < MIN_INLIERS:
        return None
    height, width = shot.picture.shape[:2]
    warped = cv2.warpPerspective(ref.picture, homography, (width, height), flags=cv2.INTER_LINEAR)
    inside = cv2.warpPerspective(np.full((height, width), 255, np.uint8), homography, (width, height))
    a, b = shot.small, _small(warped)
    ok = (_small(inside) > 254.5) & shot.usable & _usable(b)
    if not ok.any():
        return None
    la, lb = a @ LUMA, b @ LUMA
    gain = float(np.median(la[ok] / lb[ok]))
    ok &= np.abs(la - gain * lb) < AGREE_ABS + AGREE_REL * la
    if not ok.any():
        return None
    ratios = np.log(b[ok]) - np.log(a[ok])
    spread = np.median(np.abs(ratios - np.median(ratios, axis=0)), axis=0)
    return (a[ok], b[ok]) if float(spread.max()) <= MAX_SPREAD else None


def _first_half(n: int, m: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The pairs (shot frame, reference frame) of n and m sampled frames in two groups: the first, a checkerboard
    over the pairs (every frame of each shot with every other frame of the other) and the two where the shots
    would meet at a cut (the shot's first frame with the other's last, its last with the other's first); then
    the rest."""
    cut = ((0, m - 1), (n - 1, 0))
    pairs = [(i, j) for i in range(n) for j in range(m)]
    first = [(i + j) % 2 == 0 or (i, j) in cut for i, j in pairs]
    return [p for p, f in zip(pairs, first, strict=True) if f], [p for p, f in zip(pairs, first, strict=True) if not f]


def shared_colours(shot: Sampled, reference: Sampled) -> tuple[np.ndarray, np.ndarray]:
    """Colours of the shot and the reference (each (n, 3) float32) at every shared pixel of the frame pairs read:
    the first group of pairs (_first_half), and the rest only where the first group found some shared regions but
    fewer than ENOUGH_PAIRS pairs with them. So a shot of another scene, and a shot that shares much, cost about
    half the matching (an episode has many of both, and each shot of another scene tries bridges too)."""
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)

    def shared(pairs: list[tuple[int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        return [p for i, j in pairs if (p := _pair(shot.frames[i], reference.frames[j], matcher)) is not None]

    first, rest = _first_half(len(shot.frames), len(reference.frames))
    found = shared(first)
    found += shared(rest) if 0 < len(found) < ENOUGH_PAIRS else []
    if not found:
        empty = np.empty((0, 3), np.float32)
        return empty, empty
    return np.concatenate([a for a, _ in found]), np.concatenate([b for _, b in found])


def cast_gains(shot: Sampled, reference: Sampled) -> np.ndarray | None:
    """Per-channel RGB gains that move the shot's shared regions onto the reference's, or None when the
    shots share too little to tell (different scenes, no texture to match)."""
    ours, theirs = shared_colours(shot, reference)
    if len(ours) < MIN_SHARED:
        return None
    return np.asarray(np.exp(np.median(np.log(theirs) - np.log(ours), axis=0)))
