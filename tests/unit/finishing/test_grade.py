from functools import partial
from pathlib import Path

import numpy as np
import pytest

from microdrama.errors import InputError
from microdrama.finishing import FinishingTemplate, FinishResult, finish_episode
from microdrama.finishing.stages.grade import LabProfile, correction
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
