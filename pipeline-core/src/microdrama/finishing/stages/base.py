"""What every finishing stage shares: its store, its items, and rendering a shot frame by frame."""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, TypeVar

import av
import numpy as np

from microdrama.finishing.measure import ShotStats, StatsAccumulator
from microdrama.media.ahead import ahead
from microdrama.media.probe import probe_video
from microdrama.media.video import read_frames
from microdrama.runtime.stages import Resources
from microdrama.store.base import ObjectStore

StoreFactory = Callable[[], ObjectStore]
T = TypeVar("T")

# Sampled frames are at least this far apart: closer frames show nearly the same picture, and would cost a short
# shot's analysis (a grade compares every pair of samples) the full count of samples for no more information.
MIN_SAMPLE_GAP_S = 0.25


# (path, width, height, fps) -> a writer used as a context manager with write(rgb) (and write_frame(yuv frame)).
WriterFactory = Callable[[Path, int, int, Fraction], Any]


@dataclass(frozen=True, eq=False)
class EncodedFrame:
    """A frame already in the encoder's YUV (the master's), with the picture its colour is measured on:
    the same picture at the shot's own size (means do not change with size; measuring 4K would)."""

    frame: av.VideoFrame
    picture: np.ndarray


class JsonResult(Protocol):
    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ShotItem:
    """One shot for one stage: where its input is and where the stage's result record goes."""

    shot_id: str
    src_key: str
    result_key: str


@dataclass(frozen=True, eq=False)
class Rendered:
    """A stage's picture output: the object written and the statistics of what was written."""

    key: str
    stats: ShotStats

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "stats": self.stats.to_json()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Rendered:
        return cls(key=str(doc["key"]), stats=ShotStats.from_json(doc["stats"]))


class StoreStage(ABC):
    """A stage that reads and writes the object store; the store is built in setup(), inside the worker."""

    name = "stage"
    resources = Resources(num_cpus=1.0)

    def __init__(self, store_factory: StoreFactory) -> None:
        self._store_factory = store_factory
        self._store: ObjectStore | None = None

    def setup(self) -> None:
        self._store = self._store_factory()

    def ready(self, resource: T | None) -> T:
        """`resource`, one the stage makes in setup(): a stage used before it is set up is a wiring error."""
        if resource is None:
            raise RuntimeError(f"stage {self.name} used before setup()")
        return resource

    @property
    def store(self) -> ObjectStore:
        return self.ready(self._store)

    def process(self, item: ShotItem) -> Any:
        """Do the work, then record the result: the record is written last, so its presence means done."""
        result = self.run(item)
        self.store.put_json(item.result_key, result.to_json())
        return result

    @abstractmethod
    def run(self, item: Any) -> JsonResult: ...

    def sample(self, key: str, stats: ShotStats, count: int) -> list[tuple[int, np.ndarray]]:
        """(index, frame) of up to `count` frames on an even stride over the shot `stats` measured, at least
        MIN_SAMPLE_GAP_S apart; only those are converted (and, from an intermediate, decoded), and decoding stops
        after the last."""
        step = max(1, stats.frames // count, round(MIN_SAMPLE_GAP_S * stats.fps))
        with (
            self.store.local_path(key, PurePosixPath(key).suffix) as src,
            closing(read_frames(src, every=step, exact_colour=True)) as decoded,
        ):
            return [(k * step, frame) for k, frame in enumerate(islice(decoded, count))]

    def render(
        self,
        src_key: str,
        dst_key: str,
        transform: Callable[[np.ndarray], np.ndarray | EncodedFrame],
        open_writer: WriterFactory,
        size: tuple[int, int] | None = None,
    ) -> Rendered:
        """Stream a shot through `transform` frame by frame into a new object; `size` (w, h) defaults to the input's."""
        return self.render_stream(src_key, dst_key, lambda frames: map(transform, frames), open_writer, size)

    def render_stream(
        self,
        src_key: str,
        dst_key: str,
        produce: Callable[[Iterator[np.ndarray]], Iterable[np.ndarray | EncodedFrame]],
        open_writer: WriterFactory,
        size: tuple[int, int] | None = None,
        fps: Fraction | None = None,
    ) -> Rendered:
        """Write the frames `produce` makes from the shot's frames (any number); size and fps default to the input's.

        `produce` yields RGB arrays, or EncodedFrames, which go to the writer as they are.
        """
        with (
            self.store.local_path(src_key, PurePosixPath(src_key).suffix) as src,
            tempfile.TemporaryDirectory(prefix="md-finish-") as tmp,
        ):
            info = probe_video(src)
            width, height = size or info.display_size
            rate = fps or info.fps
            out = Path(tmp) / ("out" + PurePosixPath(dst_key).suffix)
            stats = StatsAccumulator(rate, (width, height))

            def measured() -> Iterator[np.ndarray | EncodedFrame]:
                for result in produce(read_frames(src, exact_colour=True)):
                    if isinstance(result, EncodedFrame):
                        stats.add(result.picture, partial(result.frame.to_ndarray, format="rgb24"))
                    else:
                        stats.add(result)
                    yield result

            with open_writer(out, width, height, rate) as writer:
                # Decoding, the stage's work and the measuring run in a thread of their own, beside the encoder.
                for result in ahead(measured):
                    if isinstance(result, EncodedFrame):
                        writer.write_frame(result.frame)
                    else:
                        writer.write(result)
            self.store.put_file(dst_key, out)
        return Rendered(key=dst_key, stats=stats.result())
