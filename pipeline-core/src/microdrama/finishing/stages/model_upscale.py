"""Learned upscale: the template's Real-ESRGAN model takes each shot to master size, in batches.

The model is loaded once per worker (setup) and runs on the fastest backend there (TensorRT
on an NVIDIA GPU, else ONNX Runtime). Frames larger than the master divided by the model's
scale are first brought down to that size: the network's work per frame is then fixed by
the master size, not by the take. The network's output is resized to the exact master size
where the scale does not land on it. Frames are encoded on their own thread, so inference
never waits on the lossless intermediate's encoder. Sharpening and detail matching still
follow, in the detail and master stages. The weights are read from the driver's models
folder (MD_MODELS_DIR), which on a cluster must be a path every worker sees.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from microdrama.errors import InputError
from microdrama.finishing.intermediate import UpscaledWriter
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.stages.detail import upscale as resize
from microdrama.finishing.template import UpscaleModel, UpscaleSection
from microdrama.runtime.stages import Resources

if TYPE_CHECKING:
    from microdrama.models.upscaler import Upscaler

BATCH = 4


@dataclass(frozen=True)
class ModelUpscaleItem(ShotItem):
    dst_key: str


def model_input_size(width: int, height: int, target: tuple[int, int], scale: int, multiple: int) -> tuple[int, int]:
    """The size a frame is given to the network: as it is, unless the output would exceed the target;
    then the target over the scale (frames are already in the master's aspect after reframing)."""
    if width * scale <= target[0] and height * scale <= target[1]:
        return width, height
    step = scale * multiple
    return math.ceil(target[0] / step) * multiple, math.ceil(target[1] / step) * multiple


def weights_path(model: UpscaleModel, models_dir: Path) -> Path:
    path = models_dir / f"{model.name}.pth"
    if not path.is_file():
        raise InputError(
            f"upscale.model {model.name}: weight file not found; run `microdrama models fetch {model.name}` "
            "(or set MD_MODELS_DIR)",
            file=str(path),
        )
    return path


class ModelUpscaleStage(StoreStage):
    name = "model-upscale"

    def __init__(self, store_factory: StoreFactory, settings: UpscaleSection, models_dir: Path) -> None:
        from microdrama.models.upscaler import nvidia_gpu  # light: no torch until setup()

        super().__init__(store_factory)
        if settings.model is None:
            raise ValueError("ModelUpscaleStage needs a template with upscale.model")
        self.settings, self.model, self.models_dir = settings, settings.model, models_dir
        # One actor per GPU where there are GPUs. On CPU each actor claims one CPU from Ray although ONNX Runtime
        # threads over the node's cores: claiming them all could exceed the smallest node and never schedule.
        self.resources = Resources(num_cpus=1.0, num_gpus=1.0 if nvidia_gpu() else 0.0)
        self._upscaler: Upscaler | None = None

    def setup(self) -> None:
        super().setup()
        from microdrama.models.upscaler import UpscaleOptions, Upscaler
        from microdrama.models.weights import load_weights

        loaded = load_weights(weights_path(self.model, self.models_dir), self.model.weights_sha256)
        self._upscaler = Upscaler(loaded, UpscaleOptions(tile=self.model.tile, batch=BATCH))

    def _frames(self, frames: Iterator[np.ndarray]) -> Iterable[np.ndarray]:
        s, up = self.settings, self.ready(self._upscaler)
        batch: list[np.ndarray] = []
        for frame in frames:
            height, width = frame.shape[:2]
            size = model_input_size(width, height, (s.width, s.height), up.scale, up.loaded.spec.multiple)
            batch.append(frame if size == (width, height) else resize(frame, *size, s.resampler))
            if len(batch) == BATCH:
                yield from self._finish(batch)
                batch = []
        if batch:
            yield from self._finish(batch)

    def _finish(self, batch: list[np.ndarray]) -> Iterable[np.ndarray]:
        s = self.settings
        for out in self.ready(self._upscaler)(np.stack(batch)):
            yield out if out.shape[:2] == (s.height, s.width) else resize(out, s.width, s.height, s.resampler)

    def run(self, item: ModelUpscaleItem) -> Rendered:
        from microdrama.models.background_writer import BackgroundWriter

        def open_writer(path: Path, width: int, height: int, fps: Fraction) -> BackgroundWriter:
            return BackgroundWriter(UpscaledWriter(path, width, height, fps))

        return self.render_stream(
            item.src_key, item.dst_key, self._frames, open_writer, size=(self.settings.width, self.settings.height)
        )
