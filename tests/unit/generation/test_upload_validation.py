"""Uploaded takes are bounded before anyone decodes them; bad files are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microdrama.errors import MediaError
from microdrama.generation.upload import validate_take
from microdrama.media.audio import write_wav
from microdrama.media.probe import MediaLimits
from microdrama.media.video import VideoWriter


def test_empty_file_is_rejected_by_name(tmp_path: Path) -> None:
    take = tmp_path / "empty_take.mp4"
    take.write_bytes(b"")
    with pytest.raises(MediaError, match=r"empty_take\.mp4"):
        validate_take(take, MediaLimits())


def test_text_file_is_rejected_by_name(tmp_path: Path) -> None:
    take = tmp_path / "notes.mp4"
    take.write_text("INT. MANOR - NIGHT\nThis is a script, not a take.\n")
    with pytest.raises(MediaError, match=r"notes\.mp4"):
        validate_take(take, MediaLimits())


def test_audio_only_file_is_rejected_by_name(tmp_path: Path) -> None:
    take = tmp_path / "voice.wav"
    write_wav(take, np.zeros((4800, 1), np.float32))
    with pytest.raises(MediaError, match=r"voice\.wav.*no video stream"):
        validate_take(take, MediaLimits())


def test_take_over_the_limits_is_rejected(tmp_path: Path) -> None:
    take = tmp_path / "long.mp4"
    with VideoWriter(take, 64, 64, 24) as out:
        for _ in range(30):
            out.write(np.zeros((64, 64, 3), np.uint8))
    assert validate_take(take, MediaLimits()).frame_count == 30
    with pytest.raises(MediaError, match=r"long\.mp4"):
        validate_take(take, MediaLimits(max_frames=24))
