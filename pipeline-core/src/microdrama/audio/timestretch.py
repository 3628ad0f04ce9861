"""Pitch-preserving time compression (WSOLA), the last resort for a line that will not fit."""

from __future__ import annotations

import numpy as np

_FRAME_S = 0.03
_TOLERANCE_S = 0.008


def time_stretch(samples: np.ndarray, ratio: float, sr: int) -> np.ndarray:
    """Return mono `samples` lasting `ratio` times as long (ratio < 1 shortens), pitch unchanged.

    Waveform-similarity overlap-add: each output frame is taken from near its nominal
    input position, shifted within a small tolerance to line up with the natural
    continuation of the previous frame, so periodic speech overlaps in phase.
    """
    x = np.asarray(samples, dtype=np.float64)
    out_len = max(1, round(x.size * ratio))
    frame = max(4, int(_FRAME_S * sr)) // 2 * 2
    hop = frame // 2
    tol = int(_TOLERANCE_S * sr)
    hop_in = hop / ratio
    padded = np.pad(x, (tol, frame + tol + int(np.ceil(hop_in)) + hop))
    # A periodic Hann window at 50 % overlap sums to one.
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(frame) / frame)
    out = np.zeros(out_len + frame)
    pos = tol  # index into `padded` of the previous frame's start
    for k in range(int(np.ceil(out_len / hop))):
        if k:
            follow = padded[pos + hop : pos + hop + frame]
            nominal = tol + round(k * hop_in)
            region = padded[nominal - tol : nominal + tol + frame]
            pos = nominal - tol + int(np.argmax(np.correlate(region, follow, mode="valid")))
        out[k * hop : k * hop + frame] += window * padded[pos : pos + frame]
    return out[:out_len].astype(np.float32)
