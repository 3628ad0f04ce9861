"""Lossless RGB intermediates: how shots live in the store between finishing stages.

MagicYUV (gradient prediction) in NUT: bit-exact planar RGB (no 4:2:0 loss, no range or matrix
conversion), and intra-only, so a stage that samples a shot decodes only the frames it takes
(media.video.read_frames). Measured here on 540x960 frames against libx264rgb at qp 0: written
as fast, decoded 2.2x faster (1.4 against 2.9 ms a frame with the conversion to RGB), 1.8x the
size (1.2x on soft 270x480 takes). Matroska does not take MagicYUV; NUT is FFmpeg's own container.
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
