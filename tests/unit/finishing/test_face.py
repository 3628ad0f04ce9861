"""The face pass on a real face: NASA's public-domain astronaut portrait, shipped in scikit-image."""

import tempfile
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from skimage import data as skimage_data

from microdrama.finishing.measure import edge_strength, gray
from microdrama.finishing.stages.analysis import AnalysisItem, AnalysisStage
from microdrama.finishing.stages.face import (
    DETECT_EVERY,
    FaceCorrector,
    FacePassItem,
    FacePassStage,
    FaceScan,
    FaceScanItem,
    FaceScanStage,
    FaceSettings,
    face_look,
    face_mask,
    load_detector,
    reference_look,
    scan_faces,
)
from microdrama.media.video import EncodeSettings, VideoWriter, read_frames, read_video
from microdrama.runtime.stages import InProcessRunner
from microdrama.store.local import LocalStore

from .synth import PREFIX, raw_key

FRAMES = 24
WIDTH, HEIGHT, TOP = 160, 224, 16
# The astronaut's face in the portrait scaled to 256x256 (the cascade finds x 86, y 31, 53 px square).
FACE_X, FACE_Y, FACE_SIDE = 86, 31, 53


def scanned(frames: list[np.ndarray]) -> FaceScan:
    """A shot's faces as the scan stage finds them: detected every DETECT_EVERY-th frame, measured on every one."""
    return scan_faces(load_detector(), frames[::DETECT_EVERY], len(frames), iter(frames), FaceSettings())


def portrait() -> np.ndarray:
    return np.asarray(cv2.resize(skimage_data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA))


def window(picture: np.ndarray, left: int) -> np.ndarray:
    return np.ascontiguousarray(picture[TOP : TOP + HEIGHT, left : left + WIDTH])


def face_centre(left: int) -> np.ndarray:
    return np.array([FACE_X + FACE_SIDE / 2 - left, FACE_Y + FACE_SIDE / 2 - TOP])


def face_weight(left: int, scale: float = 1.0) -> np.ndarray:
    """A soft ellipse over the skin of the face in the window at `left`."""
    cx, cy = face_centre(left)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    r = np.hypot((xx - cx) / (0.4 * FACE_SIDE * scale), (yy - cy - 4) / (0.55 * FACE_SIDE * scale))
    return np.clip(1.5 - r, 0.0, 1.0)[..., None]


def relit(frame: np.ndarray, weight: np.ndarray, gain: float) -> np.ndarray:
    return np.asarray(np.clip(np.rint(frame * (1 + weight * (gain - 1))), 0, 255).astype(np.uint8))


def face_luma(frames: np.ndarray, weight: np.ndarray) -> np.ndarray:
    luma = frames.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    w = weight[..., 0] > 0.9
    return np.asarray(luma[:, w].mean(axis=1))


def test_a_moving_face_is_followed_through_frames_the_detector_misses() -> None:
    lefts = np.linspace(0, 64, FRAMES).round().astype(int)
    frames = [window(portrait(), int(x)) for x in lefts]
    missed = [10, 11, 12]
    for i in missed:  # motion blur the cascade cannot see through
        frames[i] = np.asarray(cv2.GaussianBlur(frames[i], (0, 0), 6))
    scan = scanned(frames)

    assert len(scan.tracks) == 1
    assert (scan.tracks[0].start, scan.tracks[0].stop) == (0, FRAMES)
    for i, left in enumerate(lefts):
        (box,) = scan.boxes_at(i)
        centre = box[:2] + box[2:] / 2
        assert np.abs(centre - face_centre(int(left))).max() < 0.15 * FACE_SIDE, f"frame {i}"
        assert 0.8 < box[2] / FACE_SIDE < 1.2
    assert FaceScan.from_json(scan.to_json()).boxes_at(11).round(2).tolist() == scan.boxes_at(11).round(2).tolist()
    assert [len(boxes) for boxes in scan.per_frame()] == [1] * FRAMES


