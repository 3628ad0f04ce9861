"""The encoder thread: frames arrive in order and complete; an encoder failure reaches the producer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microdrama.media.video import EncodeSettings, VideoWriter, read_video
from microdrama.models.background_writer import BackgroundWriter

LOSSLESS = EncodeSettings(crf=0, preset="ultrafast", profile=None)


def test_frames_are_encoded_in_order_through_a_small_queue(tmp_path: Path) -> None:
    frames = [np.full((32, 48, 3), 20 * i, np.uint8) for i in range(10)]
    with BackgroundWriter(VideoWriter(tmp_path / "o.mp4", 48, 32, 24, LOSSLESS), depth=2) as writer:
        for frame in frames:
            writer.write(frame)
    decoded = read_video(tmp_path / "o.mp4")
    assert len(decoded) == 10
    # In order, each within the RGB -> limited-range YUV -> RGB round trip of its value.
    assert np.abs(np.array([f.mean() for f in decoded]) - 20 * np.arange(10)).max() <= 2


def test_an_encoder_error_is_raised_to_the_producer_and_the_partial_file_removed(tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    with (
        pytest.raises(ValueError, match=r"frame \(16, 16, 3\) uint8, expected \(32, 48, 3\)"),
        BackgroundWriter(VideoWriter(out, 48, 32, 24, LOSSLESS)) as writer,
    ):
        writer.write(np.zeros((32, 48, 3), np.uint8))
        writer.write(np.zeros((16, 16, 3), np.uint8))
    assert not out.exists()
