"""An episode's mix: dialogue placed on the timeline, a ducked music bed, mastered loudness."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from microdrama.audio.ducking import duck_gain
from microdrama.audio.loudness import integrated_lufs, normalise
from microdrama.audio.music import BED_LUFS, music_bed
from microdrama.audio.tts import EspeakTTS
from microdrama.domain.bible import Bible
from microdrama.domain.shots import DialogueLine, ShotList
from microdrama.errors import InputError

DIALOGUE_LUFS = -20.0  # each line, before mastering
MUSIC_BELOW_DIALOGUE_DB = 6.0  # the bed between lines; ducking takes it further down under them
DUCK_DEPTH_DB = -12.0
PAN_SPREAD = 0.3  # characters sit within +-0.3 of centre (-1 left .. 1 right)


@dataclass(frozen=True)
class PlacedLine:
    """A line as actually spoken in the mix (after fitting), in episode seconds."""

    character_id: str
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Mix:
    samples: np.ndarray  # (n, 2) float32, mastered
    lines: list[PlacedLine]
    sample_rate: int
    # Stems before mastering, for QC and dubbing (music is the ducked bed as mixed).
    dialogue: np.ndarray
    music: np.ndarray


def _pan_gains(bible: Bible) -> dict[str, tuple[float, float]]:
    """Equal-power (left, right) gains per character, spread evenly in bible order."""
    count = len(bible.characters)
    gains = {}
    for i, c in enumerate(bible.characters):
        pan = PAN_SPREAD * (2.0 * i / (count - 1) - 1.0) if count > 1 else 0.0
        theta = (pan + 1.0) * np.pi / 4.0
        gains[c.id] = (float(np.cos(theta)), float(np.sin(theta)))
    return gains


def _slots(shot_list: ShotList) -> Iterator[tuple[DialogueLine, float]]:
    """Each line with the latest time it may end: its shot's end, or the next line's start if sooner."""
    total = shot_list.duration_s
    timed = [(line, min(shot.start_s + shot.duration_s, total)) for shot in shot_list.shots for line in shot.dialogue]
    timed.sort(key=lambda item: item[0].start_s)
    for i, (line, shot_end) in enumerate(timed):
        later = [other.start_s for other, _ in timed[i + 1 :] if other.start_s > line.start_s]
        yield line, min([shot_end, *later[:1]])


def mix_episode(shot_list: ShotList, bible: Bible, tts: EspeakTTS, *, seed: int, sample_rate: int = 48_000) -> Mix:
    """Speak every line into its slot, lay the ducked music bed under it, and master the result."""
    if tts.sample_rate != sample_rate:
        raise ValueError(f"the TTS renders at {tts.sample_rate} Hz, the mix is at {sample_rate} Hz")
    duration = shot_list.duration_s
    n = round(duration * sample_rate)
    pans = _pan_gains(bible)
    dialogue = np.zeros((n, 2))
    placed: list[PlacedLine] = []
    for line, slot_end in _slots(shot_list):
        if line.character_id not in pans:
            raise InputError(f"dialogue by {line.character_id!r}, who is not in the bible", line=line.source_line)
        if line.start_s >= duration:
            raise InputError(
                f"dialogue starts at {line.start_s:.2f} s, after the episode ends at {duration:.2f} s",
                line=line.source_line,
            )
        speech = tts.synthesize_fit(line.text, bible.character(line.character_id).voice, slot_end - line.start_s)
        lufs = integrated_lufs(speech, sample_rate)
        if np.isfinite(lufs):
            speech = speech * 10.0 ** ((DIALOGUE_LUFS - lufs) / 20.0)
        start = round(line.start_s * sample_rate)
        speech = speech[: n - start]
        dialogue[start : start + speech.size] += speech[:, None] * np.array(pans[line.character_id])
        placed.append(
            PlacedLine(line.character_id, line.text, start / sample_rate, (start + speech.size) / sample_rate)
        )
    bed_gain = 10.0 ** ((DIALOGUE_LUFS - MUSIC_BELOW_DIALOGUE_DB - BED_LUFS) / 20.0)
    duck = duck_gain(n, [(p.start_s, p.end_s) for p in placed], sample_rate, DUCK_DEPTH_DB)
    music = music_bed(duration, bible.music, seed, sample_rate) * (bed_gain * duck)[:, None]
    return Mix(
        samples=normalise(dialogue + music, sample_rate),
        lines=placed,
        sample_rate=sample_rate,
        dialogue=dialogue.astype(np.float32),
        music=music.astype(np.float32),
    )
