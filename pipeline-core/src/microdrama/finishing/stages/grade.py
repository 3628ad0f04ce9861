"""Grade match: move every shot's colour onto the episode's reference shot.

This stage decides each shot's grade (a GradeDecision); the master pass applies it.

Where a shot shares regions with the reference (one scene seen again: the same sky, set or
character), its cast is read there alone (finishing.shared_colour) and undone by per-channel
gains: content the reference does not show (a meadow entering the frame) cannot pull the
correction. Where the shots share nothing, the shot's statistics are matched in L*a*b*
instead, as follows.

Reinhard-style transfer: each Lab channel is shifted and scaled so the shot's mean and
standard deviation match the reference's. One transform per shot, so changes within a
shot (a fade, a lamp) survive while shot-to-shot casts go.

Shots differ in content as well as in cast (a pan from sky to meadow), so the statistics
are robust and the correction bounded: a shot's profile is the median over its frames of
each frame's own mean and spread (a pan's changing content neither drags the mean nor
inflates the spread), and the per-channel shift and scale are capped by the template
(max_shift in Lab units, max_scale), so a genuine cast is removed but the scene is not
forced to look like the reference.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from microdrama.finishing.measure import ShotStats, from_lab, to_lab
from microdrama.finishing.shared_colour import Sampled, cast_gains
from microdrama.finishing.stages.base import ShotItem, StoreFactory, StoreStage
from microdrama.finishing.stages.deflicker import shot_curve
from microdrama.finishing.template import DeflickerSection, GradeSection
from microdrama.logs import get_logger

SAMPLE_FRAMES = 8  # frames of the shot and of the reference compared for shared regions
# Bridges a shot that shares nothing with the reference tries, nearest in the edit first. Each costs a match of
# sampled frames, and a shot of another scene tries them all in vain: with no bound, an episode of two scenes costs
# (shots of one) x (shots of the other) matches (`make bench-episode`: 1.6 s a shot at 12 shots, 3.7 s at 24).
# The shots of its own scene, where a bridge is found if anywhere, are the nearest in the edit.
MAX_BRIDGES = 4


@dataclass(frozen=True)
class LabProfile:
    """A shot's typical L*a*b* mean and standard deviation per channel: medians over its frames."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @classmethod
    def of(cls, stats: ShotStats) -> LabProfile:
        m = np.median(stats.lab_mean, axis=0)
        s = np.median(np.sqrt(np.maximum(stats.lab_sq_mean - stats.lab_mean**2, 0.0)), axis=0)
        return cls(mean=(float(m[0]), float(m[1]), float(m[2])), std=(float(s[0]), float(s[1]), float(s[2])))

    def vector(self) -> np.ndarray:
        return np.array([*self.mean, *self.std])


def pick_reference(profiles: Mapping[str, LabProfile]) -> str:
    """The most representative shot: nearest to the per-statistic median of all shots (first on a tie)."""
    ids = list(profiles)
    vectors = np.stack([profiles[i].vector() for i in ids])
    distance = np.linalg.norm(vectors - np.median(vectors, axis=0), axis=1)
    return ids[int(np.argmin(distance))]


def correction(source: LabProfile, reference: LabProfile, settings: GradeSection) -> tuple[np.ndarray, np.ndarray]:
    """Per Lab channel (gain, offset) of x -> gain * x + offset: the bounded move of the shot's mean and spread."""
    src_mean, ref_mean = np.array(source.mean), np.array(reference.mean)
    src_std, ref_std = np.array(source.std), np.array(reference.std)
    ratio = np.where(src_std > 1e-3, ref_std / np.maximum(src_std, 1e-3), 1.0)
    ratio = np.clip(ratio, 1 / settings.max_scale, settings.max_scale)
    # The shift is capped where it counts, at the shot's mean: that is where the picture's colour moves.
    shift = np.clip(ref_mean - src_mean, -settings.max_shift, settings.max_shift)
    gain = 1.0 + settings.strength * (ratio - 1.0)
    offset = src_mean + settings.strength * shift - gain * src_mean
    return gain, offset


def bounded_gains(gains: np.ndarray, settings: GradeSection) -> np.ndarray:
    """Cast gains at the template's strength, each within 1/max_gain..max_gain."""
    limited = np.clip(gains, 1 / settings.max_gain, settings.max_gain)
    return np.asarray(limited**settings.strength)


