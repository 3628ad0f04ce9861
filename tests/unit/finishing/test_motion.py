from collections.abc import Callable, Iterable
from fractions import Fraction
from functools import partial
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

from microdrama.finishing.measure import gray
from microdrama.finishing.stages.analysis import AnalysisItem, AnalysisStage
from microdrama.finishing.stages.base import Rendered
from microdrama.finishing.stages.motion import MotionItem, MotionStage, find_judder, measure_motion, plan_retiming
from microdrama.media.video import read_frames
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import FRAMES, PREFIX, decode, moving, put_clip

PAN = (2.5, 1.0)
DROPPED = 11


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def shift(a: np.ndarray, b: np.ndarray) -> float:
    """Horizontal displacement from a to b in pixels (phase correlation of the luma)."""
    la, lb = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float64) for f in (a, b))
    (dx, _), _ = cv2.phaseCorrelate(la, lb)
    return float(dx)


def steps(frames: Iterable[np.ndarray]) -> np.ndarray:
    return np.array([shift(a, b) for a, b in pairwise(frames)])


def through_stage(
    tmp_path: Path, frames: list[np.ndarray], fps: Fraction | None = None, repair: bool = True
) -> tuple[np.ndarray, np.ndarray, Rendered, str]:
    """The clip as decoded, the motion stage's output decoded, its result and the input's key."""
    store_factory = partial(LocalStore, tmp_path / "store")
    store = store_factory()
    key = put_clip(store, "take", frames)
    runner = InProcessRunner()
    analysed = runner.map(partial(AnalysisStage, store_factory), [AnalysisItem("take", key, f"{PREFIX}/a.json", True)])
    item = MotionItem(
        "take", key, f"{PREFIX}/m.json", f"{PREFIX}/m.mkv", analysed[0].stats, analysed[0].motion, fps, repair
    )
    out = runner.map(partial(MotionStage, store_factory), [item])[0]
    return decode(store, key, exact_colour=True), decode(store, out.key), out, key


def test_a_dropped_frame_padded_by_a_duplicate_is_rebuilt_close_to_the_truth(tmp_path: Path) -> None:
    truth = [moving(t, pan=PAN) for t in range(FRAMES)]
    take = list(truth)
    take[DROPPED] = take[DROPPED - 1]  # the generator lost a frame and repeated the one before
    source, out, rendered, _ = through_stage(tmp_path, take)
    assert len(out) == FRAMES and rendered.stats.fps == 24
    rebuilt, duplicated = psnr(out[DROPPED], truth[DROPPED]), psnr(source[DROPPED], truth[DROPPED])
    assert rebuilt >= duplicated + 2.0, (rebuilt, duplicated)
    untouched = [i for i in range(FRAMES) if i != DROPPED]
    assert np.array_equal(out[untouched], source[untouched])  # judder repair touches only the bad frame


def test_clean_motion_passes_through_untouched(tmp_path: Path) -> None:
    _, out, rendered, key = through_stage(tmp_path, [moving(t, pan=PAN) for t in range(FRAMES)])
    assert rendered.key == key and len(out) == FRAMES


def test_a_lone_dropped_frame_is_retimed_into_a_brief_speed_up(tmp_path: Path) -> None:
    take = [moving(t, pan=PAN) for t in range(FRAMES + 1) if t != DROPPED]
    source, out, _, _ = through_stage(tmp_path, take)
    assert len(out) == FRAMES and np.abs(steps(source)).max() > 1.8 * PAN[0]  # the jump was there
    assert np.abs(steps(out)).max() < 1.4 * PAN[0]  # and is spread over neighbouring frames


def test_24_to_30_fps_keeps_the_duration_and_moves_smoothly(tmp_path: Path) -> None:
    _, out, rendered, _ = through_stage(tmp_path, [moving(t, pan=PAN) for t in range(FRAMES)], Fraction(30))
    assert len(out) == FRAMES * 30 // 24 and rendered.stats.fps == 30
    truth = [moving(j * 0.8, pan=PAN) for j in range(len(out))]
    error = steps(out) - steps(truth)
    assert np.abs(error).max() < 0.25, error  # even steps, as if it had been shot at 30 fps
    assert min(psnr(frame, true) for frame, true in zip(out, truth, strict=True)) > 30.0


def test_a_cut_is_not_mistaken_for_a_dropped_frame() -> None:
    frames = [moving(t, pan=PAN) for t in range(12)] + [moving(t, seed=7, pan=PAN) for t in range(12)]
    judder = find_judder(measure_motion(map(gray, frames)))
    assert judder.cut.nonzero()[0].tolist() == [12]
    assert not judder.missing.any() and not judder.duplicate.any()


