"""PyTorch backend: fp32 or fp16, channels-last, on CUDA when present."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import torch

from microdrama.models.backends.tensors import DeviceTensorBackend
from microdrama.models.weights import LoadedWeights


@dataclass(frozen=True)
class TorchConfig:
    device: Literal["auto", "cpu", "cuda"] = "auto"
    half: bool = False
    channels_last: bool = True


class TorchBackend(DeviceTensorBackend):
    name = "torch"

    def __init__(self, loaded: LoadedWeights, config: TorchConfig) -> None:
        wanted = config.device
        if wanted == "auto":
            wanted = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(wanted)
        self.dtype = torch.float16 if config.half else torch.float32
        self.layout = torch.channels_last if config.channels_last else torch.contiguous_format
        # A copy: the caller's network stays fp32 on CPU (it may also be exported to ONNX).
        network = copy.deepcopy(loaded.network).to(device=self.device, dtype=self.dtype)
        # Module.to(memory_format=...) exists at runtime; torch's stubs omit it.
        self.network = network.to(memory_format=self.layout).eval()  # type: ignore[call-overload]
        self.config = config

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x.to(dtype=self.dtype).contiguous(memory_format=self.layout)).float()

    def describe(self) -> str:
        precision = "fp16" if self.config.half else "fp32"
        return (
            f"PyTorch {torch.__version__} on {self.device.type}, {precision}, channels-last {self.config.channels_last}"
        )
