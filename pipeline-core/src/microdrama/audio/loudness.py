"""Loudness (ITU-R BS.1770-4), true peak, and normalisation with a true-peak-safe limiter."""

from __future__ import annotations

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import firwin

OVERSAMPLE = 4
_BLOCK_S = 0.4  # BS.1770 gating block
_LOOKAHEAD_S = 0.005
_HOLD_S = 0.02
# The limiter aims a little under the ceiling: the oversampled peaks of the gained
# signal move slightly because the gain itself is not constant.
_CEILING_MARGIN_DB = 0.05
_LUFS_TOLERANCE = 0.1
_PASSES = 3


def _as_2d(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def integrated_lufs(samples: np.ndarray, sr: int) -> float:
    """Gated integrated loudness in LUFS; -inf for silence. Short input is measured as if padded with silence."""
    x = _as_2d(samples)
    min_len = int(np.ceil(_BLOCK_S * sr)) + 1
    if x.shape[0] < min_len:
        # Silence is below the absolute gate, so padding leaves the measurement unchanged.
        x = np.pad(x, ((0, min_len - x.shape[0]), (0, 0)))
    return float(pyloudnorm.Meter(sr).integrated_loudness(x))


def _oversampled_envelope(x: np.ndarray) -> np.ndarray:
    """Per input sample, the largest |value| among it and its 4x oversampled neighbours, over all channels.

    The interpolator is a 48-tap windowed-sinc low-pass, the size BS.1770-4 Annex 2
    describes, run as its four 12-tap phases: each phase yields one of the oversampled
    values directly, so nothing is interleaved or stored at the high rate.
    """
    taps = firwin(12 * OVERSAMPLE, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)) * OVERSAMPLE
    env = np.abs(x).max(axis=1)
    for channel in np.ascontiguousarray(x.T):
        for phase in taps.reshape(-1, OVERSAMPLE).T:
            np.maximum(env, np.abs(np.convolve(channel, phase, mode="same")), out=env)
    return env


def true_peak_dbtp(samples: np.ndarray, sr: int) -> float:
    """True peak in dBTP from the 4x oversampled signal (-inf for silence)."""
    x = _as_2d(samples)
    if x.shape[0] == 0:
        return float("-inf")
    peak = float(_oversampled_envelope(x).max())
    return 20.0 * np.log10(peak) if peak > 0 else float("-inf")


def _limiter_gain(env: np.ndarray, sr: int, ceiling: float) -> np.ndarray:
    """Per-sample gain of a look-ahead limiter that keeps `env` at or under `ceiling`.

    The gain each sample needs is min-held over a window reaching `ramp` samples ahead,
    then averaged over `ramp` samples: every sample in a peak's averaging window has
    already seen that peak, so the smooth gain is at or below what the peak needs.
    """
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    if need.min() >= 1.0:
        return need
    ramp = max(1, int(_LOOKAHEAD_S * sr))
    hold = int(_HOLD_S * sr)
    size = hold + ramp
    # scipy's window for output n starts at n - size // 2 - origin: here [n - hold, n + ramp - 1].
    held = minimum_filter1d(need, size=size, origin=hold - size // 2, mode="nearest")
    # Causal mean over [n - ramp + 1, n].
    return np.asarray(uniform_filter1d(held, size=ramp, origin=(ramp - 1) - ramp // 2, mode="nearest"))


def normalise(samples: np.ndarray, sr: int, target_lufs: float = -14.0, max_true_peak_dbtp: float = -1.0) -> np.ndarray:
    """Gain to the target loudness, then limit true peaks to the ceiling.

    When limiting pulls loudness down, gain and limiting are repeated from the
    original (a few bounded passes) so the result lands within tolerance of the target.
    Silence is returned unchanged. Output has the input's shape, as float32.
    """
    original = _as_2d(samples)
    lufs = integrated_lufs(original, sr)
    if not np.isfinite(lufs):
        return np.asarray(samples, dtype=np.float32).copy()
    ceiling = 10.0 ** ((max_true_peak_dbtp - _CEILING_MARGIN_DB) / 20.0)
    # The envelope scales with a constant gain, so it is measured once for every pass.
    env = _oversampled_envelope(original)
    gain_db = target_lufs - lufs
    out = original
    for _ in range(_PASSES):
        gain = 10.0 ** (gain_db / 20.0)
        out = original * (gain * _limiter_gain(env * gain, sr, ceiling))[:, None]
        shortfall = target_lufs - integrated_lufs(out, sr)
        if abs(shortfall) <= _LUFS_TOLERANCE:
            break
        gain_db += shortfall
    result = out.astype(np.float32)
    return result[:, 0] if np.ndim(samples) == 1 else result
