"""An upscaler: loaded weights behind the chosen backend, with padding, tiling and batching.

Without a backend named, TensorRT is used on an NVIDIA GPU (when installed), else ONNX
Runtime. Precision defaults to fp16 on TensorRT and fp32 elsewhere.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from microdrama.errors import InputError
from microdrama.models.backends import Backend
from microdrama.models.frames import to_frames, to_tensor
from microdrama.models.registry import models_dir
from microdrama.models.tiling import Tiling, tiled_forward
from microdrama.models.weights import LoadedWeights

BackendName = Literal["torch", "onnxruntime", "tensorrt"]
BACKENDS: tuple[BackendName, ...] = ("torch", "onnxruntime", "tensorrt")


def nvidia_gpu() -> bool:
    """An NVIDIA GPU with its driver loaded (checked without importing torch or CUDA)."""
    gpus = Path("/proc/driver/nvidia/gpus")
    return gpus.is_dir() and any(gpus.iterdir())


def default_backend() -> tuple[BackendName, str]:
    """The backend to use when none is named, and why."""
    if not nvidia_gpu():
        return "onnxruntime", "no NVIDIA GPU"
    if importlib.util.find_spec("tensorrt") is None:
        return "onnxruntime", "NVIDIA GPU found but TensorRT is not installed (pip install microdrama[gpu])"
    return "tensorrt", "NVIDIA GPU and TensorRT found"


@dataclass(frozen=True)
class UpscaleOptions:
    backend: BackendName | None = None  # None: default_backend()
    half: bool | None = None  # None: fp16 on TensorRT, fp32 elsewhere
    tile: int = 0  # input pixels per tile side; 0 runs whole frames
    batch: int = 4  # frames per inference call
    cache_dir: Path | None = None  # exported ONNX and engines; default: the models dir


def open_backend(loaded: LoadedWeights, name: BackendName, half: bool, cache_dir: Path) -> Backend:
    if name == "torch":
        from microdrama.models.backends.torch_backend import TorchBackend, TorchConfig

        return TorchBackend(loaded, TorchConfig(half=half))
    from microdrama.models.onnx_export import cached_onnx

    onnx_path = cached_onnx(loaded, cache_dir)
    if name == "onnxruntime":
        if half:
            raise InputError("--half: ONNX Runtime runs the fp32 export; fp16 is for the torch and tensorrt backends")
        from microdrama.models.backends.ort_backend import OrtBackend, OrtConfig

        return OrtBackend(onnx_path, OrtConfig())
    if not nvidia_gpu():
        raise InputError("the tensorrt backend needs an NVIDIA GPU; none was found")
    if importlib.util.find_spec("tensorrt") is None:
        raise InputError("the tensorrt backend needs TensorRT: pip install microdrama[gpu]")
    from microdrama.models.backends.trt_backend import TrtBackend, TrtConfig

    return TrtBackend(onnx_path, loaded.spec.scale, TrtConfig(half=half), cache_dir / "engines")


class Upscaler:
    def __init__(self, loaded: LoadedWeights, options: UpscaleOptions) -> None:
        self.loaded, self.options = loaded, options
        name, self.reason = (options.backend, "named") if options.backend else default_backend()
        half = options.half if options.half is not None else name == "tensorrt"
        self.backend = open_backend(loaded, name, half, options.cache_dir or models_dir())
        self.scale = loaded.spec.scale
        self.tiling = Tiling(options.tile) if options.tile else None

    def _pad(self, frames: np.ndarray) -> tuple[np.ndarray, int, int]:
        """Edge-pad height and width up to the network's multiple; returns the original size too."""
        m = self.loaded.spec.multiple
        _, h, w, _ = frames.shape
        if h % m or w % m:
            frames = np.pad(frames, ((0, 0), (0, -h % m), (0, -w % m), (0, 0)), mode="edge")
        return frames, h, w

    def _run(self, frames: np.ndarray) -> np.ndarray:
        padded, h, w = self._pad(frames)
        if self.tiling is None:
            out = self.backend.upscale(padded)
        else:
            x = tiled_forward(
                to_tensor(padded), self.backend.forward, self.scale, self.tiling, self.loaded.spec.multiple
            )
            out = to_frames(x)
        return out[:, : h * self.scale, : w * self.scale]

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Upscale uint8 RGB frames (N, H, W, 3) of one size, `batch` at a time."""
        step = max(1, self.options.batch)
        parts = []
        for i in range(0, len(frames), step):
            batch = frames[i : i + step]
            if self.backend.name == "tensorrt" and len(batch) < step:
                # Engines have fixed shapes: a short last batch is padded rather than given an engine of its own.
                filler = np.repeat(batch[-1:], step - len(batch), axis=0)
                parts.append(self._run(np.concatenate([batch, filler]))[: len(batch)])
            else:
                parts.append(self._run(batch))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def describe(self) -> str:
        tiles = f", tiles of {self.options.tile} px" if self.tiling else ""
        return f"{self.backend.describe()} ({self.reason}){tiles}"
