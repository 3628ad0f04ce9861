"""Finishing on a real local Ray: actors run the same stages and give the same bytes as in-process,
also when an actor's worker dies mid-episode (the actor is restarted and its item redone) and when
another job holds part of the cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray

from microdrama.finishing import finish_episode
from microdrama.runtime.ray_runner import RayRunner
from microdrama.runtime.stages import InProcessRunner, Progress, StageFactory, StageRunner
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


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return finish(tmp_path_factory.mktemp("local"), InProcessRunner())


@pytest.fixture(scope="module")
def ray_runner() -> Iterator[RayRunner]:
    runner = RayRunner(num_cpus=2)
    try:
        yield runner
    finally:
        runner.close()


def test_ray_actors_finish_the_episode_identically(tmp_path: Path, ray_runner: RayRunner, in_process: bytes) -> None:
    assert finish(tmp_path, ray_runner) == in_process


class _DiesOnce:
    """A stage whose worker process dies, as on an OOM kill or a lost node, the first time it gets an item."""

    def __init__(self, factory: StageFactory, marker: str) -> None:
        self.stage = factory()
        self.name, self.resources = self.stage.name, self.stage.resources
        self.marker = Path(marker)

    def setup(self) -> None:
        self.stage.setup()

    def process(self, item: Any) -> Any:
        if not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return self.stage.process(item)


class _LosesOneActor:
    """Runs on Ray, with the actors of one stage built to lose their worker once."""

    def __init__(self, ray_runner: RayRunner, stage: str, marker: Path) -> None:
        self.ray_runner, self.stage, self.marker = ray_runner, stage, marker

    def map(self, factory: StageFactory, items: Sequence[Any], progress: Progress | None = None) -> list[Any]:
        if factory().name == self.stage:
            factory = partial(_DiesOnce, factory, str(self.marker))
        return self.ray_runner.map(factory, items, progress)


def test_a_lost_actor_is_restarted_and_the_episode_finishes_identically(
    tmp_path: Path, ray_runner: RayRunner, in_process: bytes
) -> None:
    marker = tmp_path / "grade-actor-died"
    on_ray = finish(tmp_path / "store", _LosesOneActor(ray_runner, "grade", marker))
    assert marker.exists(), "the grade actor's worker never died"
    assert not Path(f"/proc/{marker.read_text()}").exists(), "the worker that died is still running"
    assert on_ray == in_process


class _OtherJob:
    """Another job's actor holding one of the cluster's CPUs for as long as it lives."""

    def ready(self) -> None:
        """Answers once the actor holds its CPU."""


def test_an_episode_finishes_on_the_cpus_another_job_leaves_free(
    tmp_path: Path, ray_runner: RayRunner, in_process: bytes
) -> None:
    other_job: Any = ray.remote(num_cpus=1)(_OtherJob)
    other = other_job.remote()
    ray.get(other.ready.remote())
    # Each stage sizes its actors to the whole cluster (2 CPUs); only one can start while the other job runs.
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(finish, tmp_path, ray_runner)
        try:
            master = running.result(timeout=120)
        except TimeoutError:
            pytest.fail("the episode waited on a stage actor the cluster could not place")
        finally:
            ray.kill(other)  # lets a waiting episode finish, so the pool can close
    assert master == in_process
