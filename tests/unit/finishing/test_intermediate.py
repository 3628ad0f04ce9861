from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from microdrama.errors import MediaError
from microdrama.finishing.intermediate import LosslessWriter, UpscaledWriter
from microdrama.media.probe import MediaLimits
from microdrama.media.video import FrameWriter, read_frames

Writer = Callable[[Path, int, int, Fraction], FrameWriter]


def _noise(count: int) -> list[np.ndarray]:
    """Frames no lossy codec keeps bit for bit: every pixel random, each frame different."""
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (96, 54, 3), dtype=np.uint8) for _ in range(count)]


def _write(path: Path, frames: list[np.ndarray], writer_type: Writer = LosslessWriter) -> Path:
    with writer_type(path, 54, 96, Fraction(24)) as writer:
        for frame in frames:
            writer.write(frame)
    return path


@pytest.mark.parametrize("exact_colour", [False, True])
@pytest.mark.parametrize("writer_type", [LosslessWriter, UpscaledWriter])
def test_an_intermediate_gives_back_every_frame_bit_for_bit(
    tmp_path: Path, exact_colour: bool, writer_type: Writer
) -> None:
    frames = _noise(9)
    back = list(read_frames(_write(tmp_path / "i", frames, writer_type), exact_colour=exact_colour))
    assert len(back) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(back, frames, strict=True))


def test_sampling_an_intermediate_gives_exactly_the_frames_sampled(tmp_path: Path) -> None:
    # Intermediates hold every frame on its own, so a stage sampling them decodes only the frames it takes.
    frames = _noise(10)
    back = list(read_frames(_write(tmp_path / "i.nut", frames), every=3))
    assert len(back) == 4
    assert all(np.array_equal(a, b) for a, b in zip(back, frames[::3], strict=True))


def test_frames_skipped_by_sampling_still_count_against_the_frame_limit(tmp_path: Path) -> None:
    path = _write(tmp_path / "i.nut", _noise(10))
    # The header's estimate (from its duration) may pass a limit that decoding then finds exceeded.
    with pytest.raises(MediaError, match=r"more than 9 frames|over the limit of 9"):
        list(read_frames(path, MediaLimits(max_frames=9), every=5))
