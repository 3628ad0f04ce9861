from collections import Counter
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
import pytest

from microdrama.errors import InputError
from microdrama.finishing import FinishingTemplate, FinishResult, finish_episode
from microdrama.finishing.shared_colour import Sampled, cast_gains
from microdrama.finishing.stages.analysis import AnalysisItem, AnalysisStage
from microdrama.finishing.stages.grade import GradeItem, GradeStage, LabProfile, correction
from microdrama.finishing.template import GradeSection
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import FRAMES, PREFIX, decode, frames_of, lab_mean, put_clip, scene, template

WARM_CAST = np.array([1.25, 1.0, 0.7], np.float32)
GRADE_ONLY: dict[str, dict[str, object]] = {
    "deflicker": {"enabled": False},
    "upscale": {"detail_match": False, "sharpen": 0.0},
}


def finish(root: Path, t: FinishingTemplate) -> tuple[LocalStore, FinishResult]:
    store = LocalStore(root)
    steady = np.ones(FRAMES)
    shots = [
        ("s1", put_clip(store, "s1", frames_of(scene(1), steady))),
        ("s2", put_clip(store, "s2", frames_of(scene(2) * WARM_CAST, steady))),
        ("s3", put_clip(store, "s3", frames_of(scene(3), steady))),
    ]
    result = finish_episode(shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, root), prefix=PREFIX)
    return store, result


def delta_e(store: LocalStore, result: FinishResult, a: str, b: str) -> float:
    means = [lab_mean(decode(store, result.shot_keys[s])) for s in (a, b)]
    return float(np.linalg.norm(means[0] - means[1]))


def test_colour_cast_is_undone_to_the_auto_reference(tmp_path: Path) -> None:
    _, ungraded = finish(tmp_path / "off", template(grade={"enabled": False}, **GRADE_ONLY))
    store, graded = finish(tmp_path / "on", template(**GRADE_ONLY))
    reference = graded.reference_shot
    assert reference in ("s1", "s3")  # the cast shot is never the most representative
    assert graded.report["reference_shot"] == reference
    assert delta_e(LocalStore(tmp_path / "off"), ungraded, "s2", reference) > 10.0
    assert delta_e(store, graded, "s2", reference) < 1.5


def test_named_reference_is_used_and_an_unknown_one_refused(tmp_path: Path) -> None:
    store, result = finish(tmp_path / "named", template(grade={"reference": "s2"}, **GRADE_ONLY))
    assert result.reference_shot == "s2" and not result.report["reference_auto"]
    assert delta_e(store, result, "s1", "s2") < 1.5
    with pytest.raises(InputError, match=r"grade\.reference names shot 's9'"):
        finish(tmp_path / "missing", template(grade={"reference": "s9"}, **GRADE_ONLY))


def test_a_shot_of_different_content_is_moved_no_further_than_the_caps() -> None:
    # A meadow against a grey reference: its green is content, not a cast; the grade may only nudge it.
    meadow = LabProfile(mean=(55.0, -40.0, 45.0), std=(10.0, 8.0, 8.0))
    grey = LabProfile(mean=(50.0, 0.0, 0.0), std=(20.0, 2.0, 2.0))
    settings = GradeSection(max_shift=10.0, max_scale=1.25)
    gain, offset = correction(meadow, grey, settings)
    moved = gain * np.array(meadow.mean) + offset - np.array(meadow.mean)
    assert np.allclose(moved, [-5.0, 10.0, -10.0])
    assert np.allclose(gain, [1.25, 0.8, 0.8])


def _landscape(seed: int) -> np.ndarray:
    """A wide scene of shapes (uint8 RGB), a set two shots can frame differently."""
    rng = np.random.default_rng(seed)
    picture = np.full((300, 480, 3), 120, np.uint8)
    for _ in range(90):
        colour = tuple(int(c) for c in rng.integers(30, 220, 3))
        x, y = (int(v) for v in rng.integers(0, (480, 300)))
        if rng.random() < 0.5:
            cv2.rectangle(picture, (x, y), (x + int(rng.integers(8, 40)), y + int(rng.integers(8, 40))), colour, -1)
        else:
            cv2.circle(picture, (x, y), int(rng.integers(4, 20)), colour, -1)
    return picture


def test_a_cast_is_read_where_the_shot_shares_the_reference_and_not_from_new_content() -> None:
    scene_ = _landscape(5)
    reference = [np.ascontiguousarray(scene_[:, 0:270])]
    framed = scene_[:, 160:430].astype(np.float32)
    framed[:, 150:] = (40, 170, 60)  # a meadow the reference never shows: content, not cast
    cast = np.array([1.1, 0.95, 0.85], np.float32)
    shot = [np.clip(framed * cast, 0, 255).astype(np.uint8)]
    gains = cast_gains(Sampled.of(shot), Sampled.of(reference))
    assert gains is not None
    assert np.allclose(gains, 1 / cast, rtol=0.02), gains


