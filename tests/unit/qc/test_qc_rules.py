from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microdrama.domain.shots import ShotList
from microdrama.media.audio import SAMPLE_RATE
from microdrama.qc.report import QcReport
from microdrama.qc.rules import RuleResult
from microdrama.qc.run import run_qc

GOOD_SRT = """1
00:00:00,500 --> 00:00:02,500
The will was read at noon.

2
00:00:03,000 --> 00:00:04,800
Nobody expected her name.
"""
# The synthetic episode: five 1-second shots s00-s04 at 90x160, 24 fps; s00-s02 lie in the opening 3 s.
GOOD_IDENTITY = {f"s{i:02d}": {"mara": 0.9} for i in range(5)}


@pytest.fixture
def qc(shot_list: ShotList, clean_mix: np.ndarray) -> Callable[..., QcReport]:
    def run(master: Path, mix: np.ndarray = clean_mix, srt: str = GOOD_SRT, **kwargs: Any) -> QcReport:
        kwargs.setdefault("identity", GOOD_IDENTITY)
        return run_qc(master, mix, SAMPLE_RATE, srt, shot_list, expected_width=90, expected_height=160, **kwargs)

    return run


def _rule(report: QcReport, rule_id: str) -> RuleResult:
    return next(r for r in report.rules if r.id == rule_id)


def test_a_clean_episode_passes_every_rule(master_with: Callable[..., Path], qc: Callable[..., QcReport]) -> None:
    report = qc(master_with())
    assert [r.id for r in report.rules if r.verdict != "pass"] == []
    assert report.verdict == "pass"
    assert report.stream.display_aspect == "9:16" and report.stream.frame_count == 120
    assert len(report.thumbnails) == 5


def test_black_frames_are_found_in_their_shot(master_with: Callable[..., Path], qc: Callable[..., QcReport]) -> None:
    report = qc(master_with({2: {"black": range(10, 13)}}))
    black = _rule(report, "video.black_frames")
    assert (black.verdict, black.measured, black.shots) == ("fail", 3, ("s02",))
    assert report.black_frames == [58, 59, 60]
    assert report.verdict == "fail" and report.shots_to_regenerate() == ("s02",)


def test_a_long_frozen_run_fails_and_a_short_one_passes(
    master_with: Callable[..., Path], qc: Callable[..., QcReport]
) -> None:
    report = qc(master_with({1: {"freeze": range(4, 20)}, 3: {"freeze": range(5, 9)}}))
    frozen = _rule(report, "video.frozen")
    # Frames 3-19 of s01 show one picture: 17 frames, over the 12-frame limit; s03's 5 are allowed.
    assert (frozen.verdict, frozen.measured, frozen.shots) == ("fail", 17, ("s01",))
    assert sorted(n for _, n in report.frozen_runs) == [5, 17]


def test_a_flickering_shot_fails_while_steady_ones_pass(
    master_with: Callable[..., Path], qc: Callable[..., QcReport]
) -> None:
    report = qc(master_with({3: {"flicker": 2.0}}))
    flicker = _rule(report, "video.flicker")
    assert flicker.verdict == "fail" and flicker.shots == ("s03",)
    by_shot = {s.shot_id: s.flicker for s in report.shots}
    assert by_shot["s03"] > 3.0 and max(v for k, v in by_shot.items() if k != "s03") < 0.5


@pytest.mark.parametrize(("shot", "opening_fails"), [(0, True), (4, False)])
def test_the_opening_seconds_are_held_to_stricter_limits(
    master_with: Callable[..., Path], qc: Callable[..., QcReport], shot: int, opening_fails: bool
) -> None:
    """The same mild flicker and so-so likeness fail in the first shot and pass in the last."""
    identity = {**GOOD_IDENTITY, f"s{shot:02d}": {"mara": 0.65}}
    report = qc(master_with({shot: {"flicker": 0.6}}), identity=identity)
    assert _rule(report, "video.flicker").verdict != "fail"
    assert _rule(report, "identity.shots").verdict == "pass"
    expected = ("fail", ("s00",)) if opening_fails else ("pass", ())
    assert (_rule(report, "video.flicker_opening").verdict, _rule(report, "video.flicker_opening").shots) == expected
    assert (_rule(report, "identity.opening").verdict, _rule(report, "identity.opening").shots) == expected


