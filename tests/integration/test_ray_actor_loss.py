"""A finishing actor lost mid-episode is restarted on Ray and its item redone: same episode bytes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from microdrama.runtime.ray_runner import RayRunner
from microdrama.runtime.stages import InProcessRunner, Progress, StageFactory
from tests.integration.test_finishing_on_ray import finish

pytestmark = pytest.mark.integration


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


def test_a_lost_actor_is_restarted_and_the_episode_finishes_identically(tmp_path: Path) -> None:
    marker = tmp_path / "grade-actor-died"
    ray_runner = RayRunner(num_cpus=2)
    try:
        on_ray = finish(tmp_path / "ray", _LosesOneActor(ray_runner, "grade", marker))
    finally:
        ray_runner.close()
    assert marker.exists(), "the grade actor's worker never died"
    lost_pid = int(marker.read_text())
    assert not Path(f"/proc/{lost_pid}").exists(), "the worker that died is still running"
    assert on_ray == finish(tmp_path / "local", InProcessRunner())
