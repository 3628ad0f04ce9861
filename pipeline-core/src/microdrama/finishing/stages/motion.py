"""Motion: judder repair and frame-rate conversion by motion-compensated interpolation.

Detection. Each pair of neighbouring frames is measured (by the analysis pass, which decodes
the shot anyway) on a small copy of the decoder's luma, brought to
the previous frame's mean brightness first (so flicker does not read as motion): mean
absolute difference, mean Farneback optical-flow magnitude, and the difference left after
warping along the flow. Against the median of the frames around it, a frame is
- a duplicate when it barely differs from the frame before (under a fifth of the local
  median difference) while the frames either side change: judged on the plain difference, so
  a slow push-in or a ticking counter, too slow for the motion tests below, still shows its
  duplicates;
- after a cut when the flow explains little of a difference well above its neighbours', or
  the motion jumps more than 4x: left alone, and never interpolated across;
- after a drop, when it follows a duplicate, as the generator's usual defect (a lost frame
  padded by the one before), unless the motion says the content held: its real neighbours
  move steadily and it moves like them (under 1.5x). Either reading rebuilds the duplicate
  halfway between its neighbours; where the motion is irregular (a bird flapping) or too slow
  to judge (under MIN_MOTION), the hold cannot be told from the drop, and the drop retimes no
  other frame;
- after a drop elsewhere only on evidence, since re-timing a good frame costs picture: an
  isolated spike, 1.7-4x the local median and near a whole multiple of it, between
  neighbours that move steadily (round(ratio) - 1 frames missing).
Irregular genuine motion with no duplicate (acceleration, a bird taking off) fails those tests
and is left alone, as is a shot that barely moves.

Repair keeps the frame count and the duration. Every frame slot gets a content time: real
frames are 1 apart, 1 + the missing frames across a drop; a duplicate has no content of its
own and takes the time halfway between its neighbours. The times are smoothed by a short
box filter, which is the identity on regular motion. So the usual generator defect, a
dropped frame padded by repeating the previous one, is rebuilt exactly at the missing
frame's time; a lone drop or a held frame becomes a brief uniform speed change instead of a
jerk. Each output frame is the source frame at its time, or is interpolated between the two
real frames around it. Frame-rate conversion samples the same times at the new rate.

Interpolation warps both neighbours to the in-between time along DIS optical flow computed
both ways on luma (full size up to FLOW_SIDE, else downscaled and the flow upscaled), and
blends them weighted by time and by forward-backward flow consistency, so a region one frame
cannot see comes from the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import cv2
import numpy as np

from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import ShotStats, shrunk, small_luma
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreStage
from microdrama.logs import get_logger

DETECT_SIDE = 240  # detection flow runs on luma scaled so its longer side is at most this
# Farneback's pyramid levels, window and iterations per level for detection. One iteration, not two: on the
# benchmark's 13 takes every judder decision is the same but one, a false cut on smpte_bars-3 (the clean source
# has none) no longer judged; the flow costs 30% less.
DETECT_LEVELS, DETECT_WINDOW, DETECT_ITERATIONS = 3, 11, 1
FLOW_SIDE = 1024  # interpolation flow likewise: a 540x960 shot gets full-resolution flow
NEIGHBOURS = 4  # frames each side that make the local median motion
MIN_MOTION = 1.0  # local motion (per mille of the longer side per frame) below which no drop or cut is judged
MIN_CHANGE = 0.05  # local mean difference (code values) below which no duplicate is judged: nothing changes
DUPLICATE, CUT = 0.2, 4.0  # motion ratios to the local median
HELD = 0.5  # a duplicate's neighbours move at least this times the local median
PAUSE = 1.5  # a frame after a duplicate moving under this times its steady real neighbours: the content held
SPIKE = 1.7  # an isolated drop moves at least this times the local median
WHOLE = 0.3  # ... within this of a whole multiple of it
STEADY = (0.67, 1.5)  # ... its neighbours within these ratios of the median
SPREAD = 0.25  # ... and the local motion's median absolute deviation within this fraction of the median
CUT_RESIDUAL, CUT_EXPLAINED = 3.0, 0.5  # a cut: residual 3x the local one and over half the plain difference
RETIME_HALF = 3  # the content-time box filter spans 2 * RETIME_HALF + 1 frames
OCCLUSION_PX = 1.0  # forward-backward flow disagreement (flow pixels) at which a sample loses trust
TRUST_FLOOR = 0.05
EXACT = 1e-6


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    flow = np.empty((*a.shape, 2), np.float32)
    return np.asarray(
        cv2.calcOpticalFlowFarneback(a, b, flow, 0.5, DETECT_LEVELS, DETECT_WINDOW, DETECT_ITERATIONS, 5, 1.1, 0)
    )


def _grid(shape: tuple[int, ...]) -> np.ndarray:
    """The (x, y) position of every pixel of a (rows, columns) picture, (rows, columns, 2) float32; contiguous,
    since adding a flow to a transposed view cost more than the warp it feeds."""
    return np.ascontiguousarray(np.indices(shape[:2], np.float32)[::-1].transpose(1, 2, 0))


def _magnitude(flow: np.ndarray) -> np.ndarray:
    """Length of each (x, y) vector of a flow; the channels split first, as strided views halve np.hypot's speed."""
    return np.asarray(np.hypot(*cv2.split(flow)))