def test_a_blurred_shot_and_a_colour_cast_shot_stand_out(
    master_with: Callable[..., Path], qc: Callable[..., QcReport]
) -> None:
    report = qc(master_with({2: {"blur": True}, 4: {"cast": (30.0, 0.0, -30.0)}}))
    sharp, colour = _rule(report, "video.soft_shots"), _rule(report, "video.colour_spread")
    assert (sharp.verdict, sharp.shots) == ("fail", ("s02",))
    assert _rule(report, "video.sharpness_spread").shots == ("s02",)
    assert (colour.verdict, colour.shots) == ("fail", ("s04",))


def test_colour_is_compared_within_each_scene(
    master_with: Callable[..., Path], shot_list: ShotList, clean_mix: np.ndarray
) -> None:
    """A warm second scene is the story's look; one warm shot inside a scene is a drift."""
    hallway = "INT. HALLWAY - CONTINUOUS"
    two_scenes = shot_list.model_copy(
        update={"shots": [s.model_copy(update={"scene": hallway}) if s.index >= 3 else s for s in shot_list.shots]}
    )

    def colour(looks: dict[int, dict[str, Any]]) -> RuleResult:
        report = run_qc(
            master_with(looks), clean_mix, SAMPLE_RATE, GOOD_SRT, two_scenes, expected_width=90, expected_height=160
        )
        return _rule(report, "video.colour_spread")

    warm = {"cast": (30.0, 0.0, -30.0)}
    scene_look = colour({3: warm, 4: warm})
    assert (scene_look.verdict, scene_look.shots) == ("pass", ())
    drift = colour({1: warm})
    assert (drift.verdict, drift.shots) == ("fail", ("s01",))
    assert drift.detail == "outliers in INT. STUDY - NIGHT: s01"


def test_a_wrong_shape_and_length_fail_the_stream_rules(
    master_with: Callable[..., Path], qc: Callable[..., QcReport]
) -> None:
    report = qc(master_with(width=160, shots=4))
    verdicts = {r.id: r.verdict for r in report.rules}
    assert verdicts["stream.resolution"] == verdicts["stream.aspect"] == verdicts["stream.duration"] == "fail"
    assert _rule(report, "stream.aspect").measured == "1:1"
    assert verdicts["stream.fps"] == "pass"


def test_off_target_loudness_and_hot_peaks_fail(
    master_with: Callable[..., Path], qc: Callable[..., QcReport], clean_mix: np.ndarray
) -> None:
    report = qc(master_with(), clean_mix * 10 ** (-6 / 20))
    loud = _rule(report, "audio.loudness")
    assert loud.verdict == "fail" and abs(float(loud.measured) - -20.0) < 0.3  # type: ignore[arg-type]
    hot = qc(master_with(), np.clip(clean_mix * 8, -1, 1))
    assert _rule(hot, "audio.true_peak").verdict == "fail"


def test_fast_long_or_late_subtitles_fail_and_name_their_shots(
    master_with: Callable[..., Path], qc: Callable[..., QcReport]
) -> None:
    srt = GOOD_SRT + (
        "\n3\n00:00:01,200 --> 00:00:02,200\nNo one in this family ever reads a will aloud.\n"
        "\n4\n00:00:04,900 --> 00:00:06,000\nToo late.\n"
    )
    report = qc(master_with(), srt=srt)
    speed, length, timing = (
        _rule(report, i) for i in ("subtitles.reading_speed", "subtitles.line_length", "subtitles.timing")
    )
    assert speed.verdict == "fail" and float(speed.measured) > 20 and speed.shots == ("s01", "s02")  # type: ignore[arg-type]
    assert length.verdict == "fail" and length.measured == 46
    assert timing.verdict == "fail" and "cue 4" in timing.detail
