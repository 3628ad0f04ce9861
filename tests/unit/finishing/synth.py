"""Tiny synthetic takes with known defects, written the way generated shots arrive (H.264 MP4)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import cv2
import numpy as np

from microdrama.finishing.template import FinishingTemplate, parse_template
from microdrama.keys import episode_key
from microdrama.media.video import EncodeSettings, VideoWriter, read_frames
from microdrama.store.base import ObjectStore

WIDTH, HEIGHT, FRAMES = 72, 128, 24
PREFIX = episode_key("acme", "heir", "ep01", "finishing")


def raw_key(name: str) -> str:
    return episode_key("acme", "heir", "ep01", "shots", f"{name}.mp4")


def scene(seed: int, blur: float = 0.0) -> np.ndarray:
    """A mid-grey textured picture (float32 RGB 0-255) with edges and fine detail."""
    rng = np.random.default_rng(seed)
    picture: np.ndarray = np.full((HEIGHT, WIDTH, 3), 110.0, np.float32)
    picture += cv2.GaussianBlur(rng.normal(0, 40, (HEIGHT, WIDTH, 3)).astype(np.float32), (0, 0), 0.8)
    for _ in range(6):
        x, y = rng.integers(0, WIDTH - 16), rng.integers(0, HEIGHT - 16)
        picture[y : y + 16, x : x + 16] += rng.uniform(-50, 50, 3).astype(np.float32)
    if blur:
        picture = cv2.GaussianBlur(picture, (0, 0), blur)
    return picture


def frames_of(picture: np.ndarray, gains: Iterable[float]) -> list[np.ndarray]:
    return [np.clip(picture * g, 0, 255).round().astype(np.uint8) for g in gains]


def moving(
    t: float, size: tuple[int, int] = (WIDTH, HEIGHT), seed: int = 1, pan: tuple[float, float] = (2.5, 1.0)
) -> np.ndarray:
    """Frame of a moving scene at time t (frames), exact at any t: a smooth texture panning by `pan`
    pixels per frame, crossed the other way by a red disc (so the pictures occlude one another)."""
    width, height = size
    rng = np.random.default_rng(seed)
    margin = 120
    texture = cv2.GaussianBlur(rng.normal(0, 60, (height + margin, width + margin, 3)).astype(np.float32), (0, 0), 2.0)
    texture += 120
    shift = np.array([[1, 0, -margin / 4 - pan[0] * t], [0, 1, -margin / 4 - pan[1] * t]], np.float32)
    picture = cv2.warpAffine(texture, shift, (width, height), flags=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:height, 0:width]
    disc = np.clip(9 - np.hypot(xx - (0.7 * width - 2 * t), yy - (0.5 * height + 0.5 * t)), 0, 1)[..., None]
    picture = picture * (1 - disc) + np.array([230, 40, 40], np.float32) * disc
    return np.clip(np.rint(picture), 0, 255).astype(np.uint8)


def put_clip(store: ObjectStore, name: str, frames: list[np.ndarray], fps: int = 24) -> str:
    """Encode frames (any even size) as a raw take."""
    key = raw_key(name)
    height, width = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "take.mp4"
        with VideoWriter(path, width, height, fps, EncodeSettings(crf=4, preset="ultrafast")) as writer:
            for frame in frames:
                writer.write(frame)
        store.put_file(key, path)
    return key


def decode(store: ObjectStore, key: str, exact_colour: bool = False) -> np.ndarray:
    """All frames; `exact_colour` converts them as the finishing stages do, to compare a stage's input with
    its output pixel for pixel."""
    with store.local_path(key, Path(key).suffix) as path:
        return np.stack(list(read_frames(path, exact_colour=exact_colour)))


def template(**sections: Mapping[str, object]) -> FinishingTemplate:
    """A template with a small master (2x the takes) and the given section overrides."""
    doc: dict[str, dict[str, object]] = {"upscale": {"width": 2 * WIDTH, "height": 2 * HEIGHT}}
    for name, values in sections.items():
        doc[name] = {**doc.get(name, {}), **values}
    return parse_template(doc)


def lab_mean(frames: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(frames.reshape(-1, frames.shape[2], 3).astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    return np.asarray(lab.reshape(-1, 3).mean(axis=0))
