from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from microdrama.media.video import EncodeSettings, VideoWriter, read_frames


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


def _keyframes(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(packet.is_keyframe for packet in container.demux(video=0) if packet.size)


def test_a_re_encode_takes_the_writers_gop_not_the_decoded_frames_types(tmp_path: Path) -> None:
    # An all-intra source: every decoded frame says it is an I frame.
    with VideoWriter(tmp_path / "intra.mp4", 64, 112, 24, EncodeSettings(gop_seconds=1 / 24)) as writer:
        for i in range(24):
            writer.write(np.full((112, 64, 3), 10 * i, np.uint8))
    assert _keyframes(tmp_path / "intra.mp4") == 24
    with av.open(str(tmp_path / "intra.mp4")) as container, VideoWriter(tmp_path / "out.mp4", 64, 112, 24) as writer:
        for frame in container.decode(video=0):
            writer.write_frame(frame)
    assert _keyframes(tmp_path / "out.mp4") == 1  # one GOP of 2 s, as the writer's settings say
    with av.open(str(tmp_path / "out.mp4")) as container:  # timed by the writer, not by the source's clock
        stream = container.streams.video[0]
        assert stream.average_rate == Fraction(24) and stream.frames == 24
