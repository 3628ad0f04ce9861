"""One decode pass over an episode master: stream facts, per-frame and per-shot measurements."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc, Interpolation

from microdrama.audio.loudness import integrated_lufs, true_peak_dbtp
from microdrama.domain.shots import ShotList
from microdrama.errors import MediaError
from microdrama.logs import get_logger
from microdrama.media.probe import MediaLimits, VideoInfo, probe_video
from microdrama.qc.thresholds import DEFAULT_THRESHOLDS, QcThresholds

log = get_logger(__name__)

# Frames are measured at this long side: enough for luma, colour and relative sharpness, ~30x fewer pixels than 4K.
ANALYSIS_LONG_SIDE = 480
_LIMITS = MediaLimits()
_BT709_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass(frozen=True)
class ShotSpan:
    shot_id: str
    start_frame: int
    frame_count: int

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frame_count


def shot_spans(shot_list: ShotList) -> list[ShotSpan]:
    """Shot boundaries in frames, cumulative over Shot.frame_count as the finishing stage cuts them."""
    spans, start = [], 0
    for shot in shot_list.shots:
        count = shot.frame_count(shot_list.fps)
        spans.append(ShotSpan(shot.id, start, count))
        start += count
    return spans


@dataclass(frozen=True)
class StreamFacts:
    width: int
    height: int
    display_aspect: str
    aspect_ratio: float
    fps: float
    frame_count: int
    duration_s: float
    codec: str
    pix_fmt: str
    color_primaries: str
    color_trc: str
    colorspace: str
    color_range: str


@dataclass(frozen=True)
class FrameSeries:
    """Per-frame measurements at analysis size; luma in 8-bit code values, a*/b* in CIELAB units."""

    luma: np.ndarray
    luma_std: np.ndarray
    lab_a: np.ndarray
    lab_b: np.ndarray
    sharpness: np.ndarray
    # Mean |luma - previous luma|; the first frame has no predecessor and gets +inf.
    diff: np.ndarray


@dataclass(frozen=True)
class ShotStats:
    shot_id: str
    start_frame: int
    frame_count: int
    start_s: float
    mean_luma: float
    mean_a: float
    mean_b: float
    sharpness: float
    flicker: float
    # Flicker over the part of the shot inside the opening window; None when it has fewer than 3 frames there.
    opening_flicker: float | None
    black_frames: int
    longest_frozen: int


@dataclass(frozen=True)
class VideoMeasurements:
    stream: StreamFacts
    frames: FrameSeries
    black: np.ndarray
    # (first frame, length in frames) of each run of repeated frames, black frames excluded.
    frozen_runs: list[tuple[int, int]]
    shots: list[ShotStats]
    # Middle frame of each shot at analysis size (RGB), for the contact sheet.
    thumbnails: dict[str, np.ndarray]


@dataclass(frozen=True)
class AudioFacts:
    integrated_lufs: float
    true_peak_dbtp: float
    duration_s: float


def measure_audio(mix: np.ndarray, sample_rate: int) -> AudioFacts:
    samples = np.asarray(mix, np.float32)
    return AudioFacts(
        integrated_lufs=integrated_lufs(samples, sample_rate),
        true_peak_dbtp=true_peak_dbtp(samples, sample_rate),
        duration_s=samples.shape[0] / sample_rate,
    )


def _enum_name(enum: type, value: int) -> str:
    try:
        return str(enum(value).name).lower()
    except ValueError:
        return str(value)


def _analysis_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, ANALYSIS_LONG_SIDE / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _flicker(luma: np.ndarray) -> float:
    """Median |second difference|: zero for steady or smoothly ramping light, large for frame-to-frame jitter."""
    if luma.size < 3:
        return 0.0
    return float(np.median(np.abs(np.diff(luma, n=2))))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e - s)) for s, e in zip(edges[::2], edges[1::2], strict=True)]


def _measure_frame(rgb: np.ndarray) -> tuple[float, float, float, float, float, np.ndarray]:
    luma = rgb.astype(np.float32) @ _BT709_LUMA
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    sharp = float(cv2.Laplacian(luma, cv2.CV_32F).var())
    return float(luma.mean()), float(luma.std()), float(lab[..., 1].mean()), float(lab[..., 2].mean()), sharp, luma


def _decode(path: Path, limits: MediaLimits, keep: set[int]) -> tuple[np.ndarray, dict[int, np.ndarray], str]:
    """Rows of (luma, luma std, a*, b*, sharpness, diff) per frame, the frames to keep, and the range tag."""
    rows: list[tuple[float, ...]] = []
    kept: dict[int, np.ndarray] = {}
    prev: np.ndarray | None = None
    color_range = "unspecified"
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            size = _analysis_size(stream.codec_context.width, stream.codec_context.height)
            for index, frame in enumerate(container.decode(stream)):
                if index >= limits.max_frames:
                    raise MediaError(f"more than {limits.max_frames} frames", file=str(path))
                if index == 0:
                    color_range = _enum_name(ColorRange, int(frame.color_range))
                rgb = frame.reformat(
                    width=size[0],
                    height=size[1],
                    format="rgb24",
                    interpolation=Interpolation.AREA,
                    src_color_range=frame.color_range or ColorRange.MPEG,
                    dst_color_range=ColorRange.JPEG,
                ).to_ndarray()
                mean, std, a, b, sharp, luma = _measure_frame(rgb)
                diff = float("inf") if prev is None else float(np.abs(luma - prev).mean())
                rows.append((mean, std, a, b, sharp, diff))
                prev = luma
                if index in keep:
                    kept[index] = rgb
    except av.FFmpegError as exc:
        raise MediaError(f"decode failed at frame {len(rows)} ({exc})", file=str(path)) from exc
    if not rows:
        raise MediaError("no decodable frames", file=str(path))
    return np.asarray(rows, np.float64), kept, color_range


def _stream_facts(info: VideoInfo, frame_count: int, color_range: str) -> StreamFacts:
    width, height = info.display_size
    with av.open(info.path) as container:
        cc = container.streams.video[0].codec_context
        sar = Fraction(cc.sample_aspect_ratio or 1) or Fraction(1)
        primaries = _enum_name(ColorPrimaries, int(cc.color_primaries))
        trc = _enum_name(ColorTrc, int(cc.color_trc))
        matrix = _enum_name(Colorspace, int(cc.colorspace))
    aspect = Fraction(width) * sar / height
    return StreamFacts(
        width=width,
        height=height,
        display_aspect=f"{aspect.numerator}:{aspect.denominator}",
        aspect_ratio=float(aspect),
        fps=float(info.fps),
        frame_count=frame_count,
        duration_s=frame_count / float(info.fps),
        codec=info.codec,
        pix_fmt=info.pix_fmt,
        color_primaries=primaries,
        color_trc=trc,
        colorspace=matrix,
        color_range=color_range,
    )


def _shot_stats(
    span: ShotSpan, frames: FrameSeries, black: np.ndarray, frozen: np.ndarray, fps: float, opening_frames: int
) -> ShotStats:
    sl = slice(span.start_frame, span.end_frame)
    luma = frames.luma[sl]
    if luma.size == 0:
        nan = float("nan")
        return ShotStats(span.shot_id, span.start_frame, 0, span.start_frame / fps, nan, nan, nan, nan, 0.0, None, 0, 0)
    opening = frames.luma[span.start_frame : min(span.end_frame, opening_frames)]
    frozen_runs = _runs(frozen[sl])
    return ShotStats(
        shot_id=span.shot_id,
        start_frame=span.start_frame,
        frame_count=int(luma.size),
        start_s=span.start_frame / fps,
        mean_luma=float(luma.mean()),
        mean_a=float(frames.lab_a[sl].mean()),
        mean_b=float(frames.lab_b[sl].mean()),
        sharpness=float(np.median(frames.sharpness[sl])),
        flicker=_flicker(luma),
        opening_flicker=_flicker(opening) if opening.size >= 3 else None,
        black_frames=int(black[sl].sum()),
        longest_frozen=max((n + 1 for _, n in frozen_runs), default=0),
    )


def measure_video(
    master: Path, spans: list[ShotSpan], thresholds: QcThresholds = DEFAULT_THRESHOLDS, limits: MediaLimits = _LIMITS
) -> VideoMeasurements:
    """Decode `master` once and measure every frame, every shot and the stream."""
    info = probe_video(master, limits)
    middles = {span.start_frame + span.frame_count // 2: span.shot_id for span in spans}
    rows, kept, color_range = _decode(master, limits, set(middles))
    frames = FrameSeries(*(np.ascontiguousarray(rows[:, i]) for i in range(6)))
    stream = _stream_facts(info, len(rows), color_range)
    black = (frames.luma < thresholds.black_luma_max) & (frames.luma_std < thresholds.black_luma_std_max)
    # A frame repeating its predecessor; black stretches are the black rule's business, not this one's.
    repeated = (frames.diff < thresholds.frozen_diff_max) & ~black
    # A run of k repeated frames shows k + 1 identical pictures, counted from the frame they repeat.
    frozen_runs = [(start - 1, n + 1) for start, n in _runs(repeated)]
    opening_frames = round(thresholds.opening_s * stream.fps)
    shots = [_shot_stats(span, frames, black, repeated, stream.fps, opening_frames) for span in spans]
    log.info("qc.measured", file=str(master), frames=stream.frame_count, shots=len(shots))
    return VideoMeasurements(
        stream=stream,
        frames=frames,
        black=black,
        frozen_runs=frozen_runs,
        shots=shots,
        thumbnails={shot_id: kept[i] for i, shot_id in middles.items() if i in kept},
    )
