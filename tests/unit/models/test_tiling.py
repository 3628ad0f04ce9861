"""Tiled inference agrees with whole-frame inference: to float rounding with enough context, within 1/255 at seams."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from microdrama.models.backends.torch_backend import TorchBackend, TorchConfig
from microdrama.models.tiling import Tiling, ramp, spans, tiled_forward
from microdrama.models.weights import LoadedWeights, load_weights
from tests.unit.models.official import compact_layout, random_state, save


def test_spans_cover_the_length_with_at_least_the_overlap() -> None:
    parts = spans(50, 16, 6)
    assert parts[0][0] == 0 and parts[-1][1] == 50
    assert all(b[0] <= a[1] - 6 for a, b in itertools.pairwise(parts))
    assert spans(10, 16, 6) == [(0, 10)]


def test_ramps_cross_fade_neighbours_and_leave_frame_edges_at_full_weight() -> None:
    left, right = ramp(0, 16, 26, 0, 6), ramp(10, 26, 26, 6, 0)
    np.testing.assert_allclose(left[10:] + right[:6], 1.0, atol=1e-6)
    assert left[0] == 1.0 and right[-1] == 1.0 and left[-1] < 0.1 and right[0] < 0.1


def test_tile_must_exceed_twice_the_overlap() -> None:
    with pytest.raises(ValueError, match="tile 16 must exceed twice the overlap 8"):
        Tiling(16, overlap=8)


@pytest.fixture(scope="module")
def deep_compact(tmp_path_factory: pytest.TempPathFactory) -> LoadedWeights:
    """12 convs after the first: receptive radius 14 input pixels (one per 3x3 conv)."""
    path = tmp_path_factory.mktemp("deep") / "deep.pth"
    return load_weights(save(path, random_state(compact_layout(12, feat=16)), "params"))


def _runs(loaded: LoadedWeights, tiling: Tiling) -> tuple[np.ndarray, np.ndarray]:
    backend = TorchBackend(loaded, TorchConfig())
    x = np.random.default_rng(3).random((1, 3, 40, 56), dtype=np.float32)
    whole = np.clip(backend.forward(x), 0, 1)
    tiled = np.clip(tiled_forward(x, backend.forward, loaded.spec.scale, tiling), 0, 1)
    return whole, tiled


def test_with_context_beyond_the_receptive_field_tiles_match_to_rounding(deep_compact: LoadedWeights) -> None:
    whole, tiled = _runs(deep_compact, Tiling(20, overlap=6, context=14))
    assert float(np.abs(whole - tiled).max()) <= 1e-5


def test_with_short_context_only_seams_differ_and_by_less_than_a_code_value(deep_compact: LoadedWeights) -> None:
    tiling = Tiling(20, overlap=6, context=4)
    whole, tiled = _runs(deep_compact, tiling)
    diff = np.abs(whole - tiled)[0].max(axis=0)
    assert float(diff.max()) <= 1 / 255
    # Away from seams: output pixels whose whole receptive field (14 px) lay inside their tile's input.
    scale, radius = deep_compact.spec.scale, 14
    clean = np.zeros((40, 56), dtype=bool)
    for y0, y1 in spans(40, 20, 6):
        for x0, x1 in spans(56, 20, 6):
            top, left = max(0, y0 - 4), max(0, x0 - 4)
            bottom, right = min(40, y1 + 4), min(56, x1 + 4)
            inner = np.zeros_like(clean)
            inner[
                top + radius * (top > 0) : bottom - radius * (bottom < 40),
                left + radius * (left > 0) : right - radius * (right < 56),
            ] = True
            owned = np.zeros_like(clean)
            owned[y0:y1, x0:x1] = True
            clean |= inner & owned
    clean &= ~_overlaps(40, 56)
    assert clean.any()
    away = np.repeat(np.repeat(clean, scale, 0), scale, 1)
    assert float(diff[away].max()) <= 1e-5


def _overlaps(h: int, w: int) -> np.ndarray:
    """Pixels covered by more than one tile (where blending happens)."""
    count = np.zeros((h, w), dtype=int)
    for y0, y1 in spans(h, 20, 6):
        for x0, x1 in spans(w, 20, 6):
            count[y0:y1, x0:x1] += 1
    return count > 1


def test_tiles_respect_the_x2_models_multiple(small_weights: dict[str, LoadedWeights], tmp_path: Path) -> None:
    loaded = small_weights["rrdb-x2"]
    backend = TorchBackend(loaded, TorchConfig())
    x = np.random.default_rng(4).random((1, 3, 34, 46), dtype=np.float32)
    out = tiled_forward(x, backend.forward, 2, Tiling(15, overlap=5, context=40), multiple=2)
    np.testing.assert_allclose(out, backend.forward(x), atol=1e-4)
