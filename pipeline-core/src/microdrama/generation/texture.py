"""Seeded procedural texture: what keeps rendered surfaces from looking flat."""

from __future__ import annotations

import cv2
import numpy as np


def value_noise(rng: np.random.Generator, height: int, width: int, cell: float, stretch: float = 1.0) -> np.ndarray:
    """Smooth noise in [-1, 1], features `cell` px across and `cell * stretch` px tall (strands, grain)."""
    gh = max(2, round(height / (cell * stretch)) + 2)
    gw = max(2, round(width / cell) + 2)
    grid = rng.uniform(-1.0, 1.0, (gh, gw)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC).clip(-1.0, 1.0)


def fractal_noise(rng: np.random.Generator, height: int, width: int, cell: float, octaves: int = 4) -> np.ndarray:
    """Octaves of value noise (each half the size, half the weight), normalised to about [-1, 1]."""
    total = np.zeros((height, width), np.float32)
    weight = 1.0
    for _ in range(octaves):
        total += weight * value_noise(rng, height, width, max(cell, 1.5))
        cell /= 2.0
        weight /= 2.0
    return total / (2.0 - 2.0 * weight)
