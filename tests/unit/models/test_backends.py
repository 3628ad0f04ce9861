"""The backends agree: fp32 torch vs ONNX Runtime, fp16 vs fp32, TensorRT where a GPU is present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microdrama.errors import InputError
from microdrama.models.upscaler import UpscaleOptions, Upscaler, nvidia_gpu
from microdrama.models.weights import LoadedWeights

NETS = ["compact", "rrdb-x4", "rrdb-x2"]


def _input(n: int = 2, h: int = 16, w: int = 24, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3, h, w), dtype=np.float32)


def _backend(loaded: LoadedWeights, name: str, cache: Path, half: bool = False) -> Upscaler:
    return Upscaler(loaded, UpscaleOptions(backend=name, half=half, cache_dir=cache))  # type: ignore[arg-type]


@pytest.mark.parametrize("net", NETS)
def test_torch_and_onnxruntime_agree_in_fp32(
    small_weights: dict[str, LoadedWeights], model_cache: Path, net: str
) -> None:
    loaded = small_weights[net]
    x = _input()
    reference = _backend(loaded, "torch", model_cache).backend.forward(x)
    ort = _backend(loaded, "onnxruntime", model_cache).backend.forward(x)
    assert reference.shape == (2, 3, 16 * loaded.spec.scale, 24 * loaded.spec.scale)
    assert float(np.abs(np.clip(ort, 0, 1) - np.clip(reference, 0, 1)).max()) <= 1e-3
    # The uint8 frame paths round the same values: at most one code value apart.
    frames = np.random.default_rng(1).integers(0, 256, (2, 16, 24, 3), dtype=np.uint8)
    a = _backend(loaded, "torch", model_cache)(frames).astype(int)
    b = _backend(loaded, "onnxruntime", model_cache)(frames).astype(int)
    assert np.abs(a - b).max() <= 1


@pytest.mark.parametrize("net", NETS)
def test_fp16_is_within_one_percent_of_fp32(
    small_weights: dict[str, LoadedWeights], model_cache: Path, net: str
) -> None:
    x = _input()
    full = _backend(small_weights[net], "torch", model_cache).backend.forward(x)
    half = _backend(small_weights[net], "torch", model_cache, half=True).backend.forward(x)
    assert float(np.linalg.norm(half - full) / np.linalg.norm(full)) <= 1e-2


def test_half_on_onnxruntime_is_refused(small_weights: dict[str, LoadedWeights], model_cache: Path) -> None:
    with pytest.raises(InputError, match="ONNX Runtime runs the fp32 export"):
        _backend(small_weights["compact"], "onnxruntime", model_cache, half=True)


def test_odd_sizes_are_padded_for_the_x2_model(small_weights: dict[str, LoadedWeights], model_cache: Path) -> None:
    frames = np.random.default_rng(2).integers(0, 256, (1, 15, 21, 3), dtype=np.uint8)
    out = _backend(small_weights["rrdb-x2"], "onnxruntime", model_cache)(frames)
    assert out.shape == (1, 30, 42, 3)


def _tensorrt_ready() -> bool:
    import importlib.util

    return nvidia_gpu() and importlib.util.find_spec("tensorrt") is not None


@pytest.mark.skipif(not _tensorrt_ready(), reason="TensorRT parity needs an NVIDIA GPU and microdrama[gpu]; none here")
@pytest.mark.parametrize("net", NETS)
def test_tensorrt_agrees_with_torch(small_weights: dict[str, LoadedWeights], tmp_path: Path, net: str) -> None:
    loaded = small_weights[net]
    x = _input()
    reference = _backend(loaded, "torch", tmp_path).backend.forward(x)
    fp32 = _backend(loaded, "tensorrt", tmp_path, half=False).backend.forward(x)
    fp16 = _backend(loaded, "tensorrt", tmp_path, half=True).backend.forward(x)
    assert float(np.abs(np.clip(fp32, 0, 1) - np.clip(reference, 0, 1)).max()) <= 1e-3
    assert float(np.linalg.norm(fp16 - reference) / np.linalg.norm(reference)) <= 1e-2
    # The second backend found its engines in the cache.
    assert len(list((tmp_path / "engines").glob("*.engine"))) == 2