def _warp(picture: np.ndarray, where: np.ndarray) -> np.ndarray:
    """picture sampled at the (x, y) positions in `where` (H, W, 2), bilinear, edges repeated."""
    return np.asarray(
        cv2.remap(picture, where[..., 0], where[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    )


@dataclass(frozen=True, eq=False)
class MotionProfile:
    """Per frame i (from 1), against frame i-1: mean luma difference, flow magnitude (per mille of the
    longer side) and the difference left after motion compensation."""

    diff: np.ndarray
    flow: np.ndarray
    residual: np.ndarray

    def __len__(self) -> int:
        return len(self.flow)

    def to_json(self) -> dict[str, Any]:
        return {"diff": self.diff.tolist(), "flow": self.flow.tolist(), "residual": self.residual.tolist()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> MotionProfile:
        diff, flow, residual = (np.array(doc[k], np.float64) for k in ("diff", "flow", "residual"))
        return cls(diff=diff, flow=flow, residual=residual)


class MotionMeter:
    """Measures a shot's motion as its luma frames go by, keeping only the previous small luma: the analysis
    pass feeds it beside the colour statistics, so a shot is decoded once for both."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, float, float]] = []
        self._prev: np.ndarray | None = None
        self._grid = np.empty((0, 0, 2), np.float32)

    def add(self, luma: np.ndarray) -> None:
        small = shrunk(luma, DETECT_SIDE)
        prev = self._prev
        if prev is None:
            self._rows.append((0.0, 0.0, 0.0))
        else:
            # Flicker changes brightness, not position: matched out, it makes no flow.
            small = cv2.convertScaleAbs(small, alpha=float(prev.mean()) / max(float(small.mean()), 1.0))
            flow = _flow(prev, small)
            if self._grid.shape[:2] != small.shape:
                self._grid = _grid(small.shape)
            self._rows.append(
                (
                    float(cv2.absdiff(prev, small).mean()),
                    float(_magnitude(flow).mean()) * 1000 / max(small.shape),
                    float(cv2.absdiff(prev, _warp(small, self._grid + flow)).mean()),
                )
            )
        self._prev = small

    def result(self) -> MotionProfile:
        diff, flow, residual = np.array(self._rows).reshape(-1, 3).T
        return MotionProfile(diff=diff, flow=flow, residual=residual)


def measure_motion(lumas: Iterable[np.ndarray]) -> MotionProfile:
    """The motion of a shot given as luma frames (H, W uint8)."""
    meter = MotionMeter()
    for luma in lumas:
        meter.add(luma)
    return meter.result()


@dataclass(frozen=True, eq=False)
class Judder:
    """Per frame: a duplicate, frames missing before it (0: none), a cut before it."""

    duplicate: np.ndarray
    missing: np.ndarray
    cut: np.ndarray

    def cuts_only(self) -> Judder:
        """The same shot judged free of judder: what frame-rate conversion without repair uses."""
        return Judder(duplicate=np.zeros_like(self.duplicate), missing=np.zeros_like(self.missing), cut=self.cut)


def _changing_around(profile: MotionProfile, i: int, change: float, duplicate: np.ndarray) -> bool:
    """Whether the frames either side of i change (a held frame before counts): a pause is not a duplicate."""
    before = i == 1 or duplicate[i - 1] or profile.diff[i - 1] >= HELD * change
    return bool(before and (i + 1 == len(profile) or profile.diff[i + 1] >= HELD * change))


def _after_duplicate(profile: MotionProfile, i: int, duplicate: np.ndarray) -> int:
    """Frames missing before frame i, which follows a duplicate: one, unless the content held (module doc)."""
    flow = profile.flow
    real = [j for j in (i - 2, i + 1) if j < len(profile) and not duplicate[j]]
    if len(real) < 2:
        return 1
    before, after = (float(flow[j]) for j in real)
    steady = STEADY[0] <= before / max(after, 1e-9) <= STEADY[1]
    return 0 if steady and flow[i] < PAUSE * (before + after) / 2 else 1


def _dropped(profile: MotionProfile, i: int, around: list[int], motion: float, duplicate: np.ndarray) -> int:
    """Frames missing before frame i (module doc): after a duplicate, one unless the content held; elsewhere
    judged conservatively, 0 unless the evidence is clear."""
    flow = profile.flow
    if duplicate[i - 1] and i >= 2:
        return _after_duplicate(profile, i, duplicate)
    ratio = flow[i] / motion
    if not SPIKE <= ratio <= CUT or abs(ratio - round(ratio)) > WHOLE:
        return 0
    steady = all(STEADY[0] <= flow[j] / motion <= STEADY[1] for j in (i - 1, i + 1) if 1 <= j < len(profile))
    spread = float(np.median(np.abs(flow[around] - motion))) / motion
    return round(ratio) - 1 if steady and spread <= SPREAD else 0


def find_judder(profile: MotionProfile) -> Judder:
    """Duplicates, drops and cuts, each judged against the median of the frames around it (module doc)."""
    n = len(profile)
    duplicate, cut = np.zeros(n, bool), np.zeros(n, bool)
    missing = np.zeros(n, int)
    for i in range(1, n):
        around = [j for j in range(max(1, i - NEIGHBOURS), min(n, i + NEIGHBOURS + 1)) if j != i]
        if not around:
            continue
        motion, change = float(np.median(profile.flow[around])), float(np.median(profile.diff[around]))
        if change >= MIN_CHANGE and profile.diff[i] < DUPLICATE * change:
            duplicate[i] = _changing_around(profile, i, change, duplicate)
            if duplicate[i] or motion < MIN_MOTION:
                continue
        if motion < MIN_MOTION:
            # Too slow to see a jump after a duplicate: the usual defect (module doc).
            missing[i] = int(i >= 2 and duplicate[i - 1])
            continue
        ratio = profile.flow[i] / motion
        unexplained = profile.residual[i] > max(
            CUT_RESIDUAL * np.median(profile.residual[around]), CUT_EXPLAINED * profile.diff[i]
        )
        if ratio > CUT or unexplained:
            cut[i] = True
        else:
            missing[i] = _dropped(profile, i, around, motion, duplicate)
    return Judder(duplicate=duplicate, missing=missing, cut=cut)


def _box(times: np.ndarray, half: int) -> np.ndarray:
    """Moving average with odd extension at both ends: lines (and the ends) are kept exactly."""
    half = min(half, len(times) - 1)
    if half < 1:
        return times
    left = 2 * times[0] - times[half:0:-1]
    right = 2 * times[-1] - times[-2 : -half - 2 : -1]
    # Sums of whole and half frame times are exact in float64, so regular motion comes back bit-identical.
    return np.convolve(np.concatenate([left, times, right]), np.ones(2 * half + 1), "valid") / (2 * half + 1)


@dataclass(frozen=True)
class Retiming:
    """Output frame j is source frame picks[j][0], or picks[j][0] and [1] blended at picks[j][2] (0-1)."""

    picks: tuple[tuple[int, int, float], ...]
    fps: Fraction
    frames_in: int

    @property
    def identity(self) -> bool:
        return len(self.picks) == self.frames_in and all(p == (j, j, 0.0) for j, p in enumerate(self.picks))


def plan_retiming(judder: Judder, fps_in: Fraction, fps_out: Fraction | None = None) -> Retiming:
    """Where every output frame comes from (see the module doc); fps_out None keeps the rate."""
    n = len(judder.duplicate)
    real = np.flatnonzero(~judder.duplicate)
    step = 1 + judder.missing
    content = np.cumsum(np.where(judder.duplicate, 0, step)) - step[0]
    segment = np.cumsum(judder.cut)
    slots = np.arange(n)
    times = np.interp(slots, real, content[real])
    for seg in np.unique(segment):
        idx = np.flatnonzero(segment == seg)
        times[idx] = _box(times[idx], RETIME_HALF)
    rate = fps_out or fps_in
    count = max(1, round(n * rate / fps_in))
    positions = np.arange(count) * float(fps_in / rate)
    real_times = content[real]
    picks = []
    for tau in np.interp(positions, slots, times):
        k = max(0, int(np.searchsorted(real_times, tau + EXACT, "right")) - 1)
        a = int(real[k])
        if abs(real_times[k] - tau) <= EXACT or k + 1 == len(real):
            picks.append((a, a, 0.0))
            continue
        b = int(real[k + 1])
        s = float((tau - real_times[k]) / (real_times[k + 1] - real_times[k]))
        if segment[a] != segment[b]:
            nearest = a if s < 0.5 else b
            picks.append((nearest, nearest, 0.0))
        else:
            picks.append((a, b, s))
    return Retiming(picks=tuple(picks), fps=rate, frames_in=n)


class FlowInterpolator:
    """Frames between two pictures along optical flow computed once, both ways."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b = a, b
        height, width = a.shape[:2]
        la, lb = small_luma(a, FLOW_SIDE), small_luma(b, FLOW_SIDE)
        dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        fab, fba = (np.asarray(dis.calc(x, y, np.zeros((*x.shape, 2), np.float32))) for x, y in ((la, lb), (lb, la)))
        # Trust of each picture's pixels: 1 where following the flow there and back returns home.
        trust_a, trust_b = self._consistency(fab, fba), self._consistency(fba, fab)
        scale = np.array([width / la.shape[1], height / la.shape[0]], np.float32)
        self.fab, self.fba = (cv2.resize(f * scale, (width, height)) for f in (fab, fba))
        self.trust_a, self.trust_b = (cv2.resize(t + TRUST_FLOOR, (width, height)) for t in (trust_a, trust_b))
        self.grid = _grid((height, width))

    @staticmethod
    def _consistency(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
        back = _warp(backward, _grid(forward.shape) + forward)
        error = _magnitude(forward + back)
        return np.asarray(np.exp(-((error / OCCLUSION_PX) ** 2)), np.float32)

    def at(self, s: float) -> np.ndarray:
        """The picture at time s (0 = a, 1 = b)."""
        # The content at x came from a at x + s * flow(b->a) and goes to b at x + (1 - s) * flow(a->b).
        from_a = cv2.scaleAdd(self.fba, s, self.grid)
        from_b = cv2.scaleAdd(self.fab, 1 - s, self.grid)
        # A sample a cannot see in b (low trust_a) is disappearing: b's sample there is wrong, and vice versa.
        weight_a = _warp(self.trust_b, from_b) * np.float32(1 - s)
        weight_b = _warp(self.trust_a, from_a) * np.float32(s)
        return np.asarray(cv2.blendLinear(_warp(self.a, from_a), _warp(self.b, from_b), weight_a, weight_b))


def retime(frames: Iterable[np.ndarray], plan: Retiming) -> Iterator[np.ndarray]:
    """The output frames of `plan`, holding only the few source frames in use."""
    source = enumerate(frames)
    held: dict[int, np.ndarray] = {}
    pair: tuple[int, int] | None = None
    interpolator: FlowInterpolator | None = None
    for a, b, s in plan.picks:
        while b not in held:
            index, frame = next(source)
            held[index] = frame
        for old in [k for k in held if k < a]:
            del held[old]
        if s == 0.0:
            yield held[a]
            continue
        if pair != (a, b) or interpolator is None:
            pair, interpolator = (a, b), FlowInterpolator(held[a], held[b])
        yield interpolator.at(s)


@dataclass(frozen=True)
class MotionItem(ShotItem):
    dst_key: str
    stats: ShotStats
    profile: MotionProfile  # measured by the analysis pass
    fps: Fraction | None  # the rate to convert to; None keeps the shot's
    repair: bool


class MotionStage(StoreStage):
    name = "motion"

    def run(self, item: MotionItem) -> Rendered:
        if not item.repair and item.fps is None:
            return Rendered(key=item.src_key, stats=item.stats)
        judder = find_judder(item.profile)
        if not item.repair:
            judder = judder.cuts_only()
        plan = plan_retiming(judder, item.stats.fps, item.fps)
        if plan.identity:
            return Rendered(key=item.src_key, stats=item.stats)
        get_logger(__name__).info(
            "motion retimed",
            shot=item.shot_id,
            duplicates=int(judder.duplicate.sum()),
            missing=int(judder.missing.sum()),
            fps=str(plan.fps),
        )
        return self.render_stream(
            item.src_key, item.dst_key, lambda frames: retime(frames, plan), LosslessWriter, fps=plan.fps
        )