def test_shared_regions_whose_colours_no_cast_explains_give_no_cast() -> None:
    # The same set, every colour turned about grey with its luma kept (a repaint, not a change of light):
    # the features match and the luma agrees, but per-channel gains cannot explain the colours.
    x = np.linspace(-0.3, 0.3, 270, dtype=np.float32)
    wash = np.stack([1 + x, np.ones_like(x), 1 - x], axis=-1)  # warm on the left, cool on the right: no grey
    picture = np.asarray(np.clip(_landscape(5)[:, :270] * wash, 0, 255).astype(np.uint8))
    ycrcb = cv2.cvtColor(picture, cv2.COLOR_RGB2YCrCb).astype(np.int16)
    cr, cb = ycrcb[..., 1] - 128, ycrcb[..., 2] - 128
    ycrcb[..., 1], ycrcb[..., 2] = 128 + cb, 128 - cr  # chroma turned a quarter turn
    repainted = cv2.cvtColor(np.clip(ycrcb, 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2RGB)
    assert cast_gains(Sampled.of([repainted]), Sampled.of([picture])) is None


def test_a_cast_is_read_past_lifted_blacks() -> None:
    # Half the set is near black, where the shot's blacks sit 3 code values higher (a pedestal, as blur and
    # compression leave): ratios of such values say nothing about the cast and must not pull it.
    picture = _landscape(7)[:, :270].astype(np.float32)
    picture[:, 135:] = 6 + picture[:, 135:] * 0.08
    cast = np.array([1.08, 0.96, 0.9], np.float32)
    shot = np.clip(np.rint(picture * cast + 3 * (picture < 25)), 0, 255).astype(np.uint8)
    gains = cast_gains(Sampled.of([shot]), Sampled.of([picture.astype(np.uint8)]))
    assert gains is not None
    assert np.allclose(gains, 1 / cast, rtol=0.02), gains


def test_shots_that_share_nothing_give_no_shared_cast() -> None:
    assert cast_gains(Sampled.of([_landscape(1)[:, :270]]), Sampled.of([_landscape(2)[:, :270]])) is None


def test_a_cast_is_read_where_two_shots_meet_at_their_cut() -> None:
    # Consecutive shots of a scene share the set only around the cut: the reference's last sampled frame and the
    # shot's first. Their other frames show other things (a new angle), which the matching must not need.
    scene_ = _landscape(5)
    cast = np.array([1.1, 0.95, 0.85], np.float32)
    elsewhere = [np.ascontiguousarray(_landscape(seed)[:, :270]) for seed in (11, 12, 13, 14, 15, 16)]
    reference = [*elsewhere[:3], np.ascontiguousarray(scene_[:, 0:270])]
    met = np.clip(scene_[:, 40:310].astype(np.float32) * cast, 0, 255).astype(np.uint8)
    shot = [met, *elsewhere[3:]]
    gains = cast_gains(Sampled.of(shot), Sampled.of(reference))
    assert gains is not None
    assert np.allclose(gains, 1 / cast, rtol=0.02), gains


def test_a_cast_is_read_where_the_shared_set_sits_beside_a_busy_patch() -> None:
    # A high-contrast pattern (a checked shirt, a sign) beside the set holds the frame's strongest corners: the
    # quick first match of a few of each frame's features must still find the set.
    def busy(seed: int, width: int) -> np.ndarray:
        checks = np.random.default_rng(seed).integers(0, 2, (51, width // 6 + 1)) * 200 + 25
        return np.repeat(np.repeat(checks, 6, 0), 6, 1)[:300, :width, None].repeat(3, 2).astype(np.uint8)

    scene_ = _landscape(5)
    cast = np.array([1.1, 0.95, 0.85], np.float32)
    reference = scene_[:, 0:270].copy()
    reference[:, 180:] = busy(1, 90)
    shot = np.clip(scene_[:, 40:310].astype(np.float32) * cast, 0, 255).astype(np.uint8)
    shot[:, 150:] = busy(2, 120)
    gains = cast_gains(Sampled.of([shot]), Sampled.of([reference]))
    assert gains is not None
    assert np.allclose(gains, 1 / cast, rtol=0.02), gains


class CountingStore(LocalStore):
    """A local store that counts the reads of each key."""

    def __init__(self, root: Path, reads: Counter[str]) -> None:
        super().__init__(root)
        self.reads = reads

    def local_path(self, key: str, suffix: str = "") -> AbstractContextManager[Path]:
        self.reads[key] += 1
        return super().local_path(key, suffix)


def test_the_reference_is_read_once_however_many_shots_are_matched_to_it(tmp_path: Path) -> None:
    # An episode has 40-80 shots, all matched to one reference: decoding it once per shot would cost a shot each.
    reads: Counter[str] = Counter()
    factory = partial(CountingStore, tmp_path, reads)
    store = factory()
    steady = np.ones(FRAMES)
    set_ = _landscape(5).astype(np.float32)  # one set, framed three ways, each shot with a cast of its own
    shots = {
        "ref": set_[:, 0:270],
        "warm": set_[:, 40:310] * [1.1, 0.95, 0.85],
        "cool": set_[:, 80:350] * [0.9, 1.0, 1.1],
        "green": set_[:, 120:390] * [0.95, 1.1, 0.95],
    }
    keys = {name: put_clip(store, name, frames_of(picture, steady)) for name, picture in shots.items()}
    runner = InProcessRunner()
    analysed = [AnalysisItem(name, key, f"{PREFIX}/{name}.json", False) for name, key in keys.items()]
    stats = {name: a.stats for name, a in zip(keys, runner.map(partial(AnalysisStage, factory), analysed), strict=True)}
    items = [
        GradeItem(
            name,
            keys[name],
            f"{PREFIX}/grade-{name}.json",
            stats[name],
            LabProfile.of(stats[name]),
            LabProfile.of(stats["ref"]),
            keys["ref"],
            stats["ref"],
            None,
        )
        for name in ("warm", "cool", "green")
    ]
    grade = partial(GradeStage, factory, GradeSection())
    reads.clear()
    together = runner.map(grade, items)
    assert reads[keys["ref"]] == 1
    assert together == [runner.map(grade, [item])[0] for item in items]  # each as a stage of its own decides
    assert all(decision.gains is not None for decision in together)


def test_a_shot_sharing_nothing_with_the_reference_is_matched_through_one_that_shares_with_both(
    tmp_path: Path,
) -> None:
    # A wide set framed three ways: the far framing shows none of what the reference shows, the middle one some
    # of each. Lab statistics would read the far shot's other content as a cast; the middle shot bridges them.
    store = LocalStore(tmp_path)
    set_ = cv2.resize(_landscape(5), (540, 480), interpolation=cv2.INTER_AREA).astype(np.float32)
    far_cast = np.array([0.85, 1.0, 1.15], np.float32)
    framings = {"ref": set_[:, 0:270], "middle": set_[:, 135:405] * [1.1, 0.95, 0.9], "far": set_[:, 270:540]}
    framings["far"] = framings["far"] * far_cast
    shots = [(name, put_clip(store, name, frames_of(picture, np.ones(FRAMES)))) for name, picture in framings.items()]
    t = template(grade={"reference": "ref"}, **GRADE_ONLY)
    result = finish_episode(
        shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, tmp_path), prefix=PREFIX
    )
    assert result.report["stages"]["grade-bridged"]["processed"] == 1  # only the far shot needed a bridge
    matched = {shot["shot_id"]: shot["grade"]["matched_by"] for shot in result.report["shots"]}
    assert matched == {"ref": "reference", "middle": "shared regions", "far": "shared regions through another shot"}
    uncast = lab_mean(np.stack(frames_of(set_[:, 270:540], np.ones(1))))
    # Through the bridge the far shot comes out within 0.7 of its uncast colour; by statistics, 1.4 off.
    assert np.linalg.norm(lab_mean(decode(store, result.shot_keys["far"])) - uncast) < 1.0
    # The middle shot regenerated: only it is graded directly again; the far shot, bridged through it, again too.
    shots[1] = ("middle", put_clip(store, "middle-2", frames_of(set_[:, 135:405], np.ones(FRAMES))))
    again = finish_episode(
        shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, tmp_path), prefix=PREFIX
    )
    assert again.report["stages"]["grade"]["processed"] == 1
    assert again.report["stages"]["grade-bridged"]["processed"] == 1


def test_the_shots_of_another_scene_try_only_the_bridges_nearest_them_in_the_edit(tmp_path: Path) -> None:
    # Six framings of the reference's set share regions with it, so each can bridge; the last two shots are another
    # scene and share nothing with any. Trying every bridge would make an episode of two scenes cost (shots of
    # one) x (shots of the other) matches; they try the four nearest them and are graded by statistics.
    reads: Counter[str] = Counter()
    factory = partial(CountingStore, tmp_path, reads)
    store = factory()
    set_ = _landscape(5)
    framings = {"ref": set_[:, 0:270], **{f"b{k}": set_[:, 10 * k : 10 * k + 270] for k in range(1, 7)}}
    framings |= {"other": _landscape(9)[:, 0:270], "another": _landscape(9)[:, 210:480]}
    shots = [(name, put_clip(store, name, frames_of(picture, np.ones(FRAMES)))) for name, picture in framings.items()]
    result = finish_episode(
        shots,
        template(grade={"reference": "ref"}, **GRADE_ONLY),
        runner=InProcessRunner(),
        store_factory=factory,
        prefix=PREFIX,
    )
    matched = {shot["shot_id"]: shot["grade"]["matched_by"] for shot in result.report["shots"]}
    assert matched == {"ref": "reference", "other": "Lab statistics", "another": "Lab statistics"} | {
        f"b{k}": "shared regions" for k in range(1, 7)
    }

    def pictures_read(shot_id: str) -> int:  # its raw take's and its stage outputs' reads
        return sum(n for key, n in reads.items() if PurePosixPath(key).name.startswith((f"{shot_id}.", f"{shot_id}-")))

    # The bridges the two tried were read once more than the shots they did not try: once for both (one worker).
    assert [pictures_read(f"b{k}") - pictures_read("b1") for k in range(1, 7)] == [0, 0, 1, 1, 1, 1]