def test_a_still_shot_has_no_judder() -> None:
    frames = [moving(0.0)] * 6 + [moving(0.0) // 2 + 60] * 6
    judder = find_judder(measure_motion(map(gray, frames)))
    assert not (judder.duplicate.any() or judder.missing.any())


@pytest.mark.parametrize(
    "position",
    [lambda k: 1.5 * k + 0.05 * k * k, lambda k: k + 0.6 * np.sin(1.3 * k)],
    ids=["accelerating", "irregular"],
)
def test_genuine_irregular_motion_is_not_retimed(position: Callable[[int], float]) -> None:
    # Every frame is there, but the step changes from frame to frame: nothing is missing or held.
    frames = [moving(position(k), pan=(1.5, 0.5)) for k in range(FRAMES)]
    judder = find_judder(measure_motion(map(gray, frames)))
    assert not (judder.duplicate.any() or judder.missing.any()), (judder.duplicate, judder.missing)
    assert plan_retiming(judder, Fraction(24)).identity


def test_real_footage_with_flicker_is_not_retimed(shared_data: Path) -> None:
    # SMPTE bars cut to 9:16 at 270x480 with the benchmark's flicker: no frame is missing, so none may move.
    rng = np.random.default_rng(3)
    frames = []
    for index, rgb in enumerate(read_frames(shared_data / "clips" / "smpte-2997.mp4")):
        if index == 48:
            break
        height, width = rgb.shape[:2]
        left = (width - round(height * 9 / 16)) // 2
        gain = 1 + 0.06 * np.sin(2 * np.pi * index / 5.3) + rng.normal(0, 0.02)
        small = cv2.resize(np.ascontiguousarray(rgb[:, left : width - left]), (270, 480), interpolation=cv2.INTER_AREA)
        frames.append(np.clip(np.rint(small * gain), 0, 255).astype(np.uint8))
    judder = find_judder(measure_motion(map(gray, frames)))
    assert not (judder.duplicate.any() or judder.missing.any()), (judder.duplicate, judder.missing)
    assert plan_retiming(judder, Fraction(30000, 1001)).identity


def test_a_duplicate_in_a_slow_drift_is_found_by_its_plain_difference_and_rebuilt(tmp_path: Path) -> None:
    # A slow drift (a fifth of PAN a frame) with one frame lost and padded by the one before.
    truth = [moving(0.2 * t, pan=PAN) for t in range(FRAMES)]
    take = list(truth)
    take[DROPPED] = take[DROPPED - 1]
    judder = find_judder(measure_motion(map(gray, take)))
    assert judder.duplicate.nonzero()[0].tolist() == [DROPPED]
    source, out, _, _ = through_stage(tmp_path, take)
    # Luma, as the benchmark measures: the 4:2:0 take lost the truth's chroma detail before any stage ran,
    # which at half a pixel of drift limits a frame's RGB PSNR more than its position does.
    rebuilt, duplicated = (psnr(gray(f[DROPPED]), gray(truth[DROPPED])) for f in (out, source))
    assert rebuilt >= duplicated + 2.0, (rebuilt, duplicated)


def test_a_duplicate_in_a_grainy_creep_is_rebuilt_alone(tmp_path: Path) -> None:
    # Creeping a twentieth of a pixel a frame under grain: too slow to see whether a frame is missing after the
    # duplicate. Either way the duplicate is rebuilt; no other frame may move for it.
    rng = np.random.default_rng(1)
    grain = [rng.normal(0, 1, (*moving(0).shape[:2], 3)) for _ in range(FRAMES)]
    take = [np.clip(moving(0.02 * t, pan=PAN) + g, 0, 255).astype(np.uint8) for t, g in enumerate(grain)]
    take[DROPPED] = take[DROPPED - 1]
    source, out, rendered, key = through_stage(tmp_path, take)
    assert rendered.key != key and not np.array_equal(out[DROPPED], source[DROPPED])
    untouched = [i for i in range(FRAMES) if i != DROPPED]
    assert np.array_equal(out[untouched], source[untouched])


def test_a_held_frame_in_steady_motion_becomes_a_brief_slow_down() -> None:
    # The generator showed frame 11 twice and lost nothing: the motion after it is one ordinary step.
    take = [moving(t, pan=PAN) for t in range(DROPPED + 1)] + [moving(t, pan=PAN) for t in range(DROPPED, FRAMES - 1)]
    judder = find_judder(measure_motion(map(gray, take)))
    assert judder.duplicate.nonzero()[0].tolist() == [DROPPED + 1] and not judder.missing.any()
    plan = plan_retiming(judder, Fraction(24))
    assert sum(s > 0 for _, _, s in plan.picks) > 1  # the stall is spread over its neighbours, not one jerk


def test_a_duplicate_in_irregular_motion_is_rebuilt_alone(tmp_path: Path) -> None:
    # A bird flapping: the step changes from frame to frame (half speed before the duplicate, one and a half
    # after), so whether a frame was lost after it cannot be told from the motion. It is taken as the usual
    # defect: the duplicate rebuilt, no other frame moved.
    steps = np.full(FRAMES, 2.0)
    steps[0], steps[DROPPED - 1 : DROPPED + 3] = 0.0, (1.0, 0.8, 0.8, 3.0)
    truth = [moving(x, pan=(1.0, 0.4)) for x in np.cumsum(steps)]
    take = list(truth)
    take[DROPPED] = take[DROPPED - 1]
    source, out, _, _ = through_stage(tmp_path, take)
    untouched = [i for i in range(FRAMES) if i != DROPPED]
    assert np.array_equal(out[untouched], source[untouched])
    assert psnr(out[DROPPED], truth[DROPPED]) > psnr(source[DROPPED], truth[DROPPED]) + 2.0
