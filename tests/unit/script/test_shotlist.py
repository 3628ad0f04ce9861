"""Shot lists: frame-exact timing, dialogue inside its shot, coverage, and the sample episodes' shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from microdrama.domain.bible import Bible, parse_bible
from microdrama.domain.shots import ShotList
from microdrama.errors import InputError
from microdrama.script import build_shot_list, parse_fountain, parse_heading

SERIES = Path(__file__).resolve().parents[3] / "examples" / "the-last-heir"

# MARA speaks at 170 wpm, JULIAN at 155 (see the sample bible).
SCRIPT = """\
Title: Test Episode

INT. MANOR BEDROOM - NIGHT

Rain.

JULIAN
(cold)
You are not who you say you are, and I can prove it tonight before dawn.

MARA
Hi.

EXT. GARDEN - DAY

Mara runs through the wet hedges past the fountain, the statues and the locked gates
while the dogs bark and the lights come on one window after another across the house.

VIVIENNE (O.S.)
Stop her!
"""


@pytest.fixture(scope="module")
def bible() -> Bible:
    return parse_bible((SERIES / "bible.yaml").read_text(encoding="utf-8"), "bible.yaml")


def build(script: str, bible: Bible, fps: int = 24) -> ShotList:
    play = parse_fountain(script, "ep.fountain")
    return build_shot_list(play, bible, series_id="s", episode_id="e", source="ep.fountain", fps=fps)


def test_durations_follow_the_estimates_in_whole_frames(bible: Bible) -> None:
    shots = build(SCRIPT, bible).shots

    # 1 word of action -> 1.75 s, clamped up to 2.0 s.
    # 16 words at 155 wpm = 6.194 s + 0.6 s = 6.794 s -> 163 frames.
    # 1 word at 170 wpm = 0.353 s + 0.6 s, raised to the 1.5 s minimum.
    # 31 words of action -> 9.25 s, clamped down to 5.0 s.
    # 2 words at 150 wpm = 0.8 s + 0.6 s = 1.4 s, raised to 1.5 s.
    assert [round(s.duration_s * 24) for s in shots] == [48, 163, 36, 120, 36]
    assert [s.id for s in shots] == ["s01", "s02", "s03", "s04", "s05"]


@pytest.mark.parametrize("fps", [24, 25, 30])
def test_every_shot_starts_on_a_frame_and_the_shots_sum_to_the_episode(bible: Bible, fps: int) -> None:
    shot_list = build(SCRIPT, bible, fps=fps)
    frame = 0
    for shot in shot_list.shots:
        # n / fps * fps is exactly n in binary floating point at 24 fps, within an ulp at 25 or 30.
        assert shot.start_s * fps == pytest.approx(frame, abs=1e-9)
        assert (shot.start_s * fps).is_integer() or fps != 24
        assert shot.duration_s * fps == pytest.approx(shot.frame_count(fps), abs=1e-9)
        frame += shot.frame_count(fps)
    assert shot_list.duration_s == frame / fps
    last = shot_list.shots[-1]
    assert last.start_s + last.duration_s == pytest.approx(shot_list.duration_s, abs=1e-9)


def test_dialogue_lies_inside_its_shot_and_is_timed_to_the_voice(bible: Bible) -> None:
    shot_list = build(SCRIPT, bible)
    spoken = [s for s in shot_list.shots if s.dialogue]
    assert len(spoken) == 3
    for shot in spoken:
        (line,) = shot.dialogue
        assert line.start_s == pytest.approx(shot.start_s + 0.25)
        assert shot.start_s < line.start_s < line.end_s <= shot.start_s + shot.duration_s
    julian = spoken[0].dialogue[0]
    assert (julian.character_id, julian.parenthetical, julian.source_line) == ("julian", "cold", 9)
    assert julian.end_s - julian.start_s == pytest.approx(16 / (155 / 60))
    assert [line.text for line in shot_list.dialogue][1:] == ["Hi.", "Stop her!"]


def test_dialogue_shots_cover_both_sides_and_leave_off_screen_voices_out(bible: Bible) -> None:
    shots = build(SCRIPT, bible).shots
    assert shots[0].characters == []  # "Rain." names nobody
    assert shots[1].characters == ["julian", "mara"]
    assert shots[2].characters == ["mara", "julian"]
    assert shots[3].characters == ["mara"]  # "Mara runs": names match in any case
    assert shots[4].characters == ["mara"]  # VIVIENNE is (O.S.): heard, not seen
    assert shots[4].action == "VIVIENNE speaks to MARA"


def test_scene_fields_camera_and_cliffhanger(bible: Bible) -> None:
    shot_list = build(SCRIPT, bible)
    shots = shot_list.shots
    assert shot_list.title == "Test Episode"
    assert [(s.scene, s.location, s.interior, s.time_of_day) for s in (shots[0], shots[3])] == [
        ("INT. MANOR BEDROOM - NIGHT", "MANOR BEDROOM", True, "NIGHT"),
        ("EXT. GARDEN - DAY", "GARDEN", False, "DAY"),
    ]
    assert [s.camera for s in shots] == ["pan_right", "static", "static", "pull_out", "push_in"]
    assert [s.cliffhanger for s in shots] == [False, False, False, False, True]
    assert [s.source_line for s in shots] == [5, 7, 11, 16, 19]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("INT. MANOR BEDROOM - NIGHT", (True, "MANOR BEDROOM", "NIGHT")),
        ("EXT. ROOFTOP - dawn", (False, "ROOFTOP", "DAWN")),
        ("EST. ASHFORD MANOR - NIGHT", (False, "ASHFORD MANOR", "NIGHT")),
        ("INT./EXT. CAR - MOVING - DAY", (True, "CAR - MOVING", "DAY")),
        ("I/E HALLWAY", (True, "HALLWAY", "DAY")),
        ("FLASHBACK", (True, "FLASHBACK", "DAY")),
    ],
)
def test_heading_gives_interior_location_and_time(heading: str, expected: tuple[bool, str, str]) -> None:
    assert parse_heading(heading) == expected


def test_unknown_speaker_names_file_line_and_name(bible: Bible) -> None:
    script = "INT. A - DAY\n\nMARA\nWho are you?\n\nGRANDFATHER\nYour father.\n"
    with pytest.raises(InputError, match="'GRANDFATHER' is not in the bible") as caught:
        build(script, bible)
    assert (caught.value.file, caught.value.line) == ("ep.fountain", 6)


def test_same_script_builds_the_same_shot_list(bible: Bible) -> None:
    assert build(SCRIPT, bible).model_dump_json() == build(SCRIPT, bible).model_dump_json()


@pytest.mark.parametrize("episode", ["episodes/ep01.fountain", "episodes/ep02.fountain"])
def test_sample_episodes_are_short_two_handers_ending_on_a_cliffhanger(bible: Bible, episode: str) -> None:
    assert episode in bible.episodes
    path = SERIES / episode
    play = parse_fountain(path.read_text(encoding="utf-8"), str(path))
    shot_list = build_shot_list(play, bible, series_id=bible.id, episode_id=path.stem, source=str(path))

    assert 30.0 <= shot_list.duration_s <= 45.0
    assert 6 <= len(shot_list.shots) <= 10
    assert len({line.character_id for line in shot_list.dialogue}) >= 2
    assert [s.cliffhanger for s in shot_list.shots].count(True) == 1
    assert shot_list.shots[-1].cliffhanger
    assert shot_list.title.startswith("Episode")
    assert {s.time_of_day for s in shot_list.shots} == {"NIGHT"}  # CONTINUOUS carries the night over


def test_script_with_nothing_to_shoot_is_rejected(bible: Bible) -> None:
    with pytest.raises(InputError, match="no action or dialogue") as caught:
        build("INT. A - DAY\n\nCUT TO:\n\nEXT. B - NIGHT\n", bible)
    assert caught.value.file == "ep.fountain"
