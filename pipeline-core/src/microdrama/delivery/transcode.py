"""Master video to a profile's picture: swscale Lanczos resize and frame-rate change by timestamp."""

from __future__ import annotations

from fractions import Fraction
from math import floor
from pathlib import Path

import av
from av.video.reformatter import ColorRange, Interpolation

from microdrama.delivery.profiles import DeliveryProfile
from microdrama.errors import InputError, MediaError
from microdrama.logs import get_logger
from microdrama.media.probe import VideoInfo
from microdrama.media.video import EncodeSettings, VideoWriter

log = get_logger(__name__)
# Aspect ratios closer than this are the same picture shape (rounding to even sizes moves them a little).
_ASPECT_TOLERANCE = 0.01


def output_fps(info: VideoInfo, profile: DeliveryProfile) -> Fraction:
    return Fraction(profile.fps) if profile.fps is not None else info.fps


def check_copy(info: VideoInfo, profile: DeliveryProfile) -> None:
    """A stream copy delivers the master untouched, so the master must already be what the profile asks for."""
    if (info.width, info.height) != (profile.width, profile.height):
        raise InputError(
            f"profile {profile.name} copies the master, but the master is {info.width}x{info.height}, "
            f"not {profile.width}x{profile.height}",
            file=info.path,
        )
    if profile.fps is not None and info.fps != profile.fps:
        raise InputError(
            f"profile {profile.name} copies the master, but the master runs at {float(info.fps):g} fps, "
            f"not {profile.fps}",
            file=info.path,
        )


def transcode_video(info: VideoInfo, profile: DeliveryProfile, out: Path) -> int:
    """Encode the master's picture at the profile's size and rate into `out`; return frames written.

    Output frame k (time k/fps_out) shows the source frame on screen at that time, index
    floor(k * fps_in / fps_out), so the duration is kept whatever the rate change.
    """
    width, height = info.width, info.height
    if abs(width / height - profile.width / profile.height) > _ASPECT_TOLERANCE:
        raise InputError(
            f"master is {width}x{height}; profile {profile.name} is {profile.width}x{profile.height}, "
            "a different shape (delivery never crops or stretches)",
            file=info.path,
        )
    fps_out = output_fps(info, profile)
    ratio = info.fps / fps_out
    settings = EncodeSettings(
        codec=profile.video_codec,
        crf=profile.crf,
        preset=profile.preset,
        profile=profile.h264_profile,
    )
    written = 0
    try:
        with (
            av.open(info.path) as container,
            VideoWriter(out, profile.width, profile.height, fps_out, settings) as writer,
        ):
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for index, frame in enumerate(container.decode(stream)):
                if floor(written * ratio) != index:
                    continue
                rgb = frame.reformat(
                    width=profile.width,
                    height=profile.height,
                    format="rgb24",
                    interpolation=Interpolation.LANCZOS | Interpolation.ACCURATE_RND,
                    src_color_range=frame.color_range or ColorRange.MPEG,
                    dst_color_range=ColorRange.JPEG,
                ).to_ndarray()
                while floor(written * ratio) == index:
                    writer.write(rgb)
                    written += 1
    except av.FFmpegError as exc:
        raise MediaError(f"transcode failed after {written} frames ({exc})", file=info.path) from exc
    log.info("delivery.transcoded", profile=profile.name, frames=written, fps=str(fps_out))
    return written
