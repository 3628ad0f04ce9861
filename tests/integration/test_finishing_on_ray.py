"""Finishing on a real local Ray: actors run the same stages and give the same bytes as in-process."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

from microdrama.finishing import finish_episode
from microdrama.runtime.ray_runner import RayRunner
from microdrama.runtime.stages import InProcessRunner, StageRunner
from microdrama.store.local import LocalStore
from tests.unit.finishing.synth import FRAMES, PREFIX, frames_of, put_clip, scene, template

pytestmark = pytest.mark.integration


def finish(root: Path, runner: StageRunner) -> bytes:
    store = LocalStore(root)
    shots = []
    for index, cast in enumerate(([1.0, 1.0, 1.0], [1.2, 1.0, 0.8], [0.9, 1.0, 1.1]), start=1):
        gains = 1 + 0.06 * np.sin(np.arange(FRAMES) * (index + 1))
        picture = scene(index) * np.array(cast, np.float32)
        shots.append((f"s{index}", put_clip(store, f"s{index}", frames_of(picture, gains))))
    progress: list[tuple[str, int, int]] = []
    result = finish_episode(
        shots,
        template(),
        runner=runner,
        store_factory=partial(LocalStore, root),
        prefix=PREFIX,
        progress=lambda stage, done, total: progress.append((stage, done, total)),
    )
    assert ("master", 3, 3) in progress
    return store.get_bytes(result.master_key)


def test_ray_actors_finish_the_episode_identically(tmp_path: Path) -> None:
    runner = RayRunner(num_cpus=2)
    try:
        on_ray = finish(tmp_path / "ray", runner)
    finally:
        runner.close()
    assert on_ray == finish(tmp_path / "local", InProcessRunner())
