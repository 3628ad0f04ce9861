"""TensorRT backend: engines built from the ONNX export, one fixed-shape profile per frame shape in use.

Engines come from trt_cache (built once per ONNX hash, precision, shape, TensorRT version
and GPU). Device buffers and the stream are torch's CUDA tensors, so frames go up as uint8,
are converted, upscaled and converted back on the GPU, and come down as uint8.
Needs `pip install microdrama[gpu]` and an NVIDIA GPU.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from microdrama.models.backends.tensors import DeviceTensorBackend
from microdrama.models.onnx_export import INPUT, OUTPUT
from microdrama.models.trt_cache import BuildResult, EngineKey, Profile, Shape, get_or_build


@dataclass(frozen=True)
class TrtConfig:
    half: bool = True
    workspace_gb: float = 8.0
    cache_dir: Path | None = None  # default: <models dir>/engines
    device: int = 0


def _trt() -> Any:
    import tensorrt  # optional dependency: microdrama[gpu]

    return tensorrt


def _logger(trt: Any, lines: list[str]) -> Any:
    """A TensorRT logger that keeps every message, so a failed build's log can be saved."""

    class Capture(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)

        def log(self, severity: Any, msg: str) -> None:
            lines.append(f"[{severity.name}] {msg}")

    return Capture()


def build_engine(onnx_path: Path, key: EngineKey, workspace_gb: float) -> BuildResult:
    trt = _trt()
    lines: list[str] = []
    logger = _logger(trt, lines)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        lines += [f"[ONNX] {parser.get_error(i)}" for i in range(parser.num_errors)]
        return BuildResult(None, "\n".join(lines))
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gb * 1024**3))
    if key.precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT, key.profile.min, key.profile.opt, key.profile.max)
    config.add_optimization_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    return BuildResult(None if serialized is None else bytes(serialized), "\n".join(lines))


class TrtBackend(DeviceTensorBackend):
    name = "tensorrt"

    def __init__(self, onnx_path: Path, scale: int, config: TrtConfig, cache_dir: Path) -> None:
        self.trt = _trt()
        self.onnx_path, self.scale, self.config = onnx_path, scale, config
        self.cache_dir = config.cache_dir or cache_dir
        self.device = torch.device("cuda", config.device)
        self.onnx_sha256 = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
        self.gpu_name = torch.cuda.get_device_name(self.device)
        self._lines: list[str] = []
        self._logger = _logger(self.trt, self._lines)  # TensorRT keeps only a pointer: it must outlive the runtime
        self.runtime = self.trt.Runtime(self._logger)
        self._contexts: dict[Shape, Any] = {}
        self._engines: dict[Shape, Any] = {}  # kept alive as long as their contexts

    def _context(self, shape: Shape) -> Any:
        if shape not in self._contexts:
            key = EngineKey(
                self.onnx_sha256,
                "fp16" if self.config.half else "fp32",
                Profile.fixed(shape),
                self.trt.__version__,
                self.gpu_name,
            )
            path = get_or_build(
                self.cache_dir, key, lambda: build_engine(self.onnx_path, key, self.config.workspace_gb)
            )
            engine = self.runtime.deserialize_cuda_engine(path.read_bytes())
            if engine is None:
                raise RuntimeError(f"TensorRT could not load the cached engine {path}: " + "; ".join(self._lines[-5:]))
            self._engines[shape] = engine
            self._contexts[shape] = engine.create_execution_context()
        return self._contexts[shape]

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        context = self._context((n, c, h, w))
        x = x.contiguous()
        out = torch.empty((n, c, h * self.scale, w * self.scale), dtype=torch.float32, device=self.device)
        context.set_input_shape(INPUT, (n, c, h, w))
        context.set_tensor_address(INPUT, x.data_ptr())
        context.set_tensor_address(OUTPUT, out.data_ptr())
        if not context.execute_async_v3(torch.cuda.current_stream(self.device).cuda_stream):
            raise RuntimeError(f"TensorRT inference failed for input {(n, c, h, w)}")
        return out

    def describe(self) -> str:
        precision = "fp16" if self.config.half else "fp32"
        return f"TensorRT {self.trt.__version__} on {self.gpu_name}, {precision}, engines in {self.cache_dir}"
