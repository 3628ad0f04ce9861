"""Package one episode for one delivery profile: video + mix, subtitles, poster, manifest."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from microdrama import __version__
from microdrama.audio.loudness import integrated_lufs, normalise, true_peak_dbtp
from microdrama.delivery.manifest import Manifest, ManifestFile, VideoSummary, describe_file, write_manifest
from microdrama.delivery.profiles import DeliveryProfile
from microdrama.delivery.transcode import check_copy, output_fps, transcode_video
from microdrama.errors import InputError
from microdrama.keys import KeyError_, episode_key
from microdrama.logs import get_logger
from microdrama.media.image import jpeg
from microdrama.media.mux import mux_audio
from microdrama.media.probe import probe_video
from microdrama.media.video import read_frames

log = get_logger(__name__)
# Re-normalise only when the mix is measurably off the profile's target; the mix stage already aims for it.
_LUFS_TOLERANCE = 0.1
_POSTER_QUALITY = 90
_DELIVERABLE_VERDICTS = ("pass", "warn")


def _episode_ids(episode: Mapping[str, str]) -> tuple[str, str, str]:
    missing = [k for k in ("tenant", "series", "episode") if not episode.get(k)]
    if missing:
        raise InputError(f"episode ids missing: {', '.join(missing)} (need tenant, series, episode)")
    try:
        episode_key(episode["tenant"], episode["series"], episode["episode"])
    except KeyError_ as exc:
        raise InputError(str(exc)) from exc
    return episode["tenant"], episode["series"], episode["episode"]


def _stereo(mix: np.ndarray) -> np.ndarray:
    samples = np.asarray(mix, np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[1] not in (1, 2) or samples.shape[0] == 0:
        raise InputError(f"mix must be (samples, 1 or 2 channels) with audio in it, got shape {samples.shape}")
    return np.repeat(samples, 2, axis=1) if samples.shape[1] == 1 else samples


def _loudness_for(profile: DeliveryProfile, mix: np.ndarray, sample_rate: int) -> np.ndarray:
    lufs = integrated_lufs(mix, sample_rate)
    peak = true_peak_dbtp(mix, sample_rate)
    if not np.isfinite(lufs) or (
        abs(lufs - profile.loudness_lufs) <= _LUFS_TOLERANCE and peak <= profile.true_peak_dbtp
    ):
        return mix
    log.info("delivery.renormalise", profile=profile.name, lufs=round(lufs, 2), target=profile.loudness_lufs)
    return normalise(mix, sample_rate, profile.loudness_lufs, profile.true_peak_dbtp)


def _write_poster(video: Path, time_s: float, fps: float, out: Path) -> None:
    """A JPEG of the delivered frame on screen at time_s (clamped to the last frame)."""
    wanted = max(0, int(time_s * fps))
    last = None
    for index, rgb in enumerate(read_frames(video)):
        last = rgb
        if index >= wanted:
            break
    if last is None:
        raise InputError("delivered video has no frames for a poster", file=str(video))
    out.write_bytes(jpeg(last, _POSTER_QUALITY))


def _write_text(path: Path, text: str) -> None:
    # Bytes, not text mode: no platform newline translation, identical files everywhere.
    path.write_bytes(text.replace("\r\n", "\n").encode("utf-8"))


def package_episode(
    master: Path,
    mix: np.ndarray,
    sample_rate: int,
    srt_text: str,
    vtt_text: str,
    profile: DeliveryProfile,
    out_dir: Path,
    *,
    episode: Mapping[str, str],
    qc_verdict: str,
    template_hash: str,
    poster_time_s: float,
) -> Manifest:
    """Write `<episode>_<profile>.mp4/.srt/.vtt`, a poster and manifest.json into out_dir; same inputs, same bytes."""
    tenant, series, episode_id = _episode_ids(episode)
    if qc_verdict not in _DELIVERABLE_VERDICTS:
        raise InputError(
            f"QC verdict is {qc_verdict!r}; only {' or '.join(_DELIVERABLE_VERDICTS)} episodes are delivered"
        )
    info = probe_video(master)
    fps = output_fps(info, profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"{episode_id}_{profile.name}"
    video_path = out_dir / f"{base}.mp4"
    audio = _loudness_for(profile, _stereo(mix), sample_rate)
    with tempfile.TemporaryDirectory(prefix="md-delivery-") as tmp:
        if profile.copies_video:
            check_copy(info, profile)
            picture, frames = master, info.frame_count
        else:
            picture = Path(tmp) / "picture.mp4"
            frames = transcode_video(info, profile, picture)
        mux_audio(
            picture,
            audio,
            video_path,
            sample_rate=sample_rate,
            codec=profile.audio_codec,
            bitrate=profile.audio_bitrate,
        )
    size = video_path.stat().st_size
    if profile.max_bytes is not None and size > profile.max_bytes:
        raise InputError(f"delivered video is {size} bytes, over profile {profile.name}'s limit of {profile.max_bytes}")
    srt_path, vtt_path = out_dir / f"{base}.srt", out_dir / f"{base}.vtt"
    _write_text(srt_path, srt_text)
    _write_text(vtt_path, vtt_text)
    poster_path = out_dir / f"{base}_poster.jpg"
    _write_poster(video_path, poster_time_s, float(fps), poster_path)
    files: list[ManifestFile] = [
        describe_file(video_path, "video"),
        describe_file(srt_path, "subtitles"),
        describe_file(vtt_path, "subtitles"),
        describe_file(poster_path, "poster"),
    ]
    manifest = Manifest(
        tenant=tenant,
        series=series,
        episode=episode_id,
        profile=profile.as_dict(),
        qc_verdict=qc_verdict,
        template_hash=template_hash,
        created_by=f"microdrama {__version__}",
        video=VideoSummary(
            width=profile.width,
            height=profile.height,
            fps=float(fps),
            frames=frames,
            duration_s=round(frames / float(fps), 6),
        ),
        files=files,
    )
    write_manifest(manifest, out_dir)
    log.info("delivery.packaged", episode=episode_id, profile=profile.name, bytes=size, frames=frames)
    return manifest
