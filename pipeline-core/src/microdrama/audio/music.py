"""A procedurally synthesised underscore: soft minor-key pads, a heartbeat pulse, a closing riser."""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.signal import butter, resample_poly, sosfilt

from microdrama.audio.loudness import integrated_lufs
from microdrama.domain.bible import Music

BED_LUFS = -20.0
# Everything here sits below ~5 kHz, so it is synthesised at a low rate and upsampled once.
_SYNTH_SR = 16_000
_NOTES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# (semitones above the tonic, minor chord?) per chord; two bars each.
_MINOR_PROGRESSIONS = (
    ((0, True), (8, False), (5, True), (7, False)),  # i VI iv V
    ((0, True), (8, False), (3, False), (10, False)),  # i VI III VII
    ((0, True), (5, True), (8, False), (7, False)),  # i iv VI V
)
_MAJOR_PROGRESSIONS = (
    ((0, False), (9, True), (5, False), (7, False)),  # I vi IV V
    ((0, False), (5, False), (9, True), (7, False)),  # I IV vi V
)
_BEATS_PER_CHORD = 8
_PAD_CENTRE_MIDI = 60
_PAD_ATTACK_S = 1.4
_PAD_RELEASE_S = 1.6
_PAD_DETUNE_CENTS = 7.0
_PAD_CUTOFF_HZ = 1400.0
_RISER_S = 3.0
_EDGE_FADE_S = 0.02


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _tonic_pitch_class(root: str) -> int:
    accidental = {"#": 1, "b": -1}.get(root[1:], 0)
    return (_NOTES[root[0]] + accidental) % 12


def _lowest_at_or_above(pitch_class: int, low_midi: int) -> int:
    """The MIDI note of this pitch class in the octave starting at low_midi."""
    return low_midi + (pitch_class - low_midi) % 12


def _wavetable(size: int = 2048, harmonics: int = 7) -> np.ndarray:
    """One cycle of a soft saw: few harmonics, falling faster than a real saw's 1/k."""
    phase = np.arange(size) / size
    table = sum(np.sin(2 * np.pi * k * phase) / k**1.6 for k in range(1, harmonics + 1))
    return np.asarray(table / np.abs(table).max())


def _oscillator(table: np.ndarray, freq: float, n: int, phase0: float) -> np.ndarray:
    idx = ((phase0 + freq * np.arange(n) / _SYNTH_SR) * table.size).astype(np.int64) % table.size
    return table[idx]


def _chord_notes(tonic: int, offset: int, minor: bool) -> list[int]:
    """Triad tones voiced near the pad centre, plus the root an octave below the lowest."""
    notes = [_lowest_at_or_above(tonic + offset + i, _PAD_CENTRE_MIDI - 6) for i in (0, 3 if minor else 4, 7)]
    return [*sorted(notes), min(notes) - 12]


def _envelope(n: int, attack: int, release: int, sustain: int) -> np.ndarray:
    """Slow sine-squared attack, hold until `sustain`, then release: chords cross-fade."""
    t = np.arange(n)
    rise = np.clip(t / max(attack, 1), 0.0, 1.0)
    fall = np.clip(1.0 - (t - sustain) / max(release, 1), 0.0, 1.0)
    return np.asarray(np.sin(0.5 * np.pi * np.minimum(rise, fall)) ** 2)


def _pads(n: int, music: Music, rng: np.random.Generator) -> np.ndarray:
    table = _wavetable()
    chord_len = int(_BEATS_PER_CHORD * 60.0 / music.bpm * _SYNTH_SR)
    attack, release = int(_PAD_ATTACK_S * _SYNTH_SR), int(_PAD_RELEASE_S * _SYNTH_SR)
    progressions = _MINOR_PROGRESSIONS if music.minor else _MAJOR_PROGRESSIONS
    progression = progressions[int(rng.integers(len(progressions)))]
    tonic = _tonic_pitch_class(music.root)
    out = np.zeros((n, 2))
    for i, start in enumerate(range(0, n, chord_len)):
        offset, minor = progression[i % len(progression)]
        seg = min(n - start, chord_len + release)
        env = _envelope(seg, attack, release, chord_len)
        for j, midi in enumerate(_chord_notes(tonic, offset, minor)):
            level = 0.5 if j == 3 else 1.0  # the low root underpins, it does not boom
            voice = level * env
            out[start : start + seg] += (voice * _oscillator(table, _hz(midi), seg, rng.random()))[:, None]
            # One oscillator detuned flat on the left, one sharp on the right: slow beating
            # that differs between the ears gives width and stays mono-compatible.
            for ch, sign in ((0, -1.0), (1, 1.0)):
                cents = sign * _PAD_DETUNE_CENTS * rng.uniform(0.6, 1.0)
                out[start : start + seg, ch] += voice * _oscillator(table, _hz(midi + cents / 100.0), seg, rng.random())
    sos = butter(2, _PAD_CUTOFF_HZ, fs=_SYNTH_SR, output="sos")
    return np.asarray(sosfilt(sos, out, axis=0))


