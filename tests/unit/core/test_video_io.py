from pathlib import Path

import numpy as np

from microdrama.media.video import VideoWriter, read_frames


def _clip(path: Path) -> None:
    with VideoWriter(path, 64, 112, 24) as writer:
        for i in range(10):
            writer.write(np.full((112, 64, 3), 20 + 20 * i, np.uint8))


def test_every_nth_frame_is_returned_in_order(tmp_path: Path) -> None:
    _clip(tmp_path / "a.mp4")
    levels = [float(f.mean()) for f in read_frames(tmp_path / "a.mp4", every=3)]
    assert len(levels) == 4
    assert [round((v - 20) / 20) for v in levels] == [0, 3, 6, 9]


def test_same_frames_encode_to_the_same_bytes(tmp_path: Path) -> None:
    _clip(tmp_path / "a.mp4")
    _clip(tmp_path / "b.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
