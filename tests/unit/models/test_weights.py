"""Loading official-format weight files: detection, strict matching, and refusals that name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from microdrama.errors import InputError
from microdrama.models.registry import KNOWN, known
from microdrama.models.weights import ArchSpec, load_weights
from microdrama.store.base import sha256_file
from tests.unit.models.official import OFFICIAL, compact_layout, random_state, rrdb_layout, save

EXPECTED = {
    "RealESRGAN_x4plus": ArchSpec("rrdb", 4, 64, 23, 32),
    "RealESRGAN_x2plus": ArchSpec("rrdb", 2, 64, 23, 32),
    "realesr-general-x4v3": ArchSpec("compact", 4, 64, 32),
    "realesr-animevideov3": ArchSpec("compact", 4, 64, 16),
}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_official_layouts_load_and_are_detected(tmp_path: Path, name: str) -> None:
    layout, key = OFFICIAL[name]
    path = save(tmp_path / f"{name}.pth", random_state(layout()), key)
    loaded = load_weights(path)
    assert loaded.spec == EXPECTED[name]
    assert loaded.source_key == key
    assert loaded.sha256 == sha256_file(path)
    assert known(name).scale == loaded.spec.scale
    # Every tensor of the file is now in the network, value for value.
    state = torch.load(path, weights_only=True)[key]
    assert all(torch.equal(v, state[k]) for k, v in loaded.network.state_dict().items())


def test_params_ema_is_preferred_over_params(tmp_path: Path) -> None:
    layout = compact_layout(2, feat=8)
    path = tmp_path / "both.pth"
    torch.save({"params": random_state(layout, seed=1), "params_ema": random_state(layout, seed=2)}, path)
    loaded = load_weights(path)
    assert loaded.source_key == "params_ema"
    assert torch.equal(loaded.network.state_dict()["body.0.weight"], random_state(layout, seed=2)["body.0.weight"])


def _refusal(path: Path, sha256: str | None = None) -> str:
    with pytest.raises(InputError) as err:
        load_weights(path, sha256)
    assert str(path) in str(err.value)
    return str(err.value)


def test_missing_key_is_named(tmp_path: Path) -> None:
    state = random_state(rrdb_layout(4, blocks=3))
    del state["body.1.rdb2.conv3.bias"]
    assert "missing keys: body.1.rdb2.conv3.bias" in _refusal(save(tmp_path / "m.pth", state, "params_ema"))


def test_unexpected_key_is_named(tmp_path: Path) -> None:
    state = random_state(compact_layout(2, feat=8))
    state["upsampler.weight"] = torch.zeros(3)
    assert "unexpected keys: upsampler.weight" in _refusal(save(tmp_path / "u.pth", state, "params"))


def test_wrong_shape_is_named(tmp_path: Path) -> None:
    state = random_state(rrdb_layout(4, blocks=2))
    state["conv_up1.weight"] = torch.zeros(64, 64, 1, 1)
    message = _refusal(save(tmp_path / "s.pth", state, "params_ema"))
    assert "wrong shapes: conv_up1.weight (64, 64, 1, 1) (expected (64, 64, 3, 3))" in message


def test_wrong_hash_is_refused_before_loading(tmp_path: Path) -> None:
    path = save(tmp_path / "h.pth", random_state(compact_layout(2, feat=8)), "params")
    message = _refusal(path, sha256=known("realesr-animevideov3").sha256)
    assert f"sha256 mismatch: file is {sha256_file(path)}, expected {known('realesr-animevideov3').sha256}" in message


def test_bare_state_dict_and_junk_are_refused(tmp_path: Path) -> None:
    bare = tmp_path / "bare.pth"
    torch.save(random_state(compact_layout(2, feat=8)), bare)
    assert "no 'params_ema' or 'params' state dict; top-level keys: body.0.bias" in _refusal(bare)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    assert "not a readable PyTorch weight file" in _refusal(junk)
    other = tmp_path / "other.pth"
    torch.save({"params": {"encoder.weight": torch.zeros(2)}}, other)
    assert "neither conv_first.weight (RRDBNet) nor body.0.weight (SRVGGNetCompact)" in _refusal(other)


def test_registry_entries_are_release_files_with_full_hashes() -> None:
    assert {m.name for m in KNOWN} == set(OFFICIAL)
    for model in KNOWN:
        assert model.url.startswith("https://github.com/xinntao/Real-ESRGAN/releases/download/")
        assert model.url.endswith(f"/{model.name}.pth")
        assert len(model.sha256) == 64 and int(model.sha256, 16) >= 0
    with pytest.raises(InputError, match="unknown model 'x9'; known: RealESRGAN_x4plus"):
        known("x9")
