"""Grade match: move every shot's colour onto the episode's reference shot.

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

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import ShotStats, from_lab, to_lab
from microdrama.finishing.shared_colour import cast_gains
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.stages.deflicker import apply_gain
from microdrama.finishing.template import GradeSection
from microdrama.logs import get_logger

SAMPLE_FRAMES = 8  # frames of the shot and of the reference compared for shared regions


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


def transfer(rgb: np.ndarray, source: LabProfile, reference: LabProfile, settings: GradeSection) -> np.ndarray:
    """The shot's frame with `correction` applied in Lab, as one affine map."""
    gain, offset = correction(source, reference, settings)
    matrix = np.hstack([np.diag(gain), offset[:, None]]).astype(np.float32)
    return from_lab(cv2.transform(to_lab(rgb), matrix))


def bounded_gains(gains: np.ndarray, settings: GradeSection) -> np.ndarray:
    """Cast gains at the template's strength, each within 1/max_gain..max_gain."""
    limited = np.clip(gains, 1 / settings.max_gain, settings.max_gain)
    return np.asarray(limited**settings.strength)


@dataclass(frozen=True)
class GradeItem(ShotItem):
    dst_key: str
    stats: ShotStats
    source: LabProfile
    reference: LabProfile
    reference_key: str | None  # the reference shot's picture; None for the reference itself
    reference_frames: int


class GradeStage(StoreStage):
    name = "grade"

    def __init__(self, store_factory: StoreFactory, settings: GradeSection) -> None:
        super().__init__(store_factory)
        self.settings = settings

    def run(self, item: GradeItem) -> Rendered:
        if item.reference_key is None:
            return Rendered(key=item.src_key, stats=item.stats)  # the look everything else is matched to
        shot = self.sample(item.src_key, item.stats.frames, SAMPLE_FRAMES)
        gains = cast_gains(shot, self.sample(item.reference_key, item.reference_frames, SAMPLE_FRAMES))
        get_logger(__name__).info(
            "grade matched",
            shot=item.shot_id,
            by="shared regions" if gains is not None else "Lab statistics",
            gains=None if gains is None else [round(float(g), 4) for g in gains],
        )
        if gains is None:
            return self.render(
                item.src_key,
                item.dst_key,
                lambda frame: transfer(frame, item.source, item.reference, self.settings),
                LosslessWriter,
            )
        bounded = bounded_gains(gains, self.settings)
        return self.render(item.src_key, item.dst_key, lambda frame: apply_gain(frame, bounded), LosslessWriter)
