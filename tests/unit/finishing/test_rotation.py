import tempfile
from functools import partial
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from microdrama.finishing import finish_episode
from microdrama.media.probe import probe_video
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import HEIGHT, PREFIX, WIDTH, decode, raw_key, scene, template


def upright() -> np.ndarray:
    """A portrait picture whose top is obvious: a white band across the top eighth."""
    picture = np.clip(scene(5), 0, 255).astype(np.uint8)
    picture[: HEIGHT // 8] = 255
    return picture


def put_phone_clip(store: LocalStore, rotation: int) -> str:
    """A phone take: frames stored sideways plus a display matrix saying how to turn them upright."""
    coded = np.ascontiguousarray(np.rot90(upright(), k=-rotation // 90))
    key = raw_key("phone")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "phone.mp4"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=30)
            stream.width, stream.height = coded.shape[1], coded.shape[0]
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": "4", "preset": "ultrafast"}
            stream.set_display_rotation(rotation)
            for index in range(8):
                frame = av.VideoFrame.from_ndarray(coded, format="rgb24")
                frame.pts = index
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        info = probe_video(path)
        assert (info.width, info.height, info.rotation) == (HEIGHT, WIDTH, rotation)  # really stored sideways
        store.put_file(key, path)
    return key


@pytest.mark.parametrize("rotation", [-90, 90])
def test_a_rotated_phone_clip_comes_out_upright(tmp_path: Path, rotation: int) -> None:
    store = LocalStore(tmp_path)
    key = put_phone_clip(store, rotation)
    neutral = template(
        deflicker={"enabled": False}, grade={"enabled": False}, upscale={"detail_match": False, "sharpen": 0.0}
    )
    result = finish_episode(
        [("phone", key)], neutral, runner=InProcessRunner(), store_factory=partial(LocalStore, tmp_path), prefix=PREFIX
    )
    out = decode(store, result.shot_keys["phone"])
    assert out.shape[1:3] == (2 * HEIGHT, 2 * WIDTH)  # display size, so portrait and nothing cropped
    seen = cv2.resize(out[0], (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA).astype(np.float64)
    error = np.abs(seen - upright()).mean()
    upside_down = np.abs(seen - np.rot90(upright(), 2)).mean()
    assert error < 8.0 and error < 0.2 * upside_down, (error, upside_down)  # the round trip alone loses ~6
    assert seen[: HEIGHT // 10].mean() > 240 and seen[-HEIGHT // 10 :].mean() < 200