def put(store: LocalStore, name: str, frames: list[np.ndarray]) -> str:
    key = raw_key(name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "take.mp4"
        with VideoWriter(path, WIDTH, HEIGHT, 24, EncodeSettings(crf=4, preset="ultrafast")) as writer:
            for frame in frames:
                writer.write(frame)
        store.put_file(key, path)
    return key


def test_a_flickering_face_is_steadied_and_nothing_outside_it_changes(tmp_path: Path) -> None:
    still = window(portrait(), 32)
    weight = face_weight(32)
    flicker = 1 + 0.12 * np.sin(2 * np.pi * np.arange(FRAMES) / 5)
    store_factory = partial(LocalStore, tmp_path)
    store = store_factory()
    key = put(store, "face", [relit(still, weight, g) for g in flicker])
    runner, settings = InProcessRunner(), FaceSettings()

    analysed = AnalysisItem("face", key, f"{PREFIX}/a.json", False)
    stats = runner.map(partial(AnalysisStage, store_factory), [analysed])[0].stats
    scan_item = FaceScanItem("face", key, f"{PREFIX}/f.json", stats.frames)
    scan = runner.map(partial(FaceScanStage, store_factory, settings), [scan_item])[0]
    item = FacePassItem("face", key, f"{PREFIX}/p.json", f"{PREFIX}/p.mkv", stats, scan, None)
    out = runner.map(partial(FacePassStage, store_factory, settings), [item])[0]
    with store.local_path(key, ".mp4") as src, store.local_path(out.key, ".mkv") as dst:
        # The input as the stages decode it (exact colour), so untouched pixels compare bit for bit.
        before, after = np.stack(list(read_frames(src, exact_colour=True))), read_video(dst)

    jitter_before = np.abs(np.diff(face_luma(before, weight))).mean()
    jitter_after = np.abs(np.diff(face_luma(after, weight))).mean()
    assert jitter_before > 8.0
    assert jitter_after < 0.2 * jitter_before
    touched = np.zeros((FRAMES, HEIGHT, WIDTH), bool)
    for i in range(FRAMES):
        for box in scan.boxes_at(i):
            (rows, cols), w = face_mask(box, (HEIGHT, WIDTH))
            touched[i, rows, cols] |= w > 0
    assert touched.any(axis=(1, 2)).all() and touched.mean() < 0.25
    assert np.array_equal(after[~touched], before[~touched])


def test_a_face_exposed_differently_in_another_shot_is_pulled_to_the_reference() -> None:
    still = window(portrait(), 32)
    weight = face_weight(32)
    reference = [still] * 8
    dim = [relit(still, weight, 0.8)] * 8
    shots = {"ref": reference, "dim": dim}
    scans = {name: scanned(f) for name, f in shots.items()}
    ref_look = face_look(scans["ref"])
    settings = FaceSettings(reference_strength=1.0)

    fixed = np.stack([FaceCorrector(scans["dim"], ref_look, settings)(frame) for frame in dim])
    ref_luma, dim_luma = face_luma(np.stack(reference), weight).mean(), face_luma(np.stack(dim), weight).mean()
    assert ref_luma - dim_luma > 20.0
    assert abs(face_luma(fixed, weight).mean() - ref_luma) < 0.25 * (ref_luma - dim_luma)
    # Light over the whole frame is deflicker's and grade's business: the face pass leaves it alone.
    darker = [np.asarray(np.rint(still * 0.8).astype(np.uint8))] * 8
    whole = scanned(darker)
    assert np.abs(FaceCorrector(whole, ref_look, settings)(darker[0]).astype(int) - darker[0]).max() <= 3


def test_by_default_a_face_seen_against_another_background_keeps_its_look() -> None:
    # The same face, lit the same, framed against a darker background in the second shot: its ratio to the
    # background differs, but nothing happened to the face, so the default pass leaves it alone.
    still = window(portrait(), 32)
    weight = face_weight(32)
    darker_behind = np.asarray(np.rint(still * (weight + (1 - weight) * 0.6)).astype(np.uint8))
    shots = {"bright": [still] * 8, "dark": [darker_behind] * 8}
    scans = {name: scanned(f) for name, f in shots.items()}
    looks = {name: face_look(scan) for name, scan in scans.items()}
    assert all(look is not None for look in looks.values())
    reference = reference_look(looks, None)

    fixed = FaceCorrector(scans["dark"], reference, FaceSettings())(darker_behind)
    assert abs(face_luma(fixed[None], weight).mean() - face_luma(darker_behind[None], weight).mean()) < 0.5


def test_a_face_gone_soft_on_a_few_frames_gets_its_detail_back() -> None:
    still = window(portrait(), 32)
    weight = face_weight(32)
    soft = np.asarray(np.rint(still * (1 - weight) + cv2.GaussianBlur(still, (0, 0), 1.0) * weight).astype(np.uint8))
    frames = [soft if i in (6, 7, 18) else still for i in range(FRAMES)]
    scan = scanned(frames)
    correct = FaceCorrector(scan, None, FaceSettings())
    fixed = [correct(frame) for frame in frames]
    rows, cols = (slice(int(a.min()), int(a.max())) for a in np.nonzero(weight[..., 0] > 0.9))

    def detail(frame: np.ndarray) -> float:
        return edge_strength(gray(frame[rows, cols]))

    sharp = detail(still)
    assert sharp - detail(soft) > 0.3 * sharp
    for i in (6, 7, 18):
        assert sharp - detail(fixed[i]) < 0.6 * (sharp - detail(soft))
    assert abs(detail(fixed[12]) - sharp) < 0.02 * sharp
