"""Sidechain ducking: a smooth gain envelope that dips the music while someone speaks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_CONTROL_RATE = 500  # gain updates per second; ample for 50 ms / 300 ms time constants


def duck_gain(
    n: int,
    speech: Sequence[tuple[float, float]],
    sr: int,
    depth_db: float = -12.0,
    attack_s: float = 0.05,
    release_s: float = 0.3,
) -> np.ndarray:
    """Per-sample linear gain for n samples: depth_db under each (start_s, end_s) span, 1 elsewhere.

    The dip starts two attack times early (the lines are known in advance) so the music
    is mostly down when the first word lands, and recovers with release_s after, so the bed swells between lines.
    """
    steps = int(np.ceil(n / sr * _CONTROL_RATE)) + 1
    key = np.zeros(steps)
    for start, end in speech:
        a = max(0, int((start - 2.0 * attack_s) * _CONTROL_RATE))
        key[a : int(np.ceil(end * _CONTROL_RATE)) + 1] = 1.0
    target = 10.0 ** (depth_db * key / 20.0)
    fall = 1.0 - np.exp(-1.0 / (attack_s * _CONTROL_RATE))
    rise = 1.0 - np.exp(-1.0 / (release_s * _CONTROL_RATE))
    gain = np.empty(steps)
    g = 1.0
    for i, want in enumerate(target):
        g += (want - g) * (fall if want < g else rise)
        gain[i] = g
    return np.interp(np.arange(n) / sr, np.arange(steps) / _CONTROL_RATE, gain)
