"""Lossless RGB intermediates: how shots live in the store between finishing stages.

Bit-exact RGB either way (no 4:2:0 loss, no range or matrix conversion), in one of two forms:

- a shot at its own size (motion, face and reframe outputs): MagicYUV (gradient prediction) in
  NUT, intra-only, so a stage that samples a shot decodes only the frames it takes
  (media.video.read_frames). Measured here on 540x960 frames against libx264rgb at qp 0: written
  as fast, decoded 2.2x faster (1.4 against 2.9 ms a frame with the conversion to RGB), 1.8x the
  size (1.2x on soft 270x480 takes). Matroska does not take MagicYUV; NUT is FFmpeg's own container.
- a shot at master size (the learned upscaler's output): libx264rgb at qp 0 in Matroska. An
  upscaled picture is smooth and its frames alike, which inter-frame prediction turns into 7x
  smaller files than MagicYUV's (0.44 against 3.25 MB a 2160x3840 frame here), and it is read in
  full only once, by the master pass.

Both share media.video.FrameWriter but not VideoWriter, which tags and converts to BT.709 limited-range YUV.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from microdrama.media.video import FrameWriter

SUFFIX, UPSCALED_SUFFIX = ".nut", ".mkv"


class LosslessWriter(FrameWriter):
    """A shot at its own size."""

    def __init__(self, path: Path, width: int, height: int, fps: Fraction) -> None:
        super().__init__(path, width, height, "nut")
        stream = self._open_stream("magicyuv", fps, "gbrp", threads=2)
        stream.options = {"pred": "gradient"}


class UpscaledWriter(FrameWriter):
    """A shot at master size."""

    def __init__(self, path: Path, width: int, height: int, fps: Fraction) -> None:
        super().__init__(path, width, height, "matroska")
        stream = self._open_stream("libx264rgb", fps, "rgb24", threads=2)
        stream.options = {"qp": "0", "preset": "ultrafast"}
