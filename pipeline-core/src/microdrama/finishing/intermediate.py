"""Lossless RGB intermediates: how shots live in the store between finishing stages.

libx264rgb at qp 0 in Matroska: bit-exact RGB (no 4:2:0 loss, no range or matrix
conversion), about twice as fast to write and read as FFV1 here, and smaller.
It shares media.video.FrameWriter but not VideoWriter, which tags and converts to BT.709 limited-range YUV.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from microdrama.media.video import FrameWriter

SUFFIX = ".nut"


class LosslessWriter(FrameWriter):
    def __init__(self, path: Path, width: int, height: int, fps: Fraction) -> None:
        super().__init__(path, width, height, "nut")
        stream = self._open_stream("magicyuv", fps, "gbrp", threads=2)
        stream.options = {"pred": "gradient"}
