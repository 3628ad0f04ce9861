"""Defects are seeded, measurable, and absent from clean renders."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from microdrama.generation.animatic import AnimaticProvider
from microdrama.generation.defects import DefectProfile, plan_defects
from tests.unit.generation.scenes import make_request, make_shot

CLEAN = DefectProfile.none()
SHOT = make_shot(["mara"], frames=24)


def _frames(profile: DefectProfile, reference: Path | None = None) -> np.ndarray:
    return np.stack(list(AnimaticProvider(profile).frames(make_request(SHOT, reference=reference, size=(270, 480)))))


def _luma(frames: np.ndarray) -> np.ndarray:
    return (frames.astype(float) @ np.array([0.2126, 0.7152, 0.0722])).mean(axis=(1, 2))


def test_clean_profile_plans_nothing() -> None:
    plan = plan_defects(CLEAN, seed=5, frames=24)
    assert plan.blur_sigma == 0 and plan.noise == 0
    assert set(plan.gains) == {1.0} and plan.cast == (1.0, 1.0, 1.0) and not any(plan.drift_lab)


def test_plans_are_seeded() -> None:
    profile = DefectProfile()
    assert plan_defects(profile, 5, 24) == plan_defects(profile, 5, 24)
    assert plan_defects(profile, 5, 24) != plan_defects(profile, 6, 24)


def test_flicker_follows_the_planned_curve() -> None:
    clean = _frames(CLEAN)
    flicker_only = DefectProfile(blur_sigma=(0.0, 0.0), flicker=0.03, cast=0.0, identity_drift=0.0, noise=0.0)
    flickering = _frames(flicker_only)
    assert np.abs(np.diff(_luma(clean))).mean() < 0.01  # a static clean shot holds its level
    jitter = np.abs(np.diff(_luma(flickering))).mean()
    assert jitter > 0.3  # code values, frame to frame
    gains = np.array(AnimaticProvider(flicker_only).plan(make_request(SHOT)).gains)
    measured = _luma(flickering) / _luma(clean)
    assert np.corrcoef(measured, gains)[0, 1] > 0.98
    assert np.abs(measured - gains).max() < 0.01


def test_cast_moves_colour_not_brightness() -> None:
    cast_only = DefectProfile(blur_sigma=(0.0, 0.0), flicker=0.0, cast=0.06, identity_drift=0.0, noise=0.0)
    clean, cast = _frames(CLEAN).astype(float), _frames(cast_only).astype(float)
    plan = AnimaticProvider(cast_only).plan(make_request(SHOT))
    ratio = cast.mean(axis=(0, 1, 2)) / clean.mean(axis=(0, 1, 2))
    assert np.abs(ratio - np.array(plan.cast)).max() < 0.02  # the planned per-channel gains, measured
    assert np.abs(ratio - 1).max() > 0.03  # noticeable
    assert abs(_luma(cast).mean() / _luma(clean).mean() - 1) < 0.02


def test_softness_and_noise_are_measurable() -> None:
    clean, degraded = _frames(CLEAN), _frames(DefectProfile(flicker=0.0, cast=0.0, identity_drift=0.0))

    def sharpness(frame: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())

    assert sharpness(degraded[0]) < 0.7 * sharpness(clean[0])
    # Noise changes every frame even though the shot is static.
    assert not np.array_equal(degraded[0], degraded[1])


def test_identity_drift_grows_and_a_reference_frame_holds_it(tmp_path: Path) -> None:
    drift_only = DefectProfile(blur_sigma=(0.0, 0.0), flicker=0.0, cast=0.0, identity_drift=20.0, noise=0.0)
    reference = tmp_path / "ref.png"
    reference.write_bytes(b"")  # only its presence matters to the renderer

    def outfit_change(frames: np.ndarray) -> float:
        lab = [cv2.cvtColor(f[330:420, 100:170], cv2.COLOR_RGB2Lab).reshape(-1, 3).mean(axis=0) for f in frames]
        return float(np.linalg.norm(lab[-1] - lab[0]))

    drifting = outfit_change(_frames(drift_only))
    held = outfit_change(_frames(drift_only, reference))
    assert drifting > 8.0
    assert held < drifting / 8
