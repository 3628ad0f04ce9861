"""Clean 9:16 shots to start from, and the known defects laid on them.

Clean shots are cut from the real clips (16:9, cropped centrally to 9:16) and rendered
by microdrama.generation with DefectProfile.none(), at CLEAN_SIZE; the shots of one
episode come from one scene, as an edit's do. Each is degraded the way generated takes
arrive: softer (blurred, then downscaled by RAW_SCALE), with a luminance flicker of a
known curve, a colour cast of its own (none on the episode's reference shot, the approved
look), and dropped frames shown as duplicates of the frame before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import cv2
import numpy as np

from microdrama.domain.bible import parse_bible
from microdrama.domain.shots import CameraMove, Shot
from microdrama.generation.animatic import AnimaticProvider
from microdrama.generation.defects import DefectProfile
from microdrama.generation.provider import ShotRequest
from microdrama.media.video import read_frames

CLEAN_SIZE = (540, 960)
RAW_SCALE = 2
DROP_EVERY = 12  # one frame in this many is dropped (shown as a duplicate of the previous one)
FLICKER_DEPTH, FLICKER_NOISE = 0.06, 0.02
CAST_RANGE = 0.12  # each channel gain of a cast lies within 1 +- this
# The rendered shots' camera moves in turn, one character then two; after all six, the other way round, so the first
# 12 shots are all different.
RENDERED_MOVES: tuple[CameraMove, ...] = ("push_in", "pan_left", "static", "pull_out", "pan_right", "tilt_up")


@dataclass(frozen=True, eq=False)
class CleanShot:
    clip: str
    name: str
    fps: Fraction
    frames: np.ndarray  # (n, h, w, 3) uint8 at CLEAN_SIZE


@dataclass(frozen=True, eq=False)
class Defects:
    """What was done to one shot, so its undoing can be measured."""

    blur: float  # Gaussian sigma at CLEAN_SIZE, before the downscale
    flicker: np.ndarray  # (n,) luminance gain per frame
    cast: np.ndarray  # (3,) RGB gain
    dropped: tuple[int, ...]  # frames replaced by the frame before


def vertical(rgb: np.ndarray) -> np.ndarray:
    """The central 9:16 crop of a landscape frame, resampled to CLEAN_SIZE (swscale Lanczos)."""
    height, width = rgb.shape[:2]
    crop_w = min(width, round(height * 9 / 16))
    left = (width - crop_w) // 2
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:, left : left + crop_w]), format="rgb24")
    return frame.reformat(*CLEAN_SIZE, format="gbrp", interpolation="LANCZOS").to_ndarray(format="rgb24")


def cut(path: Path, clip: str, starts: list[int], length: int) -> list[CleanShot]:
    """Shots of `length` frames from `starts` in a real clip, each made vertical."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = Fraction(stream.average_rate or stream.guessed_rate or 24)
    if any(b - a < length for a, b in pairwise(starts)):
        raise ValueError(f"shots of {length} frames starting at {starts} overlap in {path}")
    wanted = {i: k for k, s in enumerate(starts) for i in range(s, s + length)}
    shots: list[list[np.ndarray]] = [[] for _ in starts]
    for index, rgb in enumerate(read_frames(path)):
        if index in wanted:
            shots[wanted[index]].append(vertical(rgb))
        if index >= max(wanted):
            break
    return [CleanShot(clip, f"{clip}-{k + 1}", fps, np.stack(f)) for k, f in enumerate(shots)]


def rendered(bible_path: Path, shots: int, length: int, clip: str = "rendered") -> list[CleanShot]:
    """One scene of the sample series as the embedded renderer draws it with no defects (the ground truth)."""
    # Only the looks are needed: parse the bible without the reference images load_bible insists on.
    bible = parse_bible(bible_path.read_text(encoding="utf-8"), str(bible_path))
    looks = {c.id: c.look for c in bible.characters}
    provider = AnimaticProvider(DefectProfile.none())
    cast = list(looks)[:2]
    out = []
    for k in range(shots):
        camera, turn = RENDERED_MOVES[k % len(RENDERED_MOVES)], k // len(RENDERED_MOVES)
        shot = Shot(
            id=f"s{k + 1:02d}",
            index=k,
            scene="1",
            location="ASHFORD MANOR BEDROOM",
            interior=True,
            time_of_day="NIGHT",
            action="",
            characters=cast[: 1 + (k + turn) % 2],
            start_s=k * length / 24,
            duration_s=length / 24,
            camera=camera,
            source_line=1,
        )
        request = ShotRequest(shot, 24, *CLEAN_SIZE, characters=looks, seed=k + 1, take=1)
        out.append(CleanShot(clip, f"{clip}-{k + 1}", Fraction(24), np.stack(list(provider.frames(request)))))
    return out


def defects_for(index: int, frames: int, seed: int) -> Defects:
    """Shot `index` of an episode: shot 0 is the reference (no cast); blur and flicker vary per shot."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)
    period = rng.uniform(4.0, 9.0)
    flicker = 1 + FLICKER_DEPTH * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    flicker += rng.normal(0.0, FLICKER_NOISE, frames)
    cast = np.ones(3) if index == 0 else rng.uniform(1 - CAST_RANGE, 1 + CAST_RANGE, 3)
    blur = (0.6, 1.6, 1.0, 2.0, 1.3)[index % 5]
    offset = int(rng.integers(3, DROP_EVERY))
    return Defects(blur=blur, flicker=flicker, cast=cast, dropped=tuple(range(offset, frames - 2, DROP_EVERY)))


def degrade(frames: np.ndarray, defects: Defects) -> Iterator[np.ndarray]:
    """The raw take, frame by frame, at CLEAN_SIZE / RAW_SCALE."""
    width, height = CLEAN_SIZE[0] // RAW_SCALE, CLEAN_SIZE[1] // RAW_SCALE
    previous: np.ndarray | None = None
    for index, clean in enumerate(frames):
        if index in defects.dropped and previous is not None:
            yield previous
            continue
        graded = clean.astype(np.float32) * (defects.cast * defects.flicker[index]).astype(np.float32)
        soft = cv2.GaussianBlur(np.clip(graded, 0, 255), (0, 0), defects.blur)
        small = cv2.resize(soft, (width, height), interpolation=cv2.INTER_AREA)
        previous = np.clip(np.rint(small), 0, 255).astype(np.uint8)
        yield previous
