"""Reference portraits: deterministic, clean, and the committed PNGs are what the code draws."""

from __future__ import annotations

import cv2
import numpy as np

from microdrama.character.portrait import render_portrait
from tests.unit.generation.scenes import SERIES, sample_looks


def test_portrait_is_deterministic_centred_on_a_plain_backdrop() -> None:
    look = sample_looks()["vivienne"]
    image = render_portrait(look)
    assert image.shape == (768, 512, 3) and image.dtype == np.uint8
    assert np.array_equal(image, render_portrait(look))
    # Plain backdrop along the sides; the figure is in the middle.
    sides = np.concatenate([image[:, :8], image[:, -8:]], axis=1).astype(float)
    assert sides.std(axis=(0, 1)).max() < 12
    middle = image[300:500, 200:312].astype(float)
    assert np.abs(middle.mean(axis=(0, 1)) - sides.mean(axis=(0, 1))).max() > 30


def test_committed_references_match_the_renderer() -> None:
    for character_id, look in sample_looks().items():
        path = SERIES / "references" / f"{character_id}.png"
        assert path.stat().st_size < 200_000
        stored = cv2.imread(str(path))
        assert stored is not None, path
        committed = cv2.cvtColor(stored, cv2.COLOR_BGR2RGB)
        assert np.array_equal(committed, render_portrait(look)), f"{path} is stale: run infra/tools/make_references.py"
