"""Offline TTS: audible, plausibly timed, voices distinct, deterministic, fitted into slots."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from microdrama.audio.tts import EspeakTTS
from microdrama.domain.bible import Bible, Voice
from microdrama.errors import InputError

from .signals import SR, energy_db, median_f0

LINE = "You were never supposed to find that letter."


def test_speech_is_audible_trimmed_and_plausibly_long(tts: EspeakTTS, bible: Bible) -> None:
    speech = tts.synthesize("I don't flinch.", bible.character("mara").voice)
    assert speech.dtype == np.float32 and speech.ndim == 1
    # Three short words at 170 wpm: about a second, not a blip and not padded with silence.
    assert 0.5 < speech.size / SR < 1.6
    assert energy_db(speech) > -30.0
    peak = np.abs(speech).max()
    edge = int(0.05 * SR)
    assert np.abs(speech[:edge]).max() > 0.01 * peak
    assert np.abs(speech[-edge:]).max() > 0.01 * peak


def test_two_characters_sound_different(tts: EspeakTTS, bible: Bible) -> None:
    for character in bible.characters:
        tts.check_voice(character.voice)
    mara = tts.synthesize(LINE, bible.character("mara").voice)  # en-us+f3, pitch 58
    julian = tts.synthesize(LINE, bible.character("julian").voice)  # en-gb+m3, pitch 38
    assert median_f0(mara) > 1.4 * median_f0(julian)


def test_output_depends_neither_on_what_was_spoken_before_nor_when(tts: EspeakTTS, bible: Bible) -> None:
    voice = bible.character("mara").voice  # a breathy variant: espeak adds noise, seeded from the clock
    first = tts.synthesize(LINE, voice)
    tts.synthesize("Something else entirely, in another voice.", bible.character("julian").voice)
    time.sleep(1.0 - time.time() % 1.0 + 0.01)  # into the next second of the clock
    again = tts.synthesize(LINE, voice)
    assert np.array_equal(first, again)


def test_fit_speeds_a_line_up_into_a_shorter_slot(tts: EspeakTTS, bible: Bible) -> None:
    voice = bible.character("mara").voice
    natural = tts.synthesize(LINE, voice).size / SR
    fitted = tts.synthesize_fit(LINE, voice, 0.8 * natural)
    assert 0.6 * natural < fitted.size / SR <= 0.8 * natural
    assert np.array_equal(tts.synthesize_fit(LINE, voice, natural + 1.0), tts.synthesize(LINE, voice))


def test_fit_compresses_as_a_last_resort_without_changing_pitch(tts: EspeakTTS, bible: Bible) -> None:
    voice = bible.character("julian").voice
    natural = tts.synthesize(LINE, voice)
    slot = 0.45 * natural.size / SR  # beyond what a faster speaking rate can reach
    squeezed = tts.synthesize_fit(LINE, voice, slot)
    assert squeezed.size == int(slot * SR)
    assert median_f0(squeezed) == pytest.approx(median_f0(natural), rel=0.15)


@pytest.mark.parametrize("name", ["xx-nowhere", "en-us+nosuchvariant"])
def test_unknown_voice_is_an_input_error_naming_it(tts: EspeakTTS, name: str) -> None:
    with pytest.raises(InputError, match=re.escape(repr(name))):
        tts.synthesize("Hello.", Voice(voice=name))
    with pytest.raises(InputError, match=re.escape(repr(name))):
        tts.check_voice(Voice(voice=name))


def test_a_slot_with_no_time_is_an_input_error(tts: EspeakTTS) -> None:
    with pytest.raises(InputError, match="slot"):
        tts.synthesize_fit("Hello.", Voice(), 0.0)
