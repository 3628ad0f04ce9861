from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest

from microdrama.finishing import finish_episode
from microdrama.finishing.stages.reframe import crop_path, crop_size
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import FRAMES, PREFIX, decode, put_clip, template

WIDE = (288, 160)  # landscape; its 9:16 window is 90x160
RADIUS = 12


def disc_x(t: int) -> float:
    return 30.0 + 9.0 * t


def wide_take(t: int) -> np.ndarray:
    """A still textured room a red disc crosses from left to right at 9 px per frame."""
    width, height = WIDE
    rng = np.random.default_rng(3)
    room = cv2.GaussianBlur(rng.normal(110, 30, (height, width, 3)).astype(np.float32), (0, 0), 1.5)
    yy, xx = np.mgrid[0:height, 0:width]
    disc = np.clip(RADIUS - np.hypot(xx - disc_x(t), yy - height / 2), 0, 1)[..., None]
    return np.clip(np.rint(room * (1 - disc) + np.array([230, 30, 30], np.float32) * disc), 0, 255).astype(np.uint8)


def red(frame: np.ndarray) -> np.ndarray:
    """How red each pixel is: 0 on the grey room, about 140 inside the disc."""
    f = frame.astype(np.float64)
    return np.asarray(np.clip(f[..., 0] - f[..., 1] - 60, 0, None))


def finish(root: Path, mode: str) -> np.ndarray:
    store = LocalStore(root)
    shots = [("wide", put_clip(store, "wide", [wide_take(t) for t in range(FRAMES)]))]
    t = template(
        upscale={"width": 180, "height": 320, "sharpen": 0.0, "detail_match": False},
        reframe={"mode": mode},
        deflicker={"enabled": False},
        grade={"enabled": False},
    )
    result = finish_episode(shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, root), prefix=PREFIX)
    return decode(store, result.shot_keys["wide"])


def test_a_wide_shot_becomes_9_16_following_its_subject_without_jitter(tmp_path: Path) -> None:
    out = finish(tmp_path, "crop")
    assert out.shape[1:3] == (320, 180)
    whole = red(wide_take(0)).sum() * 4  # the master is twice the crop
    crop_x = []
    for t, frame in enumerate(out):
        redness = red(frame)
        assert redness.sum() > 0.9 * whole, f"frame {t}: the subject is cut off"
        crop_x.append(disc_x(t) - (redness.sum(axis=0) * np.arange(redness.shape[1])).sum() / redness.sum() / 2)
    # The crop travels with the subject, steadily: no frame-to-frame wobble beyond measuring noise.
    assert crop_x[-1] - crop_x[0] > 100
    assert np.abs(np.diff(crop_x, 2)).max() < 0.8


def test_letterbox_keeps_the_whole_picture_between_black_bars(tmp_path: Path) -> None:
    out = finish(tmp_path, "letterbox")
    assert out.shape[1:3] == (320, 180)
    bar = (320 - 180 * 160 // 288) // 2
    assert out[:, : bar - 4].max() < 20 and out[:, -bar + 4 :].max() < 20
    assert all(red(frame).sum() > 0 for frame in out)  # the subject never leaves the picture


def test_crop_path_is_smooth_through_noisy_evidence_and_stays_in_the_frame() -> None:
    rng = np.random.default_rng(0)
    positions = np.clip(np.linspace(0.2, 0.9, 48) + rng.normal(0, 0.05, 48), 0, 1)
    weights = rng.uniform(0.05, 1.0, 48)
    path = crop_path(positions, weights, 48, 288, 90)
    assert path.min() >= 0 and path.max() <= 288 - 90
    raw = positions * 288 - 45
    assert np.abs(np.diff(path, 2)).max() < 0.05 * np.abs(np.diff(raw, 2)).max()


@pytest.mark.parametrize(
    ("size", "window"), [((1280, 720), (404, 720)), ((720, 1280), (720, 1280)), ((1080, 1080), (608, 1080))]
)
def test_crop_window_is_the_largest_9_16_inside_the_frame(size: tuple[int, int], window: tuple[int, int]) -> None:
    from fractions import Fraction

    assert crop_size(*size, Fraction(9, 16)) == window
