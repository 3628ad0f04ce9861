"""Inference backends behind one interface: PyTorch, ONNX Runtime and TensorRT.

Each backend has a small frozen config dataclass (what the user chooses) and a runner built
from it with `forward(x)` on float32 (N, 3, h, w) tensors in [0, 1] (what tiling uses) and
`upscale(frames)` on uint8 RGB (N, H, W, 3) frames (the whole-frame path, converting on the
backend's own device).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Backend(Protocol):
    name: str

    def forward(self, x: np.ndarray) -> np.ndarray: ...

    def upscale(self, frames: np.ndarray) -> np.ndarray: ...

    def describe(self) -> str: ...
