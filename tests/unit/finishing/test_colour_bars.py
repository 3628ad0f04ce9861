"""Colour bars in, colour bars out: decode, the whole chain with a neutral template, and the master encode
keep every bar's colour (range, matrix and primaries right end to end)."""

from functools import partial
from pathlib import Path

import av
import numpy as np
import pytest

from microdrama.finishing import finish_episode
from microdrama.finishing.measure import delta_e2000, to_lab
from microdrama.finishing.template import FinishingTemplate, parse_template
from microdrama.media.video import read_video
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import PREFIX, decode, put_clip, raw_key

BARS = np.array(  # 75% bars, then full white and black, which a wrong range would move
    [
        *([191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0], [0, 0, 191]),
        *([255, 255, 255], [0, 0, 0]),
    ],
    np.uint8,
)
BAR_W, HEIGHT = 16, 256  # nine 16-pixel bars: 144x256, 9:16


def neutral(width: int, height: int, **reframe: object) -> FinishingTemplate:
    return parse_template(
        {
            "deflicker": {"enabled": False},
            "grade": {"enabled": False},
            "upscale": {"width": width, "height": height, "sharpen": 0.0, "detail_match": False},
            "reframe": reframe,
        }
    )


def finish(root: Path, key: str, template: FinishingTemplate) -> np.ndarray:
    store = LocalStore(root)
    result = finish_episode(
        [("bars", key)], template, runner=InProcessRunner(), store_factory=partial(LocalStore, root), prefix=PREFIX
    )
    return decode(store, result.shot_keys["bars"])


def test_delta_e2000_matches_the_published_test_pairs() -> None:
    # Sharma, Wu and Dalal (2005), pairs 1, 7, 13, 17 and 25.
    a = np.array([[50, 2.6772, -79.7751], [50, 0, 0], [50, 2.49, -0.001], [50, 2.5, 0], [60.2574, -34.0099, 36.2677]])
    b = np.array([[50, 0, -82.7485], [50, -1, 2], [50, -2.49, 0.0009], [73, 25, -18], [60.4626, -34.1751, 39.4387]])
    assert np.allclose(delta_e2000(a, b), [2.0425, 2.3669, 7.1792, 27.1492, 1.2644], atol=1e-4)
    assert np.allclose(delta_e2000(b, a), delta_e2000(a, b))


def test_synthetic_bars_survive_the_whole_chain(tmp_path: Path) -> None:
    picture = np.repeat(np.repeat(BARS[None], BAR_W, axis=1), HEIGHT, axis=0)
    store = LocalStore(tmp_path)
    key = put_clip(store, "bars", [picture] * 6)
    out = finish(tmp_path, key, neutral(2 * picture.shape[1], 2 * HEIGHT))
    for index, colour in enumerate(BARS):
        # The middle half of each bar, clear of chroma subsampling and resampling at its edges.
        inside = out[:, 64:-64, 2 * BAR_W * index + 8 : 2 * BAR_W * (index + 1) - 8]
        error = delta_e2000(to_lab(inside.reshape(-1, 1, 3)), to_lab(colour.reshape(1, 1, 3))).mean()
        assert error < 2.0, f"bar {index} {colour.tolist()}: mean dE2000 {error:.2f}"


def first_seconds(source: Path, dest: Path, seconds: float) -> None:
    """Copy the packets of the first `seconds` (decode order, so every copied frame decodes)."""
    with av.open(str(source)) as src, av.open(str(dest), "w", format="mp4") as dst:
        stream = src.streams.video[0]
        out = dst.add_stream_from_template(stream)
        for packet in src.demux(stream):
            if packet.dts is None:
                continue
            if packet.dts * packet.time_base >= seconds:
                break
            packet.stream = out
            dst.mux(packet)


@pytest.mark.shared_data
def test_real_smpte_bars_survive_the_whole_chain(tmp_path: Path, shared_data: Path) -> None:
    piece = tmp_path / "smpte.mp4"
    first_seconds(shared_data / "clips" / "smpte-2997.mp4", piece, 0.3)
    store = LocalStore(tmp_path / "store")
    key = raw_key("bars")
    store.put_file(key, piece)
    # Letterboxed into the 9:16 master at 0.3x, so every bar is at a known place: x * 0.3, 350 + y * 0.3.
    out = finish(tmp_path / "store", key, neutral(576, 1024, mode="letterbox"))
    source = read_video(piece)
    assert len(out) == len(source) > 3
    scale_x, scale_y, top = 576 / 1920, 1024 / 3414, (3414 - 1080) / 2 * 1024 / 3414
    for index in range(7):  # the seven 206-pixel bars from x = 240, rows above the counter
        x0, x1, y0, y1 = 240 + 206 * index + 50, 240 + 206 * (index + 1) - 50, 40, 360
        before = source[:, y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)
        region = out[
            :, round(top + y0 * scale_y) : round(top + y1 * scale_y), round(x0 * scale_x) : round(x1 * scale_x)
        ]
        after = region.reshape(-1, 3).mean(axis=0)
        error = float(delta_e2000(*(to_lab(c.astype(np.float32).reshape(1, 1, 3)) for c in (before, after))).mean())
        assert error < 2.0, (
            f"bar {index}: {before.round(1).tolist()} became {after.round(1).tolist()}, dE2000 {error:.2f}"
        )