def _pulse(n: int, music: Music) -> np.ndarray:
    """A heartbeat on every beat: a low 'lub' and a softer 'dub', pitch falling into each."""
    beat = 60.0 / music.bpm
    f0 = _hz(_lowest_at_or_above(_tonic_pitch_class(music.root), 28))  # the tonic at 41-78 Hz
    hit_len = int(0.45 * _SYNTH_SR)
    t = np.arange(hit_len) / _SYNTH_SR
    sweep = f0 * (1.0 + 0.6 * np.exp(-t / 0.03))
    phase = 2 * np.pi * np.cumsum(sweep) / _SYNTH_SR
    body = np.sin(phase) + 0.35 * np.sin(2 * phase)  # the octave keeps it audible on phone speakers
    hit = body * np.exp(-t / 0.12) * np.clip(t / 0.004, 0.0, 1.0)
    out = np.zeros(n)
    for k in range(int(n / _SYNTH_SR / beat) + 1):
        accent = 1.0 if k % 4 == 0 else 0.7
        for delay, level in ((0.0, accent), (0.28 * beat, 0.55 * accent)):
            start = int((k * beat + delay) * _SYNTH_SR)
            if start < n:
                seg = min(hit_len, n - start)
                out[start : start + seg] += level * hit[:seg]
    return np.repeat(out[:, None], 2, axis=1)


def _riser(n: int, music: Music, rng: np.random.Generator) -> np.ndarray:
    """Noise swelling through an opening low-pass, over a tone gliding up an octave: the cliffhanger."""
    out = np.zeros((n, 2))
    length = min(n // 2, int(_RISER_S * _SYNTH_SR))
    if length < _SYNTH_SR // 10:
        return out
    t = np.arange(length) / length
    noise = rng.standard_normal((length, 2))
    block = 256
    zi = np.zeros((1, 2, 2))
    swept = np.empty_like(noise)
    for s in range(0, length, block):
        cutoff = 250.0 * (5000.0 / 250.0) ** (s / length)
        sos = butter(2, cutoff, fs=_SYNTH_SR, output="sos")
        swept[s : s + block], zi = sosfilt(sos, noise[s : s + block], axis=0, zi=zi)
    f = _hz(_lowest_at_or_above(_tonic_pitch_class(music.root), 45)) * 2.0**t
    tone = np.sin(2 * np.pi * np.cumsum(f) / _SYNTH_SR)
    swell = t**2.5
    out[-length:] = swell[:, None] * (0.6 * swept + 0.15 * tone[:, None])
    return out


def music_bed(duration_s: float, music: Music, seed: int, sample_rate: int = 48_000) -> np.ndarray:
    """A stereo (n, 2) float32 underscore of exactly round(duration_s * sample_rate) samples at BED_LUFS.

    Deterministic for a seed: the seed picks the progression, oscillator phases, detuning and noise.
    """
    n_out = round(duration_s * sample_rate)
    if n_out <= 0:
        return np.zeros((0, 2), np.float32)
    rng = np.random.default_rng(seed)
    n = int(np.ceil(duration_s * _SYNTH_SR)) + 1
    bed = 0.22 * _pads(n, music, rng) + 0.5 * _pulse(n, music) + _riser(n, music, rng)
    g = gcd(sample_rate, _SYNTH_SR)
    bed = resample_poly(bed, sample_rate // g, _SYNTH_SR // g, axis=0)[:n_out]
    bed = np.pad(bed, ((0, n_out - bed.shape[0]), (0, 0)))
    fade = min(n_out // 2, int(_EDGE_FADE_S * sample_rate))
    ramp = np.linspace(0.0, 1.0, fade)[:, None]
    bed[:fade] *= ramp
    bed[n_out - fade :] *= ramp[::-1]
    lufs = integrated_lufs(bed, sample_rate)
    if np.isfinite(lufs):
        bed *= 10.0 ** ((BED_LUFS - lufs) / 20.0)
    return bed.astype(np.float32)
