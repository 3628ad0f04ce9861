"""Smoothing of per-frame curves: a Gaussian-weighted local linear fit.

A straight line (a fade, a steady pan) is reproduced exactly, including at the ends of a
shot, while frame-to-frame wobble is removed. Optional per-frame weights let frames with
little evidence (no motion, no face) follow their neighbours instead of pulling the fit.
"""

from __future__ import annotations

import numpy as np


def smooth(values: np.ndarray, window: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Gaussian-weighted (sigma = window / 4) local linear regression of a 1-D curve, at every frame."""
    n = len(values)
    half, sigma = window // 2, window / 4.0
    out = np.empty(n)
    for t in range(n):
        lo, hi = max(0, t - half), min(n, t + half + 1)
        d = np.arange(lo, hi) - t
        w = np.exp(-0.5 * (d / sigma) ** 2)
        if weights is not None:
            w = w * weights[lo:hi]
        v = values[lo:hi]
        s0, s1, s2 = w.sum(), (w * d).sum(), (w * d * d).sum()
        t0, t1 = (w * v).sum(), (w * d * v).sum()
        det = s0 * s2 - s1 * s1
        out[t] = (s2 * t0 - s1 * t1) / det if det > 1e-9 else values[t]
    return out
