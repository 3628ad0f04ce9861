"""The defects real video models leave in their takes, seeded so each is known exactly.

A DefectProfile says how strong each defect may be; plan_defects draws one take's concrete
defects (the blur, the flicker curve, the cast, the identity drift) from a seed, so the
finishing benchmark can render a clean ground truth and a degraded copy of the same shot
and know what it has to undo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# BT.709 luma weights: the cast moves colour, not brightness.
_LUMA = (0.2126, 0.7152, 0.0722)
_FLICKER_MEMORY = 0.6  # AR(1) coefficient: flicker wanders over a few frames, as generated video does
_CONDITIONED_DRIFT = 0.05  # what is left of the drift when a take is conditioned on a reference frame


@dataclass(frozen=True)
class DefectProfile:
    blur_sigma: tuple[float, float] = (1.0, 1.6)  # softness: Gaussian sigma (px), drawn per take
    flicker: float = 0.03  # std of the per-frame luminance gain
    cast: float = 0.06  # red/blue gain deviation of the per-take colour cast
    identity_drift: float = 12.0  # Lab distance the look's colours wander by the end of the shot
    noise: float = 2.0  # Gaussian noise std, in 8-bit levels

    @classmethod
    def none(cls) -> DefectProfile:
        """A clean render: the ground truth."""
        return cls(blur_sigma=(0.0, 0.0), flicker=0.0, cast=0.0, identity_drift=0.0, noise=0.0)


@dataclass(frozen=True)
class DefectPlan:
    """One take's defects, drawn from its seed."""

    seed: int
    blur_sigma: float
    gains: tuple[float, ...]  # per-frame luminance gain (the flicker curve)
    cast: tuple[float, float, float]  # RGB gains
    drift_lab: tuple[float, float, float]  # the look's Lab shift reached on the last frame
    noise: float

    def drift_at(self, index: int) -> np.ndarray:
        """Identity drift grows over the shot: none on the first frame, all of it on the last."""
        ramp = index / max(1, len(self.gains) - 1)
        return np.asarray(self.drift_lab, np.float32) * ramp

    def apply(self, frame: np.ndarray, index: int) -> np.ndarray:
        """Degrade one clean float32 RGB frame in [0, 1]; returns uint8."""
        out = cv2.GaussianBlur(frame, (0, 0), self.blur_sigma) if self.blur_sigma > 0 else frame
        out = out * (np.asarray(self.cast, np.float32) * np.float32(self.gains[index] * 255.0))
        if self.noise > 0:
            rng = np.random.default_rng([self.seed, index])
            out += rng.standard_normal((*out.shape[:2], 1), dtype=np.float32) * np.float32(self.noise)
        np.maximum(out, 0.0, out=out)
        return cv2.convertScaleAbs(out)  # rounds and saturates to uint8


def plan_defects(profile: DefectProfile, seed: int, frames: int, conditioned: bool = False) -> DefectPlan:
    """Draw one take's defects; `conditioned` (a reference frame was given) all but removes the drift."""
    rng = np.random.default_rng([seed, 0xDEFEC7])
    blur = float(rng.uniform(*profile.blur_sigma))
    walk = np.zeros(frames)
    steps = rng.standard_normal(frames)
    for i in range(1, frames):
        walk[i] = _FLICKER_MEMORY * walk[i - 1] + steps[i]
    walk -= walk.mean()
    spread = walk.std()
    gains = 1.0 + profile.flicker * (walk / spread if spread > 0 else walk)
    angle = rng.uniform(0.0, 2 * np.pi)
    red, blue = 1.0 + profile.cast * np.cos(angle), 1.0 + profile.cast * np.sin(angle)
    green = (1.0 - _LUMA[0] * red - _LUMA[2] * blue) / _LUMA[1]
    hue = rng.uniform(0.0, 2 * np.pi)
    strength = profile.identity_drift * (_CONDITIONED_DRIFT if conditioned else 1.0)
    drift = (float(rng.uniform(-0.3, 0.3) * strength), float(strength * np.cos(hue)), float(strength * np.sin(hue)))
    return DefectPlan(
        seed=seed,
        blur_sigma=blur,
        gains=tuple(float(g) for g in gains),
        cast=(float(red), float(green), float(blue)),
        drift_lab=drift,
        noise=profile.noise,
    )
