"""Synthetic episodes with known defects: a master, a shot list and a mix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from microdrama.audio.loudness import normalise
from microdrama.domain.shots import Shot, ShotList
from microdrama.media.audio import SAMPLE_RATE
from microdrama.media.video import EncodeSettings, VideoWriter

FPS = 24
SHOT_FRAMES = 24
SHOTS = 5  # 5 s: shots s00-s02 lie in the opening 3 s, s03-s04 after it
W, H = 90, 160


@dataclass
class _Look:
    """How one synthetic shot differs from a clean one."""

    flicker: float = 0.0  # alternating +/- luma offset, code values
    blur: bool = False
    cast: tuple[float, float, float] = (0.0, 0.0, 0.0)  # RGB offsets
    black: Iterable[int] = ()
    freeze: range | None = None  # frames that repeat the frame before the range


def _shot_frames(seed: int, look: _Look, n: int = SHOT_FRAMES) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    texture = np.clip(rng.normal(120, 30, (H, W * 2, 3)), 0, 255).astype(np.float32)
    if look.blur:
        texture = cv2.GaussianBlur(texture, (0, 0), 2.5).astype(np.float32)
    black = set(look.black)
    frames: list[np.ndarray] = []
    for i in range(n):
        if look.freeze is not None and i in look.freeze:
            frames.append(frames[-1])
            continue
        # A slow pan, so consecutive frames always differ as in real footage.
        img = texture[:, i : i + W] + np.array(look.cast, np.float32) + (look.flicker if i % 2 else -look.flicker)
        frame = np.clip(np.round(img), 0, 255).astype(np.uint8)
        frames.append(np.zeros_like(frame) if i in black else frame)
    return frames


def _write_master(path: Path, looks: dict[int, dict[str, Any]], width: int, shots: int) -> Path:
    # Near-lossless, so what QC measures is the defect put in, not the encoder's noise.
    with VideoWriter(path, width, H, FPS, EncodeSettings(crf=4)) as writer:
        for s in range(shots):
            for frame in _shot_frames(s, _Look(**looks.get(s, {}))):
                writer.write(frame if width == W else cv2.resize(frame, (width, H), interpolation=cv2.INTER_AREA))
    return path


@pytest.fixture(scope="session")
def shot_list() -> ShotList:
    return ShotList(
        series_id="the-last-heir",
        episode_id="ep001",
        title="The Reading of the Will",
        fps=FPS,
        width=W,
        height=H,
        shots=[
            Shot(
                id=f"s{i:02d}",
                index=i,
                scene="INT. STUDY - NIGHT",
                location="STUDY",
                interior=True,
                time_of_day="NIGHT",
                action="Mara reads.",
                characters=["mara"],
                start_s=float(i),
                duration_s=SHOT_FRAMES / FPS,
                source_line=1 + i,
            )
            for i in range(SHOTS)
        ],
    )


@pytest.fixture(scope="session")
def clean_mix() -> np.ndarray:
    """Noise at exactly -14 LUFS, as long as the episode."""
    rng = np.random.default_rng(11)
    noise = rng.standard_normal((SHOTS * SHOT_FRAMES * SAMPLE_RATE // FPS, 2)).astype(np.float32) * 0.05
    return normalise(noise, SAMPLE_RATE, -14.0, -1.0)


@pytest.fixture
def master_with(tmp_path: Path) -> Callable[..., Path]:
    """build({shot index: {flicker, blur, cast, black, freeze}}, width=, shots=) -> master path."""

    def build(looks: dict[int, dict[str, Any]] | None = None, *, width: int = W, shots: int = SHOTS) -> Path:
        return _write_master(tmp_path / "master.mp4", looks or {}, width, shots)

    return build
