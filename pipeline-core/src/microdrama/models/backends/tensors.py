"""What the torch-based backends (PyTorch, TensorRT) share: numpy in and out, conversion on their device."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import torch


class DeviceTensorBackend(ABC):
    device: torch.device

    @abstractmethod
    def _run(self, x: torch.Tensor) -> torch.Tensor:
        """float32 (N, 3, h, w) in [0, 1] on the device -> float32 (N, 3, h*s, w*s) on the device."""

    @torch.inference_mode()
    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._run(torch.from_numpy(x).to(self.device)).cpu().numpy()

    @torch.inference_mode()
    def upscale(self, frames: np.ndarray) -> np.ndarray:
        # uint8 crosses to the device (a quarter of float32's bytes); conversion both ways happens there.
        x = torch.from_numpy(frames).to(self.device).permute(0, 3, 1, 2).float().div_(255.0)
        y = self._run(x).clamp_(0.0, 1.0).mul_(255.0).round_().to(torch.uint8)
        return y.permute(0, 2, 3, 1).contiguous().cpu().numpy()
