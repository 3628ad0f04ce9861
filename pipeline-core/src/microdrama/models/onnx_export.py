"""Export a loaded network to ONNX with dynamic batch, height and width; cached by weight hash.

torch.onnx's dynamo exporter (built on onnxscript) is used: the TorchScript exporter is
deprecated and due for removal. The export is deterministic (same weights, same bytes),
which matters because TensorRT engines are cached by the ONNX file's sha256.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from microdrama.models.weights import LoadedWeights

OPSET = 18
INPUT, OUTPUT = "input", "output"
_MAX_SIDE = 8192


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def export_onnx(loaded: LoadedWeights, dest: Path) -> Path:
    """Write the network as ONNX (fp32, one file) to `dest`, atomically."""
    spec = loaded.spec
    m = spec.multiple
    batch = torch.export.Dim("batch", min=1, max=256)
    # x2/x1 RRDB fold 2x2/4x4 pixels into channels: their sides are declared as multiples of the fold.
    height = m * torch.export.Dim("height", min=max(1, 4 // m), max=_MAX_SIDE // m)
    width = m * torch.export.Dim("width", min=max(1, 4 // m), max=_MAX_SIDE // m)
    sample = torch.rand(1, spec.channels, 16 * m, 16 * m, generator=torch.Generator().manual_seed(0))
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The exporter reports progress on stdout and warns about its own internals; neither is for our users.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), _quiet("torch.onnx"):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            loaded.network,
            (sample,),
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_shapes=({0: batch, 2: height, 3: width},),
            opset_version=OPSET,
            dynamo=True,
            optimize=True,
            verbose=False,
        )
    assert program is not None  # dynamo export always returns the program
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".onnx.part")
    os.close(fd)
    try:
        program.save(tmp)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dest


def cached_onnx(loaded: LoadedWeights, cache_dir: Path) -> Path:
    """The ONNX export of these exact weights, exported once per (weights, opset, torch version)."""
    path = cache_dir / "onnx" / f"{loaded.sha256[:32]}-opset{OPSET}-torch{torch.__version__.split('+')[0]}.onnx"
    return path if path.is_file() else export_onnx(loaded, path)
