"""Subtitles: cues follow the spoken lines, long lines split at words, no overlaps, SRT/WebVTT round-trip."""

from __future__ import annotations

import itertools

import pytest

from microdrama.audio.mix import PlacedLine
from microdrama.audio.subtitles import Cue, cues_from_lines, parse_srt, parse_vtt, reading_speed_cps, to_srt, to_vtt
from microdrama.domain.shots import DialogueLine
from microdrama.errors import InputError

LONG = (
    "The girl has the mark, and everyone in this house knows exactly what that means for the Ashford fortune tonight."
)
LINES = [
    PlacedLine("julian", "Grandfather fires a nurse a week. What makes you special?", 0.5, 3.2138),
    PlacedLine("mara", "I don't flinch.", 3.4, 3.9),  # spoken in half a second, followed closely
    PlacedLine("mara", "Wait.", 4.2, 4.6),
    PlacedLine("vivienne", LONG, 6.0, 11.0),
]


@pytest.fixture
def cues() -> list[Cue]:
    return cues_from_lines(LINES)


def test_cues_start_when_lines_are_spoken(cues: list[Cue]) -> None:
    assert [c.start_s for c in cues[:3]] == [0.5, 3.4, 4.2]
    assert cues[0].end_s == 3.214  # kept to the millisecond
    assert cues[-1].end_s == 11.0


def test_short_cues_are_held_but_never_overlap(cues: list[Cue]) -> None:
    assert cues[1].end_s == 4.2  # wants 1 s, the next cue starts sooner
    assert cues[2].end_s == pytest.approx(5.2)  # room to be held the full second
    for earlier, later in itertools.pairwise(cues):
        assert earlier.start_s < earlier.end_s <= later.start_s


def test_long_lines_split_into_cues_broken_at_words(cues: list[Cue]) -> None:
    split = [c for c in cues if c.start_s >= 6.0]
    assert len(split) == 2
    assert " ".join(" ".join(c.text.splitlines()) for c in split) == LONG
    assert [" ".join(c.text.splitlines()) for c in cues[:3]] == [line.text for line in LINES[:3]]
    for cue in cues:
        rows = cue.text.splitlines()
        assert len(rows) <= 2 and all(len(row) <= 42 for row in rows)
    # The split shares the line's time by length and the halves follow each other.
    assert split[0].end_s == split[1].start_s and 8.0 < split[0].end_s < 9.0


def test_dialogue_lines_from_a_script_work_too() -> None:
    line = DialogueLine(
        character_id="mara", character_name="MARA", text="I don't flinch.", start_s=1.0, end_s=2.5, source_line=9
    )
    assert cues_from_lines([line]) == [Cue(1, 1.0, 2.5, "I don't flinch.")]


def test_srt_round_trip(cues: list[Cue]) -> None:
    text = to_srt(cues)
    assert text.startswith("1\n00:00:00,500 --> 00:00:03,214\nGrandfather fires a nurse a")
    assert parse_srt(text) == cues


def test_vtt_round_trip(cues: list[Cue]) -> None:
    text = to_vtt(cues)
    assert text.startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:03.214\n")
    assert parse_vtt(text) == cues


def test_vtt_reader_accepts_what_other_tools_write() -> None:
    text = (
        "\ufeffWEBVTT - The Last Heir\nKind: captions\n\n"
        "NOTE written by hand\n\n"
        "00:01.000 --> 00:02.500 align:start position:10%\nHello.\n\n"
        "intro\r\n01:00:03.000 --> 01:00:04.000\r\nTwo\r\nrows\r\n"
    )
    assert parse_vtt(text) == [Cue(1, 1.0, 2.5, "Hello."), Cue(2, 3603.0, 3604.0, "Two\nrows")]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("1\n00:00:01,000 -> 00:00:02,000\nHi\n", 2, "timing line"),
        ("1\n00:00:01,000 --> 00:00:02,000\nHi\n\nx\n00:00:03,000 --> 00:00:04,000\nYo\n", 5, "cue number"),
        ("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 --> 00:00:0x,000\nYo\n", 6, "timestamp"),
        ("1\n00:00:02,000 --> 00:00:01,000\nHi\n", 2, "before it starts"),
        ("1\n00:00:01,000 --> 00:00:02,000\n", 2, "no text"),
    ],
)
def test_malformed_srt_names_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(InputError, match=rf"ep01\.srt:{line}: .*{problem}"):
        parse_srt(text, source="ep01.srt")


def test_malformed_vtt_names_the_line() -> None:
    with pytest.raises(InputError, match=r"line 1: .*WEBVTT"):
        parse_vtt("1\n00:00:01.000 --> 00:00:02.000\nHi\n")
    with pytest.raises(InputError, match=r"line 4: .*timestamp"):
        parse_vtt("WEBVTT\n\n1\n00:00:01,000 --> 00:00:02.000\nHi\n")


def test_reading_speed(cues: list[Cue]) -> None:
    # "Hello there" in 2 s: 11 characters counting the space.
    assert reading_speed_cps(Cue(1, 1.0, 3.0, "Hello\nthere")) == pytest.approx(5.5)
    assert all(0 < reading_speed_cps(c) < 25 for c in cues)
