from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import ShotStats
from microdrama.finishing.stages.grade import GradeStage
from microdrama.finishing.template import GradeSection
from microdrama.store.local import LocalStore

from .synth import PREFIX


def _numbered(store: LocalStore, tmp_path: Path, count: int, fps: int) -> tuple[str, ShotStats]:
    """A shot whose frame i reads i in its red channel, stored as an intermediate, and its stats."""
    path = tmp_path / "numbered.nut"
    with LosslessWriter(path, 16, 16, Fraction(fps)) as writer:
        for index in range(count):
            writer.write(np.full((16, 16, 3), (index, 0, 0), np.uint8))
    key = f"{PREFIX}/numbered.nut"
    store.put_file(key, path)
    means = np.zeros((count, 3))
    return key, ShotStats(16, 16, Fraction(fps), means, means, means, 0.0)


@pytest.mark.parametrize(
    ("frames", "fps", "taken"),
    [
        (24, 24, [0, 6, 12, 18]),  # a one-second shot: frames a quarter second apart, not every third frame
        (24, 30, [0, 8, 16]),  # the gap is time, not frames
        (64, 24, [0, 8, 16, 24, 32, 40, 48, 56]),  # a long shot: the count, evenly
    ],
)
def test_sampled_frames_are_spread_evenly_and_at_least_a_quarter_second_apart(
    tmp_path: Path, frames: int, fps: int, taken: list[int]
) -> None:
    store = LocalStore(tmp_path / "store")
    key, stats = _numbered(store, tmp_path, frames, fps)
    stage = GradeStage(lambda: store, GradeSection())
    stage.setup()
    sampled = stage.sample(key, stats, 8)
    assert [index for index, _ in sampled] == taken
    assert [int(frame[0, 0, 0]) for _, frame in sampled] == taken  # the frames themselves, not neighbours
