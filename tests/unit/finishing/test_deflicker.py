from functools import partial
from pathlib import Path

import numpy as np

from microdrama.finishing import finish_episode
from microdrama.finishing.template import DeflickerSection
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import FRAMES, PREFIX, decode, frames_of, put_clip, scene, template

T = np.arange(FRAMES)
FLICKER = 1 + 0.08 * np.sin(2 * np.pi * T / 5)


def mean_luma(frames: np.ndarray) -> np.ndarray:
    return np.asarray(frames.astype(np.float64) @ np.array([0.299, 0.587, 0.114])).mean(axis=(1, 2))


def deflicker(tmp_path: Path, gains: np.ndarray, settings: DeflickerSection | None = None) -> np.ndarray:
    """Mean luma per frame of the input clip and of the finished shot, deflicker being the only change."""
    store = LocalStore(tmp_path / "store")
    key = put_clip(store, "take", frames_of(scene(7), gains))
    only_deflicker = template(
        deflicker=(settings or DeflickerSection()).model_dump(),
        grade={"enabled": False},
        face={"enabled": False},
        motion={"repair_judder": False},
        upscale={"sharpen": 0.0, "detail_match": False},
    )
    result = finish_episode(
        [("take", key)],
        only_deflicker,
        runner=InProcessRunner(),
        store_factory=partial(LocalStore, tmp_path / "store"),
        prefix=PREFIX,
    )
    return np.stack([mean_luma(decode(store, key)), mean_luma(decode(store, result.shot_keys["take"]))])


def jitter(luma: np.ndarray) -> float:
    return float(np.abs(np.diff(luma)).mean())


def test_sinusoidal_flicker_is_removed(tmp_path: Path) -> None:
    before, after = deflicker(tmp_path, FLICKER)
    assert jitter(before) > 5.0
    assert jitter(after) <= 0.2 * jitter(before)
    assert abs(after.mean() - before.mean()) < 1.5  # exposure kept, only the wobble goes


def test_a_fade_under_flicker_is_kept(tmp_path: Path) -> None:
    fade = np.linspace(0.5, 1.1, FRAMES)
    before, after = deflicker(tmp_path, fade * FLICKER)
    clean, _ = deflicker(tmp_path / "clean", fade)
    assert after[-1] - after[0] > 0.9 * (clean[-1] - clean[0])
    assert np.abs(after - clean).max() < 2.0
    assert np.abs(before - clean).max() > 5.0


def test_lights_switched_on_stay_a_step_not_a_ramp(tmp_path: Path) -> None:
    step = np.where(T < FRAMES // 2, 0.6, 1.2)
    before, after = deflicker(tmp_path, step)
    _, plain = deflicker(tmp_path / "off", step, DeflickerSection(enabled=False))  # the same chain, no deflicker
    assert np.abs(after - plain).max() < 1.0
    # Without the scene-cut reset the same smoothing bleeds the step into its neighbours.
    _, smeared = deflicker(tmp_path / "no-cut", step, DeflickerSection(scene_cut=255.0))
    assert np.abs(smeared - before).max() > 10.0


def test_strong_flicker_on_a_bright_shot_is_removed_not_read_as_cuts(tmp_path: Path) -> None:
    # A bright picture (a sky) flickering 15%: frame-to-frame jumps of over 30 code values, above the scene-cut
    # threshold, that swing back. Read as cuts they would leave every jump in place.
    bright = 1.5 * (1 + 0.15 * np.sin(2 * np.pi * T / 4 + 0.5))
    before, after = deflicker(tmp_path, bright)
    assert np.abs(np.diff(before)).max() > 1.5 * DeflickerSection().scene_cut
    assert jitter(after) <= 0.2 * jitter(before), (jitter(before), jitter(after))


def test_a_flash_stays_a_flash(tmp_path: Path) -> None:
    # Lightning: three frames at twice the light, then back. Far beyond any flicker: kept as it was.
    flash = np.where((T >= 20) & (T < 23), 1.6, 0.8)
    before, after = deflicker(tmp_path, flash)
    _, plain = deflicker(tmp_path / "off", flash, DeflickerSection(enabled=False))
    assert before[21] - before[19] > 50.0
    assert np.abs(after - plain).max() < 1.0
