"""ONNX Runtime backend: the ONNX export on CPU, or CUDA when that provider is installed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from microdrama.models.frames import to_frames, to_tensor
from microdrama.models.onnx_export import INPUT, OUTPUT


@dataclass(frozen=True)
class OrtConfig:
    providers: tuple[str, ...] = ()  # () = CUDA when available, else CPU
    threads: int = 0  # intra-op threads; 0 = one per core


class OrtBackend:
    name = "onnxruntime"

    def __init__(self, onnx_path: Path, config: OrtConfig) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        available = ort.get_available_providers()
        providers = list(config.providers) or [
            p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available
        ]
        self.session = ort.InferenceSession(str(onnx_path), options, providers=providers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = self.session.run([OUTPUT], {INPUT: x})[0]
        return result

    def upscale(self, frames: np.ndarray) -> np.ndarray:
        return to_frames(self.forward(to_tensor(frames)))

    def describe(self) -> str:
        return f"ONNX Runtime {ort.__version__} ({', '.join(self.session.get_providers())}), fp32"
