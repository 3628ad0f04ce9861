"""Small networks in the official file format, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from microdrama.models.weights import LoadedWeights, load_weights
from tests.unit.models.official import compact_layout, random_state, rrdb_layout, save

# Reduced depth keeps a forward pass fast; layout and key names are the published ones.
SMALL = {
    "compact": (lambda: compact_layout(4, feat=16), "params"),
    "rrdb-x4": (lambda: rrdb_layout(4, blocks=1, feat=16, grow=8), "params_ema"),
    "rrdb-x2": (lambda: rrdb_layout(2, blocks=1, feat=16, grow=8), "params_ema"),
}


@pytest.fixture(scope="session")
def small_weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LoadedWeights]:
    root = tmp_path_factory.mktemp("weights")
    return {
        name: load_weights(save(root / f"{name}.pth", random_state(layout()), key))
        for name, (layout, key) in SMALL.items()
    }


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where exported ONNX files go (shared, so each network is exported once)."""
    return tmp_path_factory.mktemp("model-cache")
