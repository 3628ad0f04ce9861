"""The episode mix: exact length, lines placed and fitted, music ducked under speech, mastered loudness."""

from __future__ import annotations

import numpy as np
import pytest

from microdrama.audio.loudness import integrated_lufs, true_peak_dbtp
from microdrama.audio.mix import Mix, mix_episode
from microdrama.audio.tts import EspeakTTS
from microdrama.domain.bible import Bible
from microdrama.domain.shots import DialogueLine, Shot, ShotList
from microdrama.errors import InputError

from .signals import SR, energy_db, span

FPS = 24


def _line(character: str, text: str, start_s: float, end_s: float, source_line: int) -> DialogueLine:
    return DialogueLine(
        character_id=character,
        character_name=character.upper(),
        text=text,
        start_s=start_s,
        end_s=end_s,
        source_line=source_line,
    )


def _shot(index: int, start_s: float, duration_s: float, dialogue: list[DialogueLine]) -> Shot:
    return Shot(
        id=f"s{index + 1:02d}",
        index=index,
        scene="1",
        location="ASHFORD MANOR BEDROOM",
        interior=True,
        time_of_day="NIGHT",
        action="Rain on the windows.",
        characters=sorted({line.character_id for line in dialogue}),
        dialogue=dialogue,
        start_s=start_s,
        duration_s=duration_s,
        source_line=5 + index,
    )


def _shot_list(*shots: Shot) -> ShotList:
    return ShotList(series_id="the-last-heir", episode_id="ep01", title="The Night Nurse", fps=FPS, shots=list(shots))


# Two lines with a long gap between them, then a line far too long for the 1.5 s left in its shot.
SCENE = _shot_list(
    _shot(0, 0.0, 6.0, [_line("mara", "I don't flinch.", 0.5, 1.8, 10), _line("julian", "Is that so?", 4.0, 5.5, 12)]),
    _shot(
        1,
        6.0,
        2.71,  # not a whole number of frames: the episode is 65 frames, 2.7083 s
        [_line("vivienne", "The girl has the mark. Make sure she never leaves this house.", 7.0, 8.5, 15)],
    ),
)


@pytest.fixture(scope="module")
def mix(tts: EspeakTTS, bible: Bible) -> Mix:
    return mix_episode(SCENE, bible, tts, seed=3)


def test_mix_is_exactly_as_long_as_the_episode(mix: Mix) -> None:
    expected = round(SCENE.duration_s * SR)
    assert mix.samples.shape == (expected, 2) and mix.samples.dtype == np.float32
    assert mix.dialogue.shape == mix.music.shape == (expected, 2)


def test_mix_is_mastered_to_platform_loudness(mix: Mix) -> None:
    assert integrated_lufs(mix.samples, SR) == pytest.approx(-14.0, abs=0.5)
    assert true_peak_dbtp(mix.samples, SR) <= -1.0


def test_lines_start_on_cue_and_fit_their_slots(mix: Mix, tts: EspeakTTS, bible: Bible) -> None:
    assert [(p.character_id, p.start_s) for p in mix.lines] == [("mara", 0.5), ("julian", 4.0), ("vivienne", 7.0)]
    assert mix.lines[0].end_s <= 4.0  # the next line's start bounds the slot
    # The last line needs more time than its shot has left, so it was fitted to end with the episode.
    unhurried = tts.synthesize(mix.lines[2].text, bible.character("vivienne").voice).size / SR
    assert mix.lines[2].start_s + unhurried > SCENE.duration_s
    assert mix.lines[2].end_s == pytest.approx(SCENE.duration_s, abs=1e-3)
    for placed in mix.lines:
        speech = span(mix.dialogue, placed.start_s, placed.end_s)
        silence_before = span(mix.dialogue, placed.start_s - 0.3, placed.start_s)
        assert energy_db(speech) > energy_db(silence_before) + 30.0


def test_music_ducks_under_dialogue_and_swells_between_lines(mix: Mix) -> None:
    under = energy_db(span(mix.music, 4.2, mix.lines[1].end_s - 0.1))
    between = energy_db(span(mix.music, 2.5, 3.8))
    assert between > under + 8.0


def test_characters_are_panned_apart(mix: Mix) -> None:
    def left_minus_right(placed_index: int) -> float:
        part = span(mix.dialogue, mix.lines[placed_index].start_s, mix.lines[placed_index].end_s)
        return energy_db(part[:, 0]) - energy_db(part[:, 1])

    assert left_minus_right(0) > 1.0  # Mara, first in the bible: left of centre
    assert abs(left_minus_right(1)) < 0.1  # Julian: centre
    assert left_minus_right(2) < -1.0  # Vivienne: right of centre


def test_mix_is_deterministic(mix: Mix, tts: EspeakTTS, bible: Bible) -> None:
    assert np.array_equal(mix_episode(SCENE, bible, tts, seed=3).samples, mix.samples)


def test_dialogue_by_a_stranger_names_the_script_line(tts: EspeakTTS, bible: Bible) -> None:
    stranger = _shot_list(_shot(0, 0.0, 2.0, [_line("nobody", "Hello.", 0.2, 1.0, 42)]))
    with pytest.raises(InputError, match=r"line 42.*'nobody'"):
        mix_episode(stranger, bible, tts, seed=1)
