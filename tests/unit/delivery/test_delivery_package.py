from __future__ import annotations

from dataclasses import replace
from math import floor
from pathlib import Path

import av
import numpy as np
import pytest

from microdrama.audio.loudness import integrated_lufs
from microdrama.delivery.manifest import read_manifest, verify_manifest
from microdrama.delivery.package import package_episode
from microdrama.delivery.profiles import DeliveryProfile, get_profile
from microdrama.errors import InputError
from microdrama.media.audio import SAMPLE_RATE, read_audio_stream
from microdrama.media.probe import probe_video
from microdrama.media.video import read_video

SRT = "1\n00:00:00,100 --> 00:00:00,900\nHello.\n"
VTT = "WEBVTT\n\n00:00:00.100 --> 00:00:00.900\nHello.\n"
EPISODE = {"tenant": "acme", "series": "the-last-heir", "episode": "ep001"}


def _package(master: Path, mix: np.ndarray, profile: DeliveryProfile, out: Path, verdict: str = "pass") -> Path:
    package_episode(
        master,
        mix,
        SAMPLE_RATE,
        SRT,
        VTT,
        profile,
        out,
        episode=EPISODE,
        qc_verdict=verdict,
        template_hash="tpl-abc123",
        poster_time_s=0.5,
    )
    return out


def test_review_package_plays_at_profile_size_rate_and_length_with_loud_enough_audio(
    master: Path, mix: np.ndarray, tmp_path: Path
) -> None:
    out = _package(master, mix, get_profile("review-540p-h264"), tmp_path / "out")
    video = out / "ep001_review-540p-h264.mp4"
    info = probe_video(video)
    assert (info.width, info.height, info.fps) == (540, 960, 24)
    assert read_video(video).shape[0] == 24
    assert info.has_audio
    audio = read_audio_stream(video)
    assert abs(audio.shape[0] / SAMPLE_RATE - 1.0) < 0.05
    # The mix came in at about -26 LUFS; the profile wants -14.
    assert abs(integrated_lufs(audio, SAMPLE_RATE) - -14.0) < 1.0
    assert sorted(p.name for p in out.iterdir()) == [
        "ep001_review-540p-h264.mp4",
        "ep001_review-540p-h264.srt",
        "ep001_review-540p-h264.vtt",
        "ep001_review-540p-h264_poster.jpg",
        "manifest.json",
    ]
    assert (out / "ep001_review-540p-h264.srt").read_text() == SRT


def test_app_profile_converts_24_to_30_fps_keeping_duration_and_timing(
    master: Path, mix: np.ndarray, tmp_path: Path
) -> None:
    out = _package(master, mix, get_profile("app-1080p-h264"), tmp_path / "out")
    video = out / "ep001_app-1080p-h264.mp4"
    info = probe_video(video)
    assert (info.width, info.height, info.fps) == (1080, 1920, 30)
    frames = read_video(video)
    assert frames.shape[0] == 30  # 1 s at 30 fps, from 24 frames at 24 fps
    # The master's brightness counts its frames: each output frame shows the source frame on screen at its time.
    shown = np.round((frames.reshape(30, -1).mean(axis=1) - 20) / 9).astype(int)
    assert shown.tolist() == [floor(k * 24 / 30) for k in range(30)]
    manifest = read_manifest(out)
    assert (manifest.video.frames, manifest.video.fps, manifest.video.duration_s) == (30, 30.0, 1.0)


def test_manifest_checksums_verify_and_tampering_is_reported(master: Path, mix: np.ndarray, tmp_path: Path) -> None:
    out = _package(master, mix, get_profile("review-540p-h264"), tmp_path / "out")
    manifest = read_manifest(out)
    assert verify_manifest(out) == []
    assert {f.kind for f in manifest.files} == {"video", "subtitles", "poster"}
    assert (manifest.tenant, manifest.episode, manifest.qc_verdict, manifest.template_hash) == (
        "acme",
        "ep001",
        "pass",
        "tpl-abc123",
    )
    srt = out / "ep001_review-540p-h264.srt"
    srt.write_text(SRT.replace("Hello", "Jello"))
    (out / "ep001_review-540p-h264_poster.jpg").unlink()
    problems = verify_manifest(out)
    assert any("srt" in p and "sha256" in p for p in problems)
    assert any("poster" in p and "missing" in p for p in problems)
    (out / "manifest.json").unlink()
    assert verify_manifest(out) and "manifest not found" in verify_manifest(out)[0]


def test_repackaging_gives_identical_bytes(master: Path, mix: np.ndarray, tmp_path: Path) -> None:
    # Three runs in one process: a long-lived worker must repeat itself, not only a fresh process.
    profile = get_profile("review-540p-h264")
    first, *others = (_package(master, mix, profile, tmp_path / run) for run in ("a", "b", "c"))
    names = sorted(p.name for p in first.iterdir())
    for other in others:
        assert names == sorted(p.name for p in other.iterdir())
        for name in names:
            assert (first / name).read_bytes() == (other / name).read_bytes(), name


def _packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.video[0]) if p.size]


def test_copy_profile_passes_the_master_picture_through_untouched(
    master: Path, mix: np.ndarray, tmp_path: Path
) -> None:
    copy = replace(get_profile("master-2160p-h264"), name="master-test", width=90, height=160)
    out = _package(master, mix, copy, tmp_path / "out")
    assert _packets(out / "ep001_master-test.mp4") == _packets(master)
    assert read_manifest(out).video.frames == 24
    with pytest.raises(InputError, match="2160x3840"):
        _package(master, mix, get_profile("master-2160p-h264"), tmp_path / "4k")


def test_a_failed_episode_or_bad_ids_are_refused(master: Path, mix: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="QC verdict"):
        _package(master, mix, get_profile("review-540p-h264"), tmp_path / "out", verdict="fail")
    with pytest.raises(InputError, match="segment"):
        package_episode(
            master,
            mix,
            SAMPLE_RATE,
            SRT,
            VTT,
            get_profile("review-540p-h264"),
            tmp_path / "out",
            episode={**EPISODE, "episode": "../ep"},
            qc_verdict="pass",
            template_hash="t",
            poster_time_s=0,
        )
