"""Run a frame pipeline's producing side in a thread of its own, so it overlaps the consuming side.

libx264 releases the GIL while it encodes and, with two threads, leaves part of a second core
idle; decoding, the per-frame NumPy/OpenCV work and the measurements (which mostly release the
GIL too) fill it. So do a decoder and its frame conversions beside optical flow or a face
detector (the analysis and the face scan). Items come out in order, so results do not change.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable
from typing import TypeVar, cast

T = TypeVar("T")

_DONE = object()
_POLL_S = 0.1  # how often a blocked producer looks whether the consumer has gone


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def ahead(produce: Callable[[], Iterable[T]], depth: int = 4) -> Generator[T]:
    """The items `produce()` yields, computed up to `depth` items ahead in a background thread.

    The iterable is created, iterated and closed in that thread (decoders and their files stay on
    one thread). An exception there is raised here at the item where it happened; closing this
    iterator early stops the producer at its next item.
    """
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        source: Iterable[T] = ()
        try:
            source = produce()
            for item in source:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it (even from produce() itself)
            put(_Failed(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=run, name="md-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)
    finally:
        stop.set()
        worker.join()
