"""The baseline a studio would script: FFmpeg filters (libavfilter through PyAV), same encoder and settings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import numpy as np

from microdrama.media.video import VideoWriter

Filters = Sequence[tuple[str, str]]
MCI = "mi_mode=mci:mc_mode=aobmc:me_mode=bidir"  # minterpolate's motion-compensated mode, its best


def judder_repair(fps: Fraction, dropped: Sequence[int]) -> list[tuple[str, str]]:
    """The duplicates that stand in for dropped frames cut (`select`, told which they are: mpdecimate, which
    would look for them, is not in PyAV's FFmpeg) and the gaps rebuilt by `minterpolate`; `tpad` clones the
    last frame, which minterpolate otherwise drops for want of a frame after it."""
    cut = [("select", "not(" + "+".join(f"eq(n,{k})" for k in dropped) + ")")] if dropped else []
    return [*cut, ("tpad", "stop=1:stop_mode=clone"), ("minterpolate", f"fps={fps}:{MCI}")]


def chain(width: int, height: int, window: int, repair: Filters = ()) -> list[tuple[str, str]]:
    """The usual script: `repair` (judder_repair), deflicker, Lanczos scale to the master size, unsharp."""
    return [*repair, ("deflicker", f"size={window}"), ("scale", f"{width}:{height}:flags=lanczos"), ("unsharp", "")]


def filtered(frames: Iterable[av.VideoFrame], filters: Filters, time_base: Fraction) -> Iterator[av.VideoFrame]:
    """Frames through a libavfilter graph; the graph is built on the first frame's size and format."""
    graph: av.filter.Graph | None = None

    def drain(g: av.filter.Graph) -> Iterator[av.VideoFrame]:
        while True:
            try:
                frame = g.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            assert isinstance(frame, av.VideoFrame)
            yield frame

    for frame in frames:
        if graph is None:
            graph = av.filter.Graph()
            nodes = [graph.add_buffer(width=frame.width, height=frame.height, format=frame.format, time_base=time_base)]
            nodes += [graph.add(name, args) for name, args in filters]
            nodes.append(graph.add("buffersink"))
            for a, b in pairwise(nodes):
                a.link_to(b)
            graph.configure()
        frame.time_base = time_base
        graph.push(frame)
        yield from drain(graph)
    if graph is not None:
        graph.push(None)
        yield from drain(graph)


def decoded(path: Path) -> Iterator[av.VideoFrame]:
    """The frames, stamped 0, 1, 2, ... (ticks of 1/fps): minterpolate works on timestamps."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            frame.pts = index
            yield frame


def finish(src: Path, filters: Filters, writer: VideoWriter, fps: Fraction) -> int:
    """Decode `src`, filter, encode with `writer`; returns the frames written."""
    encode(filtered(decoded(src), filters, 1 / fps), writer)
    return writer.frames_written


def encode(frames: Iterable[av.VideoFrame], writer: VideoWriter) -> None:
    with writer:
        for frame in frames:
            writer.write_frame(frame)


def to_yuv(rgb: np.ndarray, pts: int) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
        format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG"
    )
    frame.pts = pts
    return frame


def to_rgb(frame: av.VideoFrame) -> np.ndarray:
    return frame.reformat(format="rgb24", src_colorspace="ITU709", src_color_range="MPEG").to_ndarray()


def minterpolate(frames: np.ndarray, dropped: Sequence[int], fps: Fraction) -> dict[int, np.ndarray]:
    """The dropped frames as `minterpolate` (motion-compensated) rebuilds them from the frames around the gaps."""
    kept = (to_yuv(rgb, pts) for pts, rgb in enumerate(frames) if pts not in dropped)
    out = filtered(kept, [("minterpolate", f"fps={fps}:{MCI}")], 1 / fps)
    return {f.pts: to_rgb(f) for f in out if f.pts is not None and f.pts in dropped}
