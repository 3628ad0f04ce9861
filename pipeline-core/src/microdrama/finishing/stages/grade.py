"""Grade match: move every shot's colour onto the episode's reference shot in L*a*b*.

Reinhard-style transfer: each Lab channel is shifted and scaled so the shot's mean and
standard deviation match the reference's. One transform per shot, so changes within a
shot (a fade, a lamp) survive while shot-to-shot casts go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import ShotStats, from_lab, to_lab
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage

# A contrast change beyond this is a different picture, not a grade.
MAX_STD_RATIO = 4.0


@dataclass(frozen=True)
class LabProfile:
    """A shot's overall L*a*b* mean and standard deviation per channel."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @classmethod
    def of(cls, stats: ShotStats) -> LabProfile:
        m, s = stats.lab, stats.lab_std
        return cls(mean=(float(m[0]), float(m[1]), float(m[2])), std=(float(s[0]), float(s[1]), float(s[2])))

    def vector(self) -> np.ndarray:
        return np.array([*self.mean, *self.std])


def pick_reference(profiles: Mapping[str, LabProfile]) -> str:
    """The most representative shot: nearest to the per-statistic median of all shots (first on a tie)."""
    ids = list(profiles)
    vectors = np.stack([profiles[i].vector() for i in ids])
    distance = np.linalg.norm(vectors - np.median(vectors, axis=0), axis=1)
    return ids[int(np.argmin(distance))]


def transfer(rgb: np.ndarray, source: LabProfile, reference: LabProfile, strength: float) -> np.ndarray:
    """Per Lab channel: (x - source mean) * std ratio + reference mean, blended by strength, as one affine map."""
    src_mean, ref_mean = np.array(source.mean), np.array(reference.mean)
    src_std, ref_std = np.array(source.std), np.array(reference.std)
    ratio = np.where(src_std > 1e-3, ref_std / np.maximum(src_std, 1e-3), 1.0)
    ratio = np.clip(ratio, 1 / MAX_STD_RATIO, MAX_STD_RATIO)
    gain = 1.0 + strength * (ratio - 1.0)
    offset = strength * (ref_mean - src_mean * ratio)
    matrix = np.hstack([np.diag(gain), offset[:, None]]).astype(np.float32)
    return from_lab(cv2.transform(to_lab(rgb), matrix))


@dataclass(frozen=True)
class GradeItem(ShotItem):
    dst_key: str
    source: LabProfile
    reference: LabProfile


class GradeStage(StoreStage):
    name = "grade"

    def __init__(self, store_factory: StoreFactory, strength: float) -> None:
        super().__init__(store_factory)
        self.strength = strength

    def run(self, item: GradeItem) -> Rendered:
        return self.render(
            item.src_key,
            item.dst_key,
            lambda frame: transfer(frame, item.source, item.reference, self.strength),
            LosslessWriter,
        )
