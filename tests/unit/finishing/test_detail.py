from functools import partial
from pathlib import Path

import numpy as np

from microdrama.finishing import FinishingTemplate, finish_episode
from microdrama.finishing.measure import sharpness
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import FRAMES, PREFIX, decode, frames_of, put_clip, scene, template

DETAIL_ONLY = {"deflicker": {"enabled": False}, "grade": {"enabled": False}}


def finished_sharpness(root: Path, t: FinishingTemplate) -> dict[str, float]:
    """Sharpness of each shot as finished: a sharp take and the same kind of picture, soft."""
    store = LocalStore(root)
    steady = np.ones(FRAMES)
    shots = [
        ("sharp", put_clip(store, "sharp", frames_of(scene(4), steady))),
        ("soft", put_clip(store, "soft", frames_of(scene(5, blur=0.7), steady))),
    ]
    result = finish_episode(shots, t, runner=InProcessRunner(), store_factory=partial(LocalStore, root), prefix=PREFIX)
    return {shot: float(np.mean([sharpness(f) for f in decode(store, key)])) for shot, key in result.shot_keys.items()}


def test_soft_shot_is_sharpened_to_its_neighbours_detail(tmp_path: Path) -> None:
    upscale = {"sharpen": 0.3, "max_sharpen": 4.0}
    plain = finished_sharpness(tmp_path / "off", template(upscale={**upscale, "detail_match": False}, **DETAIL_ONLY))
    matched = finished_sharpness(tmp_path / "on", template(upscale=upscale, **DETAIL_ONLY))
    assert plain["soft"] < 0.75 * plain["sharp"]
    assert abs(matched["soft"] - matched["sharp"]) < 0.03 * matched["sharp"]
    assert abs(matched["sharp"] - plain["sharp"]) < 0.02 * plain["sharp"]  # the sharpest shot keeps the base amount
