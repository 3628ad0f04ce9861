"""Known models: the official Real-ESRGAN release files, where to get them and their sha256.

The hashes are those of the files on the Real-ESRGAN GitHub releases as recorded by several
independent projects that pin them (no download was possible where this was written); a
file that does not match is refused. Importable without torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from microdrama.errors import InputError

_RELEASES = "https://github.com/xinntao/Real-ESRGAN/releases/download"


@dataclass(frozen=True)
class KnownModel:
    name: str
    url: str
    sha256: str
    size: int
    arch: str
    scale: int
    note: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[1]


KNOWN: tuple[KnownModel, ...] = (
    KnownModel(
        "RealESRGAN_x4plus",
        f"{_RELEASES}/v0.1.0/RealESRGAN_x4plus.pth",
        "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1",
        67_040_989,
        "RRDBNet, 23 blocks",
        4,
        "general, best quality, slowest",
    ),
    KnownModel(
        "RealESRGAN_x2plus",
        f"{_RELEASES}/v0.2.1/RealESRGAN_x2plus.pth",
        "49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb",
        67_061_725,
        "RRDBNet, 23 blocks, pixel-unshuffle input",
        2,
        "general, 2x",
    ),
    KnownModel(
        "realesr-general-x4v3",
        f"{_RELEASES}/v0.2.5.0/realesr-general-x4v3.pth",
        "8dc7edb9ac80ccdc30c3a5dca6616509367f05fbc184ad95b731f05bece96292",
        4_885_111,
        "SRVGGNetCompact, 32 convs",
        4,
        "general, fast",
    ),
    KnownModel(
        "realesr-animevideov3",
        f"{_RELEASES}/v0.2.5.0/realesr-animevideov3.pth",
        "b8a8376811077954d82ca3fcf476f1ac3da3e8a68a4f4d71363008000a18b75d",
        2_504_012,
        "SRVGGNetCompact, 16 convs",
        4,
        "animation, fastest",
    ),
)


def known(name: str) -> KnownModel:
    """The registry entry by name (or by file name); unknown names list the known ones."""
    for model in KNOWN:
        if name in (model.name, model.filename):
            return model
    raise InputError(f"unknown model {name!r}; known: {', '.join(m.name for m in KNOWN)}")


def models_dir() -> Path:
    """Where weight files (and exported ONNX and TensorRT engines) live: MD_MODELS_DIR or ~/.cache/microdrama/models."""
    configured = os.environ.get("MD_MODELS_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "microdrama" / "models"
