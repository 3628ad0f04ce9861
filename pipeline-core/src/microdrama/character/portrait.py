"""A character's reference image: the animatic's own figure on a plain studio backdrop."""

from __future__ import annotations

import numpy as np

from microdrama.domain.bible import CharacterLook
from microdrama.generation.figure import build_figure, look_palette

_BACKDROP_CENTRE = np.array([0.62, 0.64, 0.66], np.float32)
_BACKDROP_EDGE = np.array([0.42, 0.44, 0.47], np.float32)


def render_portrait(look: CharacterLook, width: int = 512, height: int = 768) -> np.ndarray:
    """Clean (no defects) RGB uint8 head-and-shoulders portrait, centred."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.sqrt(((xx - width / 2) / width) ** 2 + ((yy - height * 0.4) / height) ** 2) / 0.7
    t = np.clip(r, 0.0, 1.0)[..., None]
    canvas = _BACKDROP_CENTRE * (1.0 - t) + _BACKDROP_EDGE * t
    head = 0.19 * height * look.height
    top = round(height * 0.34 - 1.2 * head)
    (sprite,) = build_figure(look, head, height - top)
    sprite.shadow(canvas, width // 2, top, 0.25)
    sprite.paint(canvas, width // 2, top, look_palette(look), np.ones(3, np.float32))
    return np.round(canvas.clip(0.0, 1.0) * 255.0).astype(np.uint8)
