"""A finishing template naming a model: the model-upscale stage, in the episode pipeline."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from microdrama.errors import InputError
from microdrama.finishing import default_template, finish_episode, parse_template
from microdrama.finishing.stages.model_upscale import ModelUpscaleItem, ModelUpscaleStage, model_input_size
from microdrama.finishing.template import FinishingTemplate, canonical_json
from microdrama.media.probe import probe_video
from microdrama.models.upscaler import UpscaleOptions, Upscaler
from microdrama.models.weights import load_weights
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.base import sha256_file
from microdrama.store.local import LocalStore
from tests.unit.finishing.synth import HEIGHT, PREFIX, WIDTH, decode, frames_of, put_clip, scene
from tests.unit.models.official import compact_layout, random_state, save


@pytest.fixture
def models_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "models"
    home.mkdir()
    monkeypatch.setenv("MD_MODELS_DIR", str(home))
    return home


def _model_template(weights: Path, **upscale: object) -> FinishingTemplate:
    model = {"name": weights.stem, "sha256": sha256_file(weights)}
    return parse_template({"upscale": {"width": 2 * WIDTH, "height": 2 * HEIGHT, "model": model, **upscale}})


def test_templates_without_a_model_hash_as_before() -> None:
    assert "model" not in json.loads(canonical_json(default_template()))["upscale"]
    named = parse_template({"upscale": {"model": {"name": "realesr-general-x4v3"}}})
    assert named.upscale.model is not None and named.upscale.model.weights_sha256.startswith("8dc7edb9")
    with pytest.raises(InputError, match=r"upscale\.model: Value error, unknown model 'mine'"):
        parse_template({"upscale": {"model": {"name": "mine"}}})
    with pytest.raises(InputError, match=r"upscale\.model\.name: String should match pattern"):
        parse_template({"upscale": {"model": {"name": "../x", "sha256": "0" * 64}}})


def test_model_input_size_keeps_small_takes_and_brings_large_ones_to_master_over_scale() -> None:
    assert model_input_size(540, 960, (2160, 3840), 4, 1) == (540, 960)
    assert model_input_size(1080, 1920, (2160, 3840), 4, 1) == (540, 960)
    assert model_input_size(1081, 1921, (2160, 3840), 2, 2) == (1080, 1920)


def test_the_stage_writes_the_models_output_losslessly(tmp_path: Path, models_home: Path) -> None:
    weights = save(models_home / "tiny-x2.pth", random_state(compact_layout(3, feat=8, scale=2)), "params")
    store = LocalStore(tmp_path / "store")
    src = put_clip(store, "s1", frames_of(scene(1), np.linspace(0.9, 1.1, 6)))
    settings = _model_template(weights).upscale
    item = ModelUpscaleItem("s1", src, f"{PREFIX}/m/s1.json", f"{PREFIX}/m/s1.mkv")
    [rendered] = InProcessRunner().map(
        partial(ModelUpscaleStage, partial(LocalStore, tmp_path / "store"), settings, models_home), [item]
    )
    expected = Upscaler(load_weights(weights), UpscaleOptions())(decode(store, src, exact_colour=True))
    assert np.array_equal(decode(store, rendered.key), expected)
    assert rendered.stats.frames == 6 and store.exists(item.result_key)


def test_an_episode_with_a_model_template_runs_the_model_stage(tmp_path: Path, models_home: Path) -> None:
    weights = save(models_home / "tiny-x4.pth", random_state(compact_layout(2, feat=8)), "params")
    root = tmp_path / "store"
    store = LocalStore(root)
    shots = [(sid, put_clip(store, sid, frames_of(scene(i), np.ones(8)))) for i, sid in enumerate(("a", "b"), 1)]
    calls: list[tuple[str, int, int]] = []
    result = finish_episode(
        shots,
        _model_template(weights),
        runner=InProcessRunner(),
        store_factory=partial(LocalStore, root),
        prefix=PREFIX,
        progress=lambda stage, done, total: calls.append((stage, done, total)),
    )
    finished = [stage for stage, done, total in calls if done == total]
    assert finished.index("grade") < finished.index("model-upscale") < finished.index("detail")
    with store.local_path(result.master_key, ".mp4") as path:
        info = probe_video(path)
    assert (info.width, info.height, info.frame_count) == (2 * WIDTH, 2 * HEIGHT, 16)
    assert result.report["template"]["upscale"]["model"]["name"] == "tiny-x4"
    assert result.report["stages"]["model-upscale"]["processed"] == 2


def test_a_missing_weight_file_names_the_fetch_command(tmp_path: Path, models_home: Path) -> None:
    settings = parse_template({"upscale": {"model": {"name": "realesr-animevideov3"}}}).upscale
    stage = ModelUpscaleStage(partial(LocalStore, tmp_path), settings, models_home)
    with pytest.raises(InputError, match="run `microdrama models fetch realesr-animevideov3`"):
        stage.setup()


def test_a_weight_file_not_matching_the_template_is_refused(tmp_path: Path, models_home: Path) -> None:
    save(models_home / "realesr-animevideov3.pth", random_state(compact_layout(16)), "params")
    settings = parse_template({"upscale": {"model": {"name": "realesr-animevideov3"}}}).upscale
    stage = ModelUpscaleStage(partial(LocalStore, tmp_path), settings, models_home)
    with pytest.raises(InputError, match="sha256 mismatch"):
        stage.setup()