def apply_gain(rgb: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Per-channel RGB gains through one lookup table, rounded and saturated."""
    levels = np.arange(256, dtype=np.float64)[:, None] * gain[None, :]
    lut = np.clip(np.rint(levels), 0, 255).astype(np.uint8).reshape(256, 1, 3)
    return np.asarray(cv2.LUT(rgb, lut))


def _triple(values: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    a, b, c = (round(float(v), 6) for v in values)  # rounded: the decision is part of the master's key
    return a, b, c


@dataclass(frozen=True)
class GradeDecision:
    """How one shot's colour moves onto the reference: RGB gains (read in shared regions), else an affine
    map per Lab channel (statistics), else nothing (the reference itself). `cast` is what the shared regions
    measured, before the template's bounds: a shot bridging another to the reference passes its cast on."""

    gains: tuple[float, float, float] | None = None
    lab: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None  # (gain, offset)
    cast: tuple[float, float, float] | None = None

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        if self.gains is not None:
            return apply_gain(rgb, np.array(self.gains))
        if self.lab is not None:
            gain, offset = (np.array(v) for v in self.lab)
            matrix = np.hstack([np.diag(gain), offset[:, None]]).astype(np.float32)
            return from_lab(cv2.transform(to_lab(rgb), matrix))
        return rgb

    def to_json(self) -> dict[str, Any]:
        return {"gains": self.gains, "lab": self.lab, "cast": self.cast}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> GradeDecision:
        lab, gains, cast = doc.get("lab"), doc.get("gains"), doc.get("cast")
        return cls(
            gains=None if gains is None else _triple(gains),
            lab=None if lab is None else (_triple(lab[0]), _triple(lab[1])),
            cast=None if cast is None else _triple(cast),
        )


def bridged_gains(shot: Sampled, bridges: Iterable[tuple[Sampled, Sequence[float]]]) -> np.ndarray | None:
    """Gains onto the reference through the first of `bridges` ((sampled frames, cast onto the reference) of
    other shots of the episode) the shot shares regions with: the product of the two casts; None where none does."""
    for bridge, onto_reference in bridges:
        onto_bridge = cast_gains(shot, bridge)
        if onto_bridge is not None:
            return onto_bridge * np.asarray(onto_reference)
    return None


def decide(gains: np.ndarray | None, item: GradeItem, settings: GradeSection) -> GradeDecision:
    """The shared-region gains, bounded; without them, the bounded Lab statistics match (which cannot tell a
    cast from different content)."""
    if gains is not None:
        return GradeDecision(gains=_triple(bounded_gains(gains, settings)), cast=_triple(gains))
    gain, offset = correction(item.source, item.reference, settings)
    return GradeDecision(lab=(_triple(gain), _triple(offset)))


def matched_by(decision: GradeDecision, bridged: bool) -> str:
    """How a decision was reached, in words for the report: `bridged` when it was decided through other shots."""
    if decision.gains is not None:
        return "shared regions through another shot" if bridged else "shared regions"
    return "Lab statistics" if decision.lab is not None else "reference"


def steadied(
    samples: Sequence[tuple[int, np.ndarray]], stats: ShotStats, deflicker: DeflickerSection | None
) -> list[np.ndarray]:
    """Sampled frames with their deflicker gain, so flicker does not read as a difference in colour."""
    if deflicker is None:
        return [frame for _, frame in samples]
    curve = shot_curve(stats, deflicker)
    return [apply_gain(frame, np.full(3, curve.gain[index])) for index, frame in samples]


@dataclass(frozen=True)
class Bridge:
    """A shot that shares regions with the reference: its picture, statistics and its cast onto the reference."""

    shot_id: str
    key: str
    stats: ShotStats
    cast: tuple[float, float, float]


@dataclass(frozen=True)
class GradeItem(ShotItem):
    stats: ShotStats
    source: LabProfile
    reference: LabProfile
    reference_key: str | None  # the reference shot's picture; None for the reference itself
    reference_stats: ShotStats
    deflicker: DeflickerSection | None  # the deflicker the master pass applies, None when it is off
    # Given only for a shot found to share nothing with the reference: the episode's other shots that do, nearest
    # in the edit first, to match it through one that shares regions with it too.
    bridges: tuple[Bridge, ...] = ()


class GradeStage(StoreStage):
    """Decides each shot's grade (applied later, in the master pass) from sampled frames of it and the reference."""

    name = "grade"

    def __init__(self, store_factory: StoreFactory, settings: GradeSection) -> None:
        super().__init__(store_factory)
        self.settings = settings
        # The sampled frames of the shots matched to last, by key: every shot of an episode is matched to one
        # reference, and the shots of a scene that shares nothing with it try the same nearest bridges. A stage lives
        # for one run of one episode, where a key names one picture and one template applies.
        # At most 1 + MAX_BRIDGES shots' frames: about 250 MB a worker for 1080x1920 takes.
        self._kept: OrderedDict[str, Sampled] = OrderedDict()

    def _read(self, key: str, stats: ShotStats, deflicker: DeflickerSection | None) -> Sampled:
        """A shot's sampled frames, steadied, with their features."""
        return Sampled.of(steadied(self.sample(key, stats, SAMPLE_FRAMES), stats, deflicker))

    def _matched_to(self, key: str, stats: ShotStats, deflicker: DeflickerSection | None) -> Sampled:
        """_read for a shot others are matched to: read once per worker while it is in use."""
        if key in self._kept:
            self._kept.move_to_end(key)
        else:
            self._kept[key] = self._read(key, stats, deflicker)
            if len(self._kept) > 1 + MAX_BRIDGES:
                self._kept.popitem(last=False)
        return self._kept[key]

    def run(self, item: GradeItem) -> GradeDecision:
        if item.reference_key is None:
            return GradeDecision()  # the look everything else is matched to
        shot = self._read(item.src_key, item.stats, item.deflicker)
        if item.bridges:
            # Each bridge is read only if the ones before it did not serve; their casts onto the reference are known.
            bridges = ((self._matched_to(b.key, b.stats, item.deflicker), b.cast) for b in item.bridges)
            gains = bridged_gains(shot, bridges)
        else:
            gains = cast_gains(shot, self._matched_to(item.reference_key, item.reference_stats, item.deflicker))
        decision = decide(gains, item, self.settings)
        get_logger(__name__).info(
            "grade matched", shot=item.shot_id, by=matched_by(decision, bool(item.bridges)), gains=decision.gains
        )
        return decision
