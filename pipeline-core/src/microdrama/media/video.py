"""Frame-level video reading and deterministic H.264/HEVC encoding (BT.709 tagged)."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self

import av
import numpy as np
from av.video.frame import PictureType
from av.video.reformatter import Interpolation

from microdrama.errors import MediaError
from microdrama.media.probe import DEFAULT_LIMITS, MediaLimits, open_video

# AVCOL_* values for BT.709 primaries, transfer and matrix; range 1 = limited (MPEG).
_BT709 = 1
_LIMITED = 1
# swscale's default YUV -> RGB path rounds and interpolates chroma coarsely: measured here it moves a
# picture's mean by 1-1.6 code values (darker and greener). Accurate rounding with full chroma
# interpolation is unbiased (within 0.1) at two to four times the conversion cost.
_EXACT_COLOUR = Interpolation.BILINEAR | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT


def _upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Apply display-matrix rotation (degrees counter-clockwise, as FFmpeg reports it)."""
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=turns)) if turns else rgb


def _intra_every(
    container: av.container.InputContainer, stream: av.VideoStream, every: int
) -> Iterator[av.VideoFrame | None]:
    """Every frame of an intra-only stream, in order: every `every`-th decoded, the others None (never decoded)."""
    index = 0
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        if index % every == 0:
            yield from stream.decode(packet)
        else:
            yield None
        index += 1


def _decoded(path: Path | str, limits: MediaLimits, every: int) -> Generator[tuple[av.VideoFrame, int]]:
    """(frame, display rotation) of every `every`-th frame of a bounded video (see read_frames)."""
    count = 0
    try:
        with open_video(path, limits) as container:
            stream = container.streams.video[0]
            skip = every > 1 and stream.codec_context.codec.intra_only
            # Frame threads would hold frames back from their packets; slices give each packet's frame at once.
            stream.thread_type = "SLICE" if skip else "AUTO"
            for frame in _intra_every(container, stream, every) if skip else container.decode(stream):
                count += 1
                if count > limits.max_frames:
                    raise MediaError(f"more than {limits.max_frames} frames", file=str(path))
                if frame is not None and (count - 1) % every == 0:
                    # The decoder puts the stream's display matrix on every frame it makes.
                    yield frame, int(frame.rotation or 0)
    except av.FFmpegError as exc:
        raise MediaError(f"decode failed at frame {count} ({exc})", file=str(path)) from exc
    if count == 0:
        raise MediaError("video stream holds no decodable frame", file=str(path))


def _rgb(frame: av.VideoFrame, exact_colour: bool) -> np.ndarray:
    return frame.to_ndarray(format="rgb24", interpolation=_EXACT_COLOUR if exact_colour else None)


def read_frames(
    path: Path | str, limits: MediaLimits = DEFAULT_LIMITS, every: int = 1, exact_colour: bool = False
) -> Generator[np.ndarray]:
    """Yield upright RGB24 frames (H, W, 3) of a probed and bounded video; with `every`, only every n-th
    frame is converted, and decoded where the stream is intra-only (finishing's intermediates; other streams
    decode every frame: inter frames depend on each other). `exact_colour`
    converts YUV without swscale's default bias, for pictures whose colour is worked on and kept."""
    for frame, rotation in _decoded(path, limits, every):
        yield _upright(_rgb(frame, exact_colour), rotation)


def read_frames_and_luma(
    path: Path | str, limits: MediaLimits = DEFAULT_LIMITS, exact_colour: bool = False
) -> Generator[tuple[np.ndarray, np.ndarray]]:
    """read_frames' frames, each with its luma as the decoder has it (H, W uint8, upright): one decode serves
    measures of colour and of motion, and the luma costs no conversion from RGB."""
    for frame, rotation in _decoded(path, limits, 1):
        yield _upright(_rgb(frame, exact_colour), rotation), _upright(frame.to_ndarray(format="gray"), rotation)


def read_video(path: Path | str, limits: MediaLimits = DEFAULT_LIMITS) -> np.ndarray:
    """All frames as one (N, H, W, 3) uint8 array; for shots, which are short."""
    frames = list(read_frames(path, limits))
    return np.stack(frames)


