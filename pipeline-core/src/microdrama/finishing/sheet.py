"""A before-and-after sheet of a finished episode, for looking rather than reading.

Each shot's middle frame as it came in (upper row) above the same frame as it left (lower
row), in edit order, every picture at one height, the shot's id beneath. Whether the shots
now cut together (one colour, one exposure, one sharpness) shows at a glance, and a shot the
grade could not match stands out. Long episodes wrap onto further pairs of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from itertools import islice
from pathlib import Path

import cv2
import numpy as np

from microdrama.media.image import jpeg
from microdrama.media.probe import probe_video
from microdrama.media.video import read_frames

THUMB_HEIGHT = 360
GAP = 8  # pixels between pictures and around the sheet
CAPTION = 28  # the band under each pair of rows that carries the shot ids
PER_ROW = 12  # shots side by side before the sheet wraps
BACKGROUND, INK = 24, (235, 235, 235)
JPEG_QUALITY = 90


def middle_frame(path: Path) -> np.ndarray:
    """The upright RGB frame halfway through a video (its first, for a one-frame video)."""
    middle = probe_video(path).frame_count // 2
    with closing(read_frames(path, every=max(1, middle))) as frames:
        return list(islice(frames, 2))[-1]  # frames 0 and `middle`; just 0 for a one-frame video


def _thumb(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    size = (max(1, round(width * THUMB_HEIGHT / height)), THUMB_HEIGHT)
    shrink = height > THUMB_HEIGHT
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR))


def before_after(shots: Sequence[tuple[str, Path, Path]]) -> np.ndarray:
    """The sheet (uint8 RGB) for (shot id, input video, finished video) in edit order."""
    if not shots:
        raise ValueError("a before-and-after sheet needs at least one shot")
    pairs = [(sid, _thumb(middle_frame(before)), _thumb(middle_frame(after))) for sid, before, after in shots]
    column = max(max(b.shape[1], a.shape[1]) for _, b, a in pairs)
    columns = min(PER_ROW, len(pairs))
    bands = -(-len(pairs) // PER_ROW)
    band = 2 * THUMB_HEIGHT + GAP + CAPTION
    sheet = np.full((GAP + bands * (band + GAP), GAP + columns * (column + GAP), 3), BACKGROUND, np.uint8)
    for index, (sid, before, after) in enumerate(pairs):
        top = GAP + (index // PER_ROW) * (band + GAP)
        left = GAP + (index % PER_ROW) * (column + GAP)
        for row, picture in enumerate((before, after)):
            y, x = top + row * (THUMB_HEIGHT + GAP), left + (column - picture.shape[1]) // 2
            sheet[y : y + THUMB_HEIGHT, x : x + picture.shape[1]] = picture
        label = sid if len(sid) <= 18 else sid[:17] + "~"
        baseline = top + 2 * THUMB_HEIGHT + GAP + CAPTION - 9
        cv2.putText(sheet, label, (left, baseline), cv2.FONT_HERSHEY_SIMPLEX, 0.55, INK, 1, cv2.LINE_AA)
    return sheet


def write_sheet(path: Path, shots: Sequence[tuple[str, Path, Path]]) -> None:
    """The sheet of `shots` (see before_after) written to `path` as a JPEG."""
    path.write_bytes(jpeg(before_after(shots), JPEG_QUALITY))
