"""`microdrama upscale` on an image and a short video; `microdrama models list|fetch|verify`."""

from __future__ import annotations

import functools
import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from rich.console import Console

from microdrama.cli import build_parser
from microdrama.media.audio import read_audio_stream
from microdrama.media.mux import mux_audio
from microdrama.media.probe import probe_video
from microdrama.media.video import EncodeSettings, VideoWriter, read_video
from microdrama.models.download import download
from microdrama.models.registry import known
from microdrama.models.upscaler import UpscaleOptions, Upscaler, nvidia_gpu
from microdrama.models.weights import load_weights
from microdrama.store.base import sha256_file
from tests.unit.models.official import compact_layout, random_state, save


def run(*argv: str | Path) -> tuple[int, str]:
    args = build_parser().parse_args([str(a) for a in argv])
    out = io.StringIO()
    code: int = args.func(args, Console(file=out, width=300, color_system=None))
    return code, out.getvalue()


@pytest.fixture
def models_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "models"
    monkeypatch.setenv("MD_MODELS_DIR", str(home))
    return home


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    return save(tmp_path / "compact.pth", random_state(compact_layout(4, feat=16)), "params")


def _picture(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3)).astype(np.float32), (0, 0), 1.0)
    return np.clip(base, 0, 255).astype(np.uint8)


def test_upscale_an_image_says_what_it_detected(tmp_path: Path, models_home: Path, weights: Path) -> None:
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    rgb = _picture(16, 24, 0)
    cv2.imwrite(str(src), rgb[:, :, ::-1])
    code, out = run("upscale", src, dst, "--weights", weights, "--backend", "onnxruntime")
    assert code == 0, out
    assert "detected: SRVGGNetCompact x4 (4 convs, 16 features, PReLU)" in out
    assert "not a registry file" in out and "input: image 24x16 -> 96x64" in out
    assert "ONNX Runtime" in out
    result = cv2.imread(str(dst))[:, :, ::-1]
    direct = Upscaler(load_weights(weights), UpscaleOptions(backend="torch"))(rgb[None])[0]
    assert result.shape == (64, 96, 3)
    assert np.abs(result.astype(int) - direct.astype(int)).max() <= 1


def test_upscale_a_video_keeps_frames_rate_and_audio(tmp_path: Path, models_home: Path, weights: Path) -> None:
    silent, src, dst = tmp_path / "silent.mp4", tmp_path / "in.mp4", tmp_path / "out.mp4"
    frames = [_picture(32, 48, seed) for seed in range(6)]
    with VideoWriter(silent, 48, 32, 24, EncodeSettings(crf=0, preset="ultrafast", profile=None)) as writer:
        for frame in frames:
            writer.write(frame)
    tone = np.sin(np.arange(12_000) / 48_000 * 2 * np.pi * 440).astype(np.float32) * 0.3
    mux_audio(silent, np.stack([tone, tone], axis=1), src)
    code, out = run("upscale", src, dst, "--weights", weights, "--batch", "4", "--crf", "10")
    assert code == 0, out
    default = "TensorRT" if nvidia_gpu() else "ONNX Runtime"
    assert f"backend: {default}" in out and "video 48x32 -> 192x128, 6 frames at 24 fps, audio carried over" in out
    info = probe_video(dst)
    assert (info.width, info.height, info.frame_count, info.fps, info.has_audio) == (192, 128, 6, 24, True)
    assert read_audio_stream(dst).shape[0] > 10_000
    # The picture is the model's output frame for frame (through a 4:2:0 encode of colour noise: ~33 dB).
    expected = Upscaler(load_weights(weights), UpscaleOptions(backend="torch"))(read_video(src))
    error = read_video(dst).astype(float) - expected.astype(float)
    assert 10 * np.log10(255**2 / np.mean(error**2)) > 30


def test_bad_weights_are_refused_naming_the_problem(tmp_path: Path, models_home: Path) -> None:
    src = tmp_path / "in.png"
    cv2.imwrite(str(src), _picture(8, 8, 1))
    state = random_state(compact_layout(2, feat=8))
    del state["body.3.weight"]
    bad = save(tmp_path / "bad.pth", state, "params")
    code, out = run("upscale", src, tmp_path / "out.png", "--weights", bad)
    assert code == 2 and "missing keys: body.3.weight" in out
    code, out = run("upscale", src, tmp_path / "out.png", "--weights", "RealESRGAN_x4plus")
    assert code == 2 and "RealESRGAN_x4plus is not in" in out and "microdrama models fetch RealESRGAN_x4plus" in out
    code, out = run("upscale", src, tmp_path / "out.mp4", "--weights", bad)
    assert code == 2 and "out.mp4: image output must be one of .bmp, .jpeg" in out


def test_models_list_shows_every_known_model_and_what_is_here(models_home: Path) -> None:
    code, out = run("models", "list")
    assert code == 0
    for name in ("RealESRGAN_x4plus", "RealESRGAN_x2plus", "realesr-general-x4v3", "realesr-animevideov3"):
        assert name in out
    assert out.count("not fetched") == 4


def test_models_verify_flags_a_tampered_release_file(tmp_path: Path, models_home: Path, weights: Path) -> None:
    models_home.mkdir()
    tampered = save(models_home / "realesr-animevideov3.pth", random_state(compact_layout(16)), "params")
    custom = models_home / "mine.pth"
    custom.write_bytes(weights.read_bytes())
    code, out = run("models", "verify")
    assert code == 1
    assert f"FAIL {tampered}: sha256 {sha256_file(tampered)}, the published realesr-animevideov3 is" in out
    assert f"ok {custom}: not a registry file, SRVGGNetCompact x4 (4 convs" in out


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on loopback serving a folder (a stand-in for a release mirror)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def test_download_checks_the_hash_while_streaming(tmp_path: Path, http_folder: tuple[str, Path]) -> None:
    url, folder = http_folder
    (folder / "w.pth").write_bytes(b"x" * 3_000_000)
    seen: list[int] = []
    dest = download(
        f"{url}/w.pth", tmp_path / "got" / "w.pth", sha256_file(folder / "w.pth"), lambda d, t: seen.append(d)
    )
    assert dest.read_bytes() == b"x" * 3_000_000 and seen[-1] == 3_000_000


def test_fetch_refuses_a_file_with_the_wrong_hash_and_keeps_nothing(
    models_home: Path, http_folder: tuple[str, Path]
) -> None:
    url, folder = http_folder
    (folder / known("realesr-animevideov3").filename).write_bytes(b"not the release")
    code, out = run("models", "fetch", "realesr-animevideov3", "--mirror", url)
    assert code == 2
    assert f"expected {known('realesr-animevideov3').sha256}; not kept" in out
    assert not models_home.exists() or not list(models_home.glob("*.pth*"))
