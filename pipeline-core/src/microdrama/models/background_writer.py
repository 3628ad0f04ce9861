"""Encode on a thread of its own, fed through a bounded queue, so inference never waits on the encoder.

x264/x265 at 2160x3840 run a few frames per second per core on CPUs (H100/H200 have no
NVENC), so the upscaler hands each frame to this queue and carries on; when the encoder
falls behind, the bounded queue makes the producer wait instead of holding every 4K frame
in memory. The encoder (PyAV) releases the GIL while it works.
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType
from typing import Protocol, Self

import numpy as np


class Writer(Protocol):
    def write(self, rgb: np.ndarray) -> None: ...

    def close(self) -> None: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


_DONE = None


class BackgroundWriter:
    def __init__(self, writer: Writer, depth: int = 8) -> None:
        self._writer = writer
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="md-encoder", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (frame := self._queue.get()) is not _DONE:
            if self._error is None:
                try:
                    self._writer.write(frame)
                except BaseException as exc:  # re-raised on the producer's thread
                    self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, rgb: np.ndarray) -> None:
        self._check()
        self._queue.put(rgb)

    def _finish(self) -> None:
        self._queue.put(_DONE)
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish()
        if exc is None and self._error is None:
            self._writer.close()
            return
        failure = exc or self._error
        assert failure is not None
        self._writer.__exit__(type(failure), failure, None)  # the writer removes its partial output
        self._check()
