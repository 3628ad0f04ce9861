import json
import shutil
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from microdrama.errors import InputError
from microdrama.finishing import FinishResult, finish_episode
from microdrama.finishing.intermediate import SUFFIX as LOSSLESS_SUFFIX
from microdrama.media.probe import probe_video
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import FRAMES, HEIGHT, PREFIX, WIDTH, decode, frames_of, moving, put_clip, raw_key, scene, template

T = np.arange(FRAMES)
LENGTHS = {"s1": FRAMES, "s2": FRAMES - 6, "s3": FRAMES + 6}


def episode(
    root: Path, calls: list[tuple[str, int, int]] | None = None, workers: int = 1
) -> tuple[LocalStore, FinishResult]:
    """Three shots with the usual defects: flicker, a colour cast, softness; `workers` shots at a time."""
    store = LocalStore(root)
    pictures = {"s1": scene(1), "s2": scene(2) * np.array([1.2, 1.0, 0.8], np.float32), "s3": scene(3, blur=0.7)}
    shots = []
    for shot, picture in pictures.items():
        gains = 1 + 0.08 * np.sin(2 * np.pi * np.arange(LENGTHS[shot]) / 5) if shot == "s1" else np.ones(LENGTHS[shot])
        shots.append((shot, put_clip(store, shot, frames_of(picture, gains))))
    result = finish_episode(
        shots,
        template(),
        runner=InProcessRunner(workers),
        store_factory=partial(LocalStore, root),
        prefix=PREFIX,
        progress=(lambda stage, done, total: calls.append((stage, done, total))) if calls is not None else None,
    )
    return store, result


def test_episode_master_is_one_decodable_master_size_video(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    store, result = episode(tmp_path / "a", calls)
    with store.local_path(result.master_key, ".mp4") as path:
        info = probe_video(path)
    assert (info.width, info.height, info.codec) == (2 * WIDTH, 2 * HEIGHT, "h264")
    assert len(decode(store, result.master_key)) == sum(LENGTHS.values())
    assert result.template_hash in result.report["template_hash"] and result.template_hash[:12] in result.master_key
    assert set(result.shot_keys) == set(LENGTHS) and result.reference_shot == result.report["reference_shot"]
    finished = [stage for stage, done, total in calls if done == total]
    assert finished[:5] == ["analysis", "motion", "face-scan", "face", "reframe"]
    # The grade is decided beside detail, so either may finish first; the three scenes share nothing, so no shot
    # can bridge another to the reference and none is graded again.
    assert sorted(finished[5:7]) == ["detail", "grade"] and finished[7:] == ["master"]
    shots = {s["shot_id"]: s for s in result.report["shots"]}
    assert shots["s1"]["after"]["flicker"] < 0.2 * shots["s1"]["before"]["flicker"]
    assert shots["s3"]["sharpen"] > shots["s1"]["sharpen"]
    # The report lists the stages in the order they run, whichever of the grade and detail finished first.
    assert list(result.report["stages"]) == [
        "analysis",
        "motion",
        "face-scan",
        "face",
        "reframe",
        "grade",
        "detail",
        "master",
        "join",
    ]
    assert json.loads(json.dumps(result.report))["template_hash"] == result.template_hash


def test_rerun_redoes_nothing_and_shots_finished_side_by_side_get_identical_bytes(tmp_path: Path) -> None:
    store, first = episode(tmp_path / "a")
    _, again = episode(tmp_path / "a")
    assert again.master_key == first.master_key
    assert all(s.get("processed", 0) == 0 for s in again.report["stages"].values())
    fresh_store, fresh = episode(tmp_path / "b", workers=3)
    assert fresh.master_key == first.master_key
    assert fresh_store.get_bytes(fresh.master_key) == store.get_bytes(first.master_key)


def test_a_stage_whose_stored_outputs_were_expired_is_redone_and_the_master_is_the_same(tmp_path: Path) -> None:
    # Operators may expire a stage's objects (records and intermediates together) once an episode is delivered.
    store = LocalStore(tmp_path)
    take = [moving(t) for t in range(FRAMES)]
    take[11] = take[10]  # a dropped frame padded by a duplicate: the motion stage writes an intermediate
    shots = [("s1", put_clip(store, "s1", take)), ("s2", put_clip(store, "s2", frames_of(scene(2), np.ones(FRAMES))))]
    run = partial(
        finish_episode, shots, template(), runner=InProcessRunner(), store_factory=lambda: store, prefix=PREFIX
    )
    first = run()
    expired = store.list(f"{PREFIX}/motion/")
    assert any(key.endswith(LOSSLESS_SUFFIX) for key in expired)
    shutil.rmtree(tmp_path / PREFIX / "motion")
    again = run()
    assert again.master_key == first.master_key
    assert again.report["stages"]["motion"]["processed"] == 2
    assert again.report["stages"]["master"]["processed"] == 0  # the redone intermediate has the same key
    assert sorted(store.list(f"{PREFIX}/motion/")) == sorted(expired)


def test_bad_shot_lists_are_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    run = partial(
        finish_episode, template=template(), runner=InProcessRunner(), store_factory=lambda: store, prefix=PREFIX
    )
    key = put_clip(store, "s1", frames_of(scene(1), np.ones(4)))
    with pytest.raises(InputError, match="raw take not found"):
        run([("s1", key), ("s2", raw_key("s2"))])
    with pytest.raises(InputError, match="'s1' appears twice"):
        run([("s1", key), ("s1", key)])
    with pytest.raises(InputError, match=r"shot id '\.\./x'"):
        run([("../x", key)])
    with pytest.raises(InputError, match="at least one shot"):
        run([])


def test_shots_at_different_rates_are_brought_to_the_most_common_one(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    shots = [
        ("s1", put_clip(store, "s1", frames_of(scene(1), np.ones(24)), fps=24)),
        ("s2", put_clip(store, "s2", frames_of(scene(2), np.ones(30)), fps=30)),
        ("s3", put_clip(store, "s3", frames_of(scene(3), np.ones(12)), fps=24)),
    ]
    run = partial(
        finish_episode, shots, runner=InProcessRunner(), store_factory=partial(LocalStore, tmp_path), prefix=PREFIX
    )
    result = run(template(deflicker={"enabled": False}))
    assert result.report["fps"] == "24"
    with store.local_path(result.master_key, ".mp4") as path:
        info = probe_video(path)
    assert info.fps == 24 and len(decode(store, result.master_key)) == 24 + 24 + 12  # s2 kept its second
    with pytest.raises(InputError, match=r"different frame rates \(24, 30\) and motion is disabled"):
        run(template(motion={"enabled": False}))
