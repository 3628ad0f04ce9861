"""Lossless RGB intermediates: how shots live in the store between finishing stages.

libx264rgb at qp 0 in Matroska: bit-exact RGB (no 4:2:0 loss, no range or matrix
conversion), about twice as fast to write and read as FFV1 here, and smaller.
media.video.VideoWriter is not reused because it tags and converts to BT.709 limited-range YUV.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

SUFFIX = ".mkv"


class LosslessWriter:
    def __init__(self, path: Path, width: int, height: int, fps: Fraction) -> None:
        self.path = path
        self.width, self.height = width, height
        self._container = av.open(str(path), "w", format="matroska")
        stream = self._container.add_stream("libx264rgb", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "rgb24"
        stream.codec_context.thread_count = 2  # fixed, so the bytes never depend on the machine
        stream.options = {"qp": "0", "preset": "ultrafast"}
        self._stream = stream
        self._pts = 0

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"frame {rgb.shape} {rgb.dtype}, expected ({self.height}, {self.width}, 3) uint8")
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self._pts
        self._pts += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> LosslessWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._container.close()
            self.path.unlink(missing_ok=True)