@dataclass(frozen=True)
class EncodeSettings:
    """Encoder settings; the same settings give the same bytes (fixed thread count)."""

    codec: str = "libx264"
    crf: int = 18
    preset: str = "veryfast"
    pix_fmt: str = "yuv420p"
    profile: str | None = "high"
    threads: int = 2
    gop_seconds: float = 2.0
    extra: dict[str, str] = field(default_factory=dict)


DEFAULT_ENCODE = EncodeSettings()


class FrameWriter:
    """Feeds RGB24 frames to one video stream: frame checks, timestamps, muxing, clean-up on error."""

    def __init__(self, path: Path | str, width: int, height: int, container_format: str) -> None:
        self.path = Path(path)
        self.width, self.height = width, height
        self._container = av.open(str(self.path), "w", format=container_format)
        self._pts = 0

    def _open_stream(self, codec: str, fps: int | Fraction, pix_fmt: str, threads: int) -> av.VideoStream:
        stream = self._container.add_stream(codec, rate=Fraction(fps))
        self._time_base = 1 / Fraction(fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = self.width, self.height
        stream.pix_fmt = pix_fmt
        # A fixed thread count: the bytes never depend on the machine's core count.
        stream.codec_context.thread_count = threads
        self._stream = stream
        return stream

    def _to_frame(self, rgb: np.ndarray) -> av.VideoFrame:
        return av.VideoFrame.from_ndarray(rgb, format="rgb24")

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"frame {rgb.shape} {rgb.dtype}, expected ({self.height}, {self.width}, 3) uint8")
        frame = self._to_frame(rgb)
        frame.pts = self._pts
        self._pts += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    @property
    def frames_written(self) -> int:
        return self._pts

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._container.close()
            self.path.unlink(missing_ok=True)


class VideoWriter(FrameWriter):
    """Encode RGB24 frames to an MP4 with BT.709 tags and limited range."""

    def __init__(
        self, path: Path | str, width: int, height: int, fps: int | Fraction, settings: EncodeSettings = DEFAULT_ENCODE
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"encode size must be even, got {width}x{height}")
        super().__init__(path, width, height, "mp4")
        stream = self._open_stream(settings.codec, fps, settings.pix_fmt, settings.threads)
        cc = stream.codec_context
        cc.color_primaries = _BT709
        cc.color_trc = _BT709
        cc.colorspace = _BT709
        cc.color_range = _LIMITED
        options: dict[str, str] = {"crf": str(settings.crf), "preset": settings.preset, **settings.extra}
        options["g"] = str(max(1, round(float(Fraction(fps)) * settings.gop_seconds)))
        if settings.profile:
            stream.profile = settings.profile
        if settings.codec == "libx265":
            options.setdefault("x265-params", "log-level=error")
        if settings.codec == "libx264":
            # mbtree made repeated encodes in one process differ (seen here); identical bytes matter more.
            options.setdefault("x264-params", "mbtree=0")
        stream.options = dict(options)  # PyAV types options as dict[str, object]

    def _to_frame(self, rgb: np.ndarray) -> av.VideoFrame:
        return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
            format=self._stream.pix_fmt, dst_colorspace="ITU709", dst_color_range="MPEG"
        )

    def write_frame(self, frame: av.VideoFrame) -> None:
        """Encode a frame already in BT.709 limited-range YUV (converted to the stream's pixel format if needed).

        A decoded frame carries the type (I, P, B) and the clock its source gave it. libx264 obeys the type:
        the source's GOP would replace the writer's, and the encoder would skip its own frame-type decisions.
        So the type is cleared, as the ffmpeg command line clears it before encoding, and the frame is timed
        on the writer's clock (frame n at n / fps)."""
        if (frame.width, frame.height) != (self.width, self.height):
            raise ValueError(f"frame {frame.width}x{frame.height}, expected {self.width}x{self.height}")
        frame = frame.reformat(format=self._stream.pix_fmt)
        frame.pict_type = PictureType.NONE
        frame.time_base = self._time_base
        frame.pts = self._pts
        self._pts += 1
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
