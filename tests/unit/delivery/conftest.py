"""Small synthetic masters and mixes for delivery tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microdrama.media.audio import SAMPLE_RATE
from microdrama.media.video import EncodeSettings, VideoWriter

FPS = 24


def write_counter_master(path: Path, frames: int, width: int = 90, height: int = 160) -> Path:
    """Each frame's brightness encodes its index, so a delivered frame can be traced to its source frame."""
    rng = np.random.default_rng(7)
    texture = rng.integers(-12, 13, (height, width, 3))
    with VideoWriter(path, width, height, FPS, EncodeSettings(crf=4)) as writer:
        for i in range(frames):
            writer.write(np.clip(20 + 9 * i + texture, 0, 255).astype(np.uint8))
    return path


def pink_mix(seconds: float, level_dbfs: float = -26.0) -> np.ndarray:
    rng = np.random.default_rng(3)
    n = round(seconds * SAMPLE_RATE)
    spectrum = np.fft.rfft(rng.standard_normal((n, 2)), axis=0)
    spectrum /= np.sqrt(np.arange(1, spectrum.shape[0] + 1))[:, None]
    noise = np.fft.irfft(spectrum, n=n, axis=0)
    return (noise / np.sqrt(np.mean(noise**2)) * 10 ** (level_dbfs / 20)).astype(np.float32)


@pytest.fixture
def master(tmp_path: Path) -> Path:
    return write_counter_master(tmp_path / "master.mp4", 24)


@pytest.fixture
def mix() -> np.ndarray:
    return pink_mix(1.0)
