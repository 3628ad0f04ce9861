"""The model-upscale stage on real Ray actors gives the same pictures as in-process."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

from microdrama.finishing.stages.model_upscale import ModelUpscaleItem, ModelUpscaleStage
from microdrama.runtime.stages import InProcessRunner, StageRunner
from microdrama.store.local import LocalStore
from tests.unit.finishing.synth import PREFIX, decode, frames_of, put_clip, scene
from tests.unit.models.official import compact_layout, random_state, save
from tests.unit.models.test_finishing_stage import _model_template

pytestmark = pytest.mark.integration


def test_model_stage_on_ray_actors_matches_in_process(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the model stage needs the models extra")
    from microdrama.runtime.ray_runner import RayRunner

    weights = save(tmp_path / "tiny-x2.pth", random_state(compact_layout(2, feat=8, scale=2)), "params")
    root = tmp_path / "store"
    store = LocalStore(root)
    items = [
        ModelUpscaleItem(
            sid,
            put_clip(store, sid, frames_of(scene(i), np.ones(4))),
            f"{PREFIX}/{sid}.json",
            f"{PREFIX}/{runner_name}-{sid}.mkv",
        )
        for runner_name in ("ray", "local")
        for i, sid in enumerate(("a", "b"), 1)
    ]
    factory = partial(ModelUpscaleStage, partial(LocalStore, root), _model_template(weights).upscale, tmp_path)

    def run(runner: StageRunner, name: str) -> list[np.ndarray]:
        return [decode(store, r.key) for r in runner.map(factory, [i for i in items if f"/{name}-" in i.dst_key])]

    runner = RayRunner(num_cpus=2)
    try:
        on_ray = run(runner, "ray")
    finally:
        runner.close()
    local = run(InProcessRunner(), "local")
    assert all(np.array_equal(a, b) for a, b in zip(on_ray, local, strict=True))
