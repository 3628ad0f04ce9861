"""Loudness measurement and normalisation: -14 LUFS within 0.5 LU, true peak at or under -1 dBTP."""

from __future__ import annotations

import numpy as np
import pytest

from microdrama.audio.loudness import integrated_lufs, normalise, true_peak_dbtp

from .signals import SR


def _seconds(n: float) -> np.ndarray:
    return np.arange(round(n * SR)) / SR


def _speechy(level: float, seed: int) -> np.ndarray:
    """Noise bursts with gaps, like dialogue: a few seconds of stereo."""
    rng = np.random.default_rng(seed)
    t = _seconds(6.0)
    syllables = (np.sin(2 * np.pi * 3.0 * t) > 0.2) * (np.sin(2 * np.pi * 0.4 * t) > -0.3)
    return level * rng.standard_normal((t.size, 2)) * syllables[:, None]


def _loud_and_peaky() -> np.ndarray:
    """Hot programme with sharp clicks well over full scale: the limiter has real work to do."""
    x = _speechy(0.3, seed=1)
    x[:: SR // 7] = 2.5
    return x


CASES = {
    "dialogue-like": _speechy(0.1, seed=2),
    "loud and peaky": _loud_and_peaky(),
    "very quiet": _speechy(0.0005, seed=3),
    "mono sine": 0.05 * np.sin(2 * np.pi * 220.0 * _seconds(3.0)),
}


@pytest.mark.parametrize("name", CASES)
def test_normalised_audio_meets_loudness_and_true_peak(name: str) -> None:
    source = CASES[name]
    out = normalise(source, SR)
    assert out.shape == source.shape and out.dtype == np.float32
    assert integrated_lufs(out, SR) == pytest.approx(-14.0, abs=0.5)
    assert true_peak_dbtp(out, SR) <= -1.0


def test_loudness_of_a_reference_tone() -> None:
    # BS.1770: a full-scale 1 kHz sine in one channel reads -3.01 LUFS; 0.1 of full scale is 20 dB lower.
    tone = 0.1 * np.sin(2 * np.pi * 997.0 * _seconds(3.0))
    assert integrated_lufs(tone, SR) == pytest.approx(-23.01, abs=0.1)
    assert integrated_lufs(np.zeros((SR, 2)), SR) == float("-inf")


def test_true_peak_sees_peaks_between_samples() -> None:
    # A quarter-rate sine sampled 45 degrees off its crests: samples reach 0.354, the wave 0.5 (-6.02 dB).
    wave = 0.5 * np.sin(2 * np.pi * (SR / 4) * _seconds(1.0) + np.pi / 4)
    sample_peak_db = 20 * np.log10(np.abs(wave).max())
    assert sample_peak_db == pytest.approx(-9.03, abs=0.05)
    assert true_peak_dbtp(wave, SR) == pytest.approx(-6.02, abs=0.3)


def test_limiting_pulls_down_only_the_peaks() -> None:
    source = _loud_and_peaky()
    out = normalise(source, SR)
    click_gain = np.abs(out[:, 0]).max() / np.abs(source[:, 0]).max()
    between = slice(SR // 14 - 200, SR // 14 + 200)  # halfway between the first two clicks
    programme_gain = np.sqrt(np.mean(out[between] ** 2) / np.mean(source[between] ** 2))
    # Away from the clicks the programme gets the plain loudness gain (dB within 1 of it) ...
    plain_gain_db = -14.0 - integrated_lufs(source, SR)
    assert 20 * np.log10(programme_gain) == pytest.approx(plain_gain_db, abs=1.0)
    # ... while the clicks are turned down by several dB more.
    assert 20 * np.log10(programme_gain / click_gain) > 3.0


def test_silence_is_returned_unchanged() -> None:
    silence = np.zeros((SR, 2), np.float32)
    assert np.array_equal(normalise(silence, SR), silence)
