"""A tiny series through script, character, generation, finishing, audio, QC and delivery over real events."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path

import av
import pytest

from microdrama.audio.loudness import integrated_lufs
from microdrama.audio.subtitles import parse_srt, parse_vtt
from microdrama.delivery.manifest import verify_manifest
from microdrama.domain.shots import ShotList
from microdrama.media.audio import read_audio_stream
from microdrama.media.probe import probe_video
from tests.e2e.conftest import Run, make_series, run_cli

pytestmark = pytest.mark.e2e
PROFILES = {"review-540p-h264": (540, 960, 24), "app-1080p-h264": (1080, 1920, 30)}


def shot_list(out: Path, episode: str) -> ShotList:
    [path] = (out / "store").rglob(f"episodes/{episode}/script/shotlist.json")
    return ShotList.model_validate_json(path.read_text())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_good_episode_is_delivered_per_profile(mixed_run: Run) -> None:
    assert mixed_run.code == 1, mixed_run.stdout  # two bad episodes: the run reports failure...
    ep = mixed_run.out / "ep01"
    shots = shot_list(mixed_run.out, "ep01")
    for profile, (width, height, fps) in PROFILES.items():
        folder = ep / profile
        assert verify_manifest(folder) == []
        manifest = json.loads((folder / "manifest.json").read_text())
        assert (
            manifest["profile"]["name"] == profile
            if isinstance(manifest["profile"], dict)
            else manifest["profile"] == profile
        )
        assert manifest["qc_verdict"] == "pass" and len(manifest["template_hash"]) == 64
        [video] = folder.glob("*.mp4")
        info = probe_video(video)
        assert (info.width, info.height) == (width, height)
        assert Fraction(info.width, info.height) == Fraction(9, 16)
        assert info.fps == fps
        assert abs(info.duration_s - shots.duration_s) <= 1.5 / fps
        with av.open(str(video)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert abs(frames - round(shots.duration_s * fps)) <= 1
        assert info.has_audio
        audio = read_audio_stream(video)
        assert abs(integrated_lufs(audio, 48_000) - (-14.0)) <= 1.0
        assert list(folder.glob("*.srt")) and list(folder.glob("*.vtt"))
        assert any(p.suffix in (".jpg", ".png") for p in folder.iterdir())


def test_subtitles_follow_the_dialogue(mixed_run: Run) -> None:
    shots = shot_list(mixed_run.out, "ep01")
    folder = mixed_run.out / "ep01" / "review-540p-h264"
    cues = parse_srt(next(folder.glob("*.srt")).read_text())
    assert parse_vtt(next(folder.glob("*.vtt")).read_text()) == cues
    lines = shots.dialogue
    assert [c.text.replace("\n", " ") for c in cues] == [ln.text for ln in lines]
    for cue, line in zip(cues, lines, strict=True):
        shot = next(s for s in shots.shots if line in s.dialogue)
        # A cue appears while its line is spoken, inside its shot.
        assert shot.start_s - 0.05 <= cue.start_s <= line.start_s + 0.3
        assert cue.end_s <= shot.start_s + shot.duration_s + 1.0


def test_qc_report_is_written_with_a_contact_sheet(mixed_run: Run) -> None:
    qc = mixed_run.out / "ep01" / "qc"
    report = json.loads((qc / "report.json").read_text())
    assert report["verdict"] in ("pass", "warn")
    html = (qc / "report.html").read_text()
    assert "<img" in html and "s01" in html and "<svg" in html


def test_bad_episodes_fail_alone_with_the_problem_named(mixed_run: Run) -> None:
    status = run_cli("status", mixed_run.out, "--json")
    docs = {d["episode"]: d for d in json.loads(status.stdout)}
    assert docs["ep01"]["state"] == "delivered"
    assert docs["ep02"]["state"] == "failed"
    assert docs["ep02"]["error"]["stage"] == "script"
    assert "ep02.fountain:5" in docs["ep02"]["error"]["reason"]
    assert docs["ep03"]["state"] == "failed"
    assert "s02" in docs["ep03"]["error"]["reason"] and "unusable" in docs["ep03"]["error"]["reason"]
    assert not (mixed_run.out / "ep02" / "review-540p-h264").exists()


def test_rerun_gives_identical_video_bytes(mixed_run: Run, rerun: Run) -> None:
    assert rerun.code == 0, rerun.stdout + rerun.stderr
    for profile in PROFILES:
        [a] = (mixed_run.out / "ep01" / profile).glob("*.mp4")
        [b] = (rerun.out / "ep01" / profile).glob("*.mp4")
        assert sha(a) == sha(b)


def test_missing_reference_image_is_refused_before_anything_runs(tmp_path: Path) -> None:
    series = make_series(tmp_path, {"ep01": "Title: x\n\nINT. A - DAY\n\nMARA waits.\n"})
    (series / "references" / "julian.png").unlink()
    proc = run_cli("run", series, "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "julian.png" in proc.stdout and "not found" in proc.stdout
