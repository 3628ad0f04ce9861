"""Measurements the audio tests share: pitch, band energy, loudness of a span."""

from __future__ import annotations

import numpy as np

SR = 48_000


def median_f0(speech: np.ndarray, sr: int = SR) -> float:
    """Median fundamental (Hz) over voiced 40 ms frames, by autocorrelation in 60-500 Hz."""
    frame = int(0.04 * sr)
    lags = np.arange(sr // 500, sr // 60)
    peak = np.abs(speech).max()
    estimates = []
    for start in range(0, speech.size - frame, frame // 2):
        x = speech[start : start + frame].astype(np.float64)
        if np.abs(x).max() < 0.3 * peak:
            continue
        x -= x.mean()
        ac = np.correlate(x, x, mode="full")[frame - 1 :]
        best = lags[np.argmax(ac[lags])]
        if ac[best] > 0.5 * ac[0]:
            estimates.append(sr / best)
    return float(np.median(estimates))


def energy_db(x: np.ndarray) -> float:
    return float(10.0 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def span(x: np.ndarray, start_s: float, end_s: float, sr: int = SR) -> np.ndarray:
    return x[round(start_s * sr) : round(end_s * sr)]


def band_fraction_db(x: np.ndarray, low_hz: float, high_hz: float, sr: int = SR) -> float:
    """Share of the signal's energy between low_hz and high_hz, in dB."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    power = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1.0 / sr)
    band = (freqs >= low_hz) & (freqs < high_hz)
    return float(10.0 * np.log10(power[band].sum() / power.sum() + 1e-20))


def bandpass(x: np.ndarray, low_hz: float, high_hz: float, sr: int = SR) -> np.ndarray:
    """The mono sum of x with everything outside low_hz..high_hz removed (FFT brick wall)."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    freqs = np.fft.rfftfreq(mono.size, 1.0 / sr)
    return np.fft.irfft(np.fft.rfft(mono) * ((freqs >= low_hz) & (freqs < high_hz)), n=mono.size)
