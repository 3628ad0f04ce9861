"""Frames to network tensors and back: uint8 RGB (N, H, W, 3) <-> float32 [0, 1] (N, 3, H, W)."""

from __future__ import annotations

import numpy as np


def to_tensor(frames: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frames.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)


def to_frames(x: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and round to the nearest code value, as every backend does on its own device."""
    scaled = np.clip(x, 0.0, 1.0) * np.float32(255.0)
    return np.ascontiguousarray(np.rint(scaled).astype(np.uint8).transpose(0, 2, 3, 1))
