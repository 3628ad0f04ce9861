"""Stream-level assembly: join shot encodes and add the mix, without re-encoding video."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from microdrama.errors import MediaError
from microdrama.media.audio import SAMPLE_RATE


def concat_videos(parts: Sequence[Path], out: Path) -> int:
    """Join encodes made with identical settings into one MP4 by copying packets.

    Returns the number of video packets written. Parts must share codec parameters
    (the finishing template guarantees it); a mismatch is an error, never a silent glitch.
    """
    if not parts:
        raise ValueError("nothing to concatenate")
    written = 0
    with av.open(str(parts[0])) as first:
        template = first.streams.video[0]
        extradata = template.codec_context.extradata
        with av.open(str(out), "w", format="mp4") as dst:
            ostream = dst.add_stream_from_template(template)
            offset = 0
            for part in parts:
                with av.open(str(part)) as src:
                    stream = src.streams.video[0]
                    if stream.codec_context.extradata != extradata:
                        raise MediaError("codec parameters differ from the first part; cannot join", file=str(part))
                    if stream.time_base != template.time_base:
                        raise MediaError("time base differs from the first part; cannot join", file=str(part))
                    last_end = offset
                    for packet in src.demux(stream):
                        if packet.dts is None:
                            continue
                        packet.pts = (packet.pts or 0) + offset
                        packet.dts += offset
                        last_end = max(last_end, packet.pts + (packet.duration or 0))
                        packet.stream = ostream
                        dst.mux(packet)
                        written += 1
                    offset = last_end
    return written


def mux_audio(
    video: Path,
    samples: np.ndarray,
    out: Path,
    *,
    sample_rate: int = SAMPLE_RATE,
    codec: str = "aac",
    bitrate: int = 256_000,
) -> None:
    """Copy the video stream of `video` and encode `samples` (float32 (n, 2)) beside it."""
    stereo = np.ascontiguousarray(np.asarray(samples, np.float32).T)
    with av.open(str(video)) as src, av.open(str(out), "w", format="mp4") as dst:
        vin = src.streams.video[0]
        vout = dst.add_stream_from_template(vin)
        aout = dst.add_stream(codec, rate=sample_rate, layout="stereo")
        assert isinstance(aout, av.AudioStream)
        aout.bit_rate = bitrate
        aout.codec_context.thread_count = 1
        for packet in src.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            dst.mux(packet)
        frame_size = aout.codec_context.frame_size or 1024
        for start in range(0, stereo.shape[1], frame_size):
            chunk = stereo[:, start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = sample_rate
            frame.pts = start
            frame.time_base = Fraction(1, sample_rate)
            for packet in aout.encode(frame):
                dst.mux(packet)
        for packet in aout.encode():
            dst.mux(packet)
