"""Face pass: find faces, follow them, keep their exposure, colour and detail steady.

Faces are found by OpenCV's frontal-face Haar cascade (it ships inside the opencv-python
4.x wheel) on a copy of each frame scaled to DETECT_ROWS rows. Detections are linked into
tracks by overlap, gaps are filled by interpolation and boxes smoothed over time, so a
face the detector misses on a frame is still followed (and reframe can follow the boxes).

A face is measured against its own frame: the ratio of its mean RGB to the background's.
Light or a cast over the whole frame leaves that ratio alone (deflicker and grade match
handle those); the pass corrects only what happens to the face: the ratio is pulled onto
its smoothed curve over the shot, and, where the template asks (reference_strength, off by
default: the ratio also changes with what is behind the face), the shot's faces as a group
toward the episode's reference faces (one factor per shot, so two characters keep their
difference). Detail dips in a face are sharpened back up to the face's smoothed detail.
Every correction is applied through a feathered ellipse inside the face box: pixels outside
every ellipse are bit-identical to the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import cv2
import cv2.data
import numpy as np

from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import ShotStats, edge_strength, gray
from microdrama.finishing.smoothing import smooth
from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.stages.detail import sharpen
from microdrama.media.ahead import ahead
from microdrama.media.video import read_frames

CASCADE = "haarcascade_frontalface_default.xml"
DETECT_ROWS = 360  # detection runs on frames scaled to this height: faces of a micro-drama are large
MIN_FACE = 1 / 12  # smallest face searched for, as a fraction of frame height
LINK_IOU = 0.3  # a detection continues a track when it overlaps the track's last box this much
MAX_GAP = 12  # frames a track may go undetected before it ends
# Faces are detected on every DETECT_EVERY-th frame, boxes in between interpolated: a face moves little
# in a sixth of a second, and detection is the scan's largest cost.
DETECT_EVERY = 4
MIN_HITS, MIN_HIT_RATE = 3, 0.4  # detections: a track shorter or sparser than this is a false detection
# Ellipse radii as fractions of the box: the skin measured, the core corrected fully, the feather edge.
MEASURE_AXES, CORE_AXES, EDGE_AXES = (0.32, 0.42), (0.44, 0.58), (0.58, 0.76)
CENTRE_DROP = 0.06  # a Haar box sits high on the face (brows to lips): the ellipse centre is lowered
DETAIL_SIGMA = 1.0  # unsharp radius for face detail, source pixels
LUMA = np.array([0.299, 0.587, 0.114])

Box = tuple[float, float, float, float]  # x, y, width, height in source pixels


@dataclass(frozen=True)
class FaceSettings:
    """What the template controls; defaults suit 24-30 fps shots."""

    window: int = 15  # frames in the smoothing window of boxes, colour and detail
    reference_strength: float = 0.0  # 1 moves a shot's faces fully onto the reference faces' look (template doc)
    max_gain: float = 1.3  # the most a face's channel is brightened (1/max_gain: darkened)
    max_sharpen: float = 1.5  # the most unsharp amount a soft face frame gets


@dataclass(frozen=True, eq=False)
class FaceTrack:
    """One face through a shot: from frame `start`, a smoothed box (x, y, w, h) and measurements per frame."""

    start: int
    boxes: np.ndarray  # (n, 4) source pixels
    face_rgb: np.ndarray  # (n, 3) mean RGB of the skin ellipse
    back_rgb: np.ndarray  # (n, 3) mean RGB outside the box
    detail: np.ndarray  # (n,) edge strength of the skin ellipse's bounding crop
    detail_gain: np.ndarray  # (n,) that edge strength after unsharp amount 1, divided by it

    @property
    def stop(self) -> int:
        return self.start + len(self.boxes)

    def ratio(self) -> np.ndarray:
        """(n, 3) face-to-background RGB ratio: what the pass steadies."""
        return np.asarray(np.maximum(self.face_rgb, 1.0) / np.maximum(self.back_rgb, 1.0))

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "boxes": np.round(self.boxes, 2).tolist(),
            "face_rgb": self.face_rgb.tolist(),
            "back_rgb": self.back_rgb.tolist(),
            "detail": self.detail.tolist(),
            "detail_gain": self.detail_gain.tolist(),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FaceTrack:
        def rows(name: str, width: int) -> np.ndarray:
            return np.asarray(doc[name], dtype=np.float64).reshape(-1, width)

        return cls(
            start=int(doc["start"]),
            boxes=rows("boxes", 4),
            face_rgb=rows("face_rgb", 3),
            back_rgb=rows("back_rgb", 3),
            detail=np.asarray(doc["detail"], dtype=np.float64),
            detail_gain=np.asarray(doc["detail_gain"], dtype=np.float64),
        )


@dataclass(frozen=True, eq=False)
class FaceScan:
    """Every face track of one shot."""

    width: int
    height: int
    frames: int
    tracks: tuple[FaceTrack, ...]

    def boxes_at(self, index: int) -> np.ndarray:
        """(k, 4) boxes (x, y, w, h, source pixels) of the faces on frame `index`, for reframing."""
        boxes = [t.boxes[index - t.start] for t in self.tracks if t.start <= index < t.stop]
        return np.array(boxes).reshape(-1, 4)

    def per_frame(self) -> tuple[tuple[Box, ...], ...]:
        """Every frame's face boxes, the form ReframeItem.faces takes."""
        return tuple(
            tuple((float(x), float(y), float(w), float(h)) for x, y, w, h in self.boxes_at(i))
            for i in range(self.frames)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "tracks": [t.to_json() for t in self.tracks],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FaceScan:
        tracks = tuple(FaceTrack.from_json(t) for t in doc["tracks"])
        return cls(width=int(doc["width"]), height=int(doc["height"]), frames=int(doc["frames"]), tracks=tracks)


@dataclass(frozen=True)
class FaceLook:
    """A shot's faces as a group: the median face-to-background RGB ratio."""

    ratio: tuple[float, float, float]

    def to_json(self) -> dict[str, Any]:
        return {"ratio": list(self.ratio)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FaceLook:
        r = doc["ratio"]
        return cls(ratio=(float(r[0]), float(r[1]), float(r[2])))


def load_detector() -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / CASCADE
    detector = cv2.CascadeClassifier(str(path))
    if detector.empty():
        raise RuntimeError(f"face cascade {path} missing: the face pass needs opencv-python(-headless) 4.x")
    return detector


def detect(detector: cv2.CascadeClassifier, rgb: np.ndarray) -> np.ndarray:
    """(k, 4) face boxes (x, y, w, h) in `rgb`'s pixels, found on a copy scaled to DETECT_ROWS rows."""
    height, width = rgb.shape[:2]
    scale = min(1.0, DETECT_ROWS / height)
    luma = gray(rgb)
    if scale < 1.0:
        luma = cv2.resize(luma, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    side = max(12, round(luma.shape[0] * MIN_FACE))
    found = detector.detectMultiScale(luma, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    return np.asarray(found, dtype=np.float64).reshape(-1, 4) / scale


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter))


def link(detections: Sequence[tuple[int, np.ndarray]], every: int) -> list[dict[int, np.ndarray]]:
    """Tracks ({frame: box}) from (frame, boxes) detections made on every `every`-th frame: each box
    joins the best-overlapping open track."""
    tracks: list[dict[int, np.ndarray]] = []
    # A face seen on every detected frame of a very short shot counts, however few those are.
    hits = min(MIN_HITS, len(detections))
    for index, boxes in detections:
        open_tracks = [t for t in tracks if index - max(t) <= MAX_GAP]
        for box in boxes:
            scores = [iou(t[max(t)], box) if index not in t else 0.0 for t in open_tracks]
            best = int(np.argmax(scores)) if scores else -1
            if best >= 0 and scores[best] >= LINK_IOU:
                open_tracks[best][index] = box
            else:
                tracks.append({index: box})
    return [t for t in tracks if len(t) >= max(hits, MIN_HIT_RATE * ((max(t) - min(t)) // every + 1))]


def follow(hits: Mapping[int, np.ndarray], window: int, last: int) -> tuple[int, np.ndarray]:
    """(start, boxes): every frame from the first detection to the frame before the next detection would
    have been (at most `last`), gaps interpolated (the ends held), then smoothed in time."""
    frames = np.array(sorted(hits))
    span = np.arange(frames[0], min(last, frames[-1] + DETECT_EVERY - 1) + 1)
    boxes = np.stack([hits[f] for f in frames])
    # Centre and size are smoothed, not corners: the detector's size wobble must not move the centre.
    centre_size = np.column_stack([boxes[:, :2] + boxes[:, 2:] / 2, boxes[:, 2:]])
    filled = np.column_stack([smooth(np.interp(span, frames, centre_size[:, k]), window) for k in range(4)])
    return int(span[0]), np.column_stack([filled[:, :2] - filled[:, 2:] / 2, filled[:, 2:]])


def _ellipse(box: np.ndarray, axes: tuple[float, float]) -> tuple[float, float, float, float]:
    """(centre x, centre y, semi-axis x, semi-axis y) of an ellipse scaled to `box`."""
    x, y, w, h = box
    return x + w / 2, y + h / 2 + CENTRE_DROP * h, axes[0] * w, axes[1] * h


def _roi(box: np.ndarray, axes: tuple[float, float], shape: tuple[int, ...]) -> tuple[slice, slice]:
    """Rows and columns of the frame covering the ellipse, clipped to the frame."""
    cx, cy, ax, ay = _ellipse(box, axes)
    rows = slice(max(0, int(np.floor(cy - ay))), min(shape[0], int(np.ceil(cy + ay)) + 1))
    cols = slice(max(0, int(np.floor(cx - ax))), min(shape[1], int(np.ceil(cx + ax)) + 1))
    return rows, cols


def face_mask(box: np.ndarray, shape: tuple[int, ...]) -> tuple[tuple[slice, slice], np.ndarray]:
    """The region a correction touches and its weights: 1 in the core ellipse, a smooth fall to 0 at the edge."""
    rows, cols = _roi(box, EDGE_AXES, shape)
    cx, cy, ax, ay = _ellipse(box, (1.0, 1.0))
    yy, xx = np.mgrid[rows, cols].astype(np.float32)
    # Normalised radius in units of the core ellipse; the edge ellipse sits at `outer`.
    radius = np.sqrt(((xx - cx) / (CORE_AXES[0] * ax)) ** 2 + ((yy - cy) / (CORE_AXES[1] * ay)) ** 2)
    outer = EDGE_AXES[0] / CORE_AXES[0]
    t = np.clip((outer - radius) / (outer - 1.0), 0.0, 1.0)
    return (rows, cols), (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def measure_face(rgb: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Mean RGB of the skin ellipse and of everything outside the box; the skin's detail before and after unsharp 1."""
    rows, cols = _roi(box, MEASURE_AXES, rgb.shape)
    crop = np.ascontiguousarray(rgb[rows, cols])
    cx, cy, ax, ay = _ellipse(box, MEASURE_AXES)
    inside = np.zeros(crop.shape[:2], np.uint8)
    cv2.ellipse(inside, (round(cx - cols.start), round(cy - rows.start)), (round(ax), round(ay)), 0, 0, 360, 1, -1)
    face = np.array(cv2.mean(crop, mask=inside)[:3])
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(rgb.shape[1], int(np.ceil(box[0] + box[2]))), min(rgb.shape[0], int(np.ceil(box[1] + box[3])))
    total, area = np.array(cv2.sumElems(rgb)[:3]), rgb.shape[0] * rgb.shape[1]
    box_sum = np.array(cv2.sumElems(np.ascontiguousarray(rgb[y0:y1, x0:x1]))[:3])
    back = (total - box_sum) / max(1, area - (x1 - x0) * (y1 - y0))
    detail = edge_strength(gray(crop))
    sharpened = edge_strength(gray(sharpen(crop, 1.0, DETAIL_SIGMA)))
    return face, back, detail, sharpened / max(detail, 1e-6)


def scan_faces(
    detector: cv2.CascadeClassifier,
    sampled: Iterable[np.ndarray],
    count: int,
    again: Iterable[np.ndarray],
    settings: FaceSettings,
) -> FaceScan:
    """Detect faces with `detector` (load_detector) on `sampled` (every DETECT_EVERY-th frame of a shot of `count`
    frames, from the first) and follow them through all, then measure them over `again` (every frame, a second read,
    only taken when a face was found)."""
    size = (0, 0)
    detections = []
    for index, rgb in zip(range(0, count, DETECT_EVERY), sampled, strict=True):
        size = rgb.shape[:2]
        detections.append((index, detect(detector, rgb)))
    followed = [follow(hits, settings.window, count - 1) for hits in link(detections, DETECT_EVERY)]
    measured: list[list[tuple[np.ndarray, np.ndarray, float, float]]] = [[] for _ in followed]
    for index, rgb in enumerate(again if followed else ()):
        for (start, boxes), out in zip(followed, measured, strict=True):
            if start <= index < start + len(boxes):
                out.append(measure_face(rgb, boxes[index - start]))
    tracks = []
    for (start, boxes), rows in zip(followed, measured, strict=True):
        face, back, detail, gain = (np.array(column) for column in zip(*rows, strict=True))
        tracks.append(FaceTrack(start, boxes, face, back, detail, gain))
    return FaceScan(width=size[1], height=size[0], frames=count, tracks=tuple(tracks))


def face_look(scan: FaceScan) -> FaceLook | None:
    """The shot's faces as a group, or None where the shot has no face."""
    if not scan.tracks:
        return None
    ratio = np.median(np.concatenate([t.ratio() for t in scan.tracks]), axis=0)
    return FaceLook(ratio=(float(ratio[0]), float(ratio[1]), float(ratio[2])))


def reference_look(looks: Mapping[str, FaceLook | None], reference: str | None) -> FaceLook | None:
    """The episode's face reference: the reference shot's faces, else the median of all shots with faces."""
    if reference is not None and looks.get(reference) is not None:
        return looks[reference]
    present = [look.ratio for look in looks.values() if look is not None]
    if not present:
        return None
    ratio = np.median(np.array(present), axis=0)
    return FaceLook(ratio=(float(ratio[0]), float(ratio[1]), float(ratio[2])))


@dataclass(frozen=True, eq=False)
class Correction:
    """Per frame of a track: the RGB gain and unsharp amount inside the face."""

    gains: np.ndarray  # (n, 3)
    amounts: np.ndarray  # (n,)


def corrections(
    track: FaceTrack, shot: FaceLook | None, reference: FaceLook | None, settings: FaceSettings
) -> Correction:
    """Gains that move the face's ratio onto its smoothed curve (and toward the reference), and detail top-ups."""
    ratio = track.ratio()
    target = np.column_stack([smooth(ratio[:, k], settings.window) for k in range(3)])
    if shot is not None and reference is not None:
        target *= (np.array(reference.ratio) / np.array(shot.ratio)) ** settings.reference_strength
    gains = np.clip(target / ratio, 1 / settings.max_gain, settings.max_gain)
    # Detail relative to the face's brightness, so an exposure flicker does not read as a detail dip;
    # it is only ever topped up: a face sharper than its neighbours is left as it is.
    contrast = track.detail / np.maximum(track.face_rgb @ LUMA, 1.0)
    wanted = smooth(contrast, settings.window) / np.maximum(contrast, 1e-9) - 1.0
    amounts = np.clip(wanted / np.maximum(track.detail_gain - 1.0, 1e-3), 0.0, settings.max_sharpen)
    return Correction(gains=gains, amounts=np.where(wanted > 0, amounts, 0.0))


def apply_face(rgb: np.ndarray, box: np.ndarray, gain: np.ndarray, amount: float) -> np.ndarray:
    """`rgb` with one face corrected inside its feathered ellipse; a new array, every other pixel as it was."""
    (rows, cols), weight = face_mask(box, rgb.shape)
    roi = rgb[rows, cols]
    fixed = sharpen(np.ascontiguousarray(roi), amount, DETAIL_SIGMA) if amount > 0 else roi
    blended = roi + weight[..., None] * (fixed.astype(np.float32) * gain.astype(np.float32) - roi)
    out = rgb.copy()
    out[rows, cols] = np.where(weight[..., None] > 0, np.clip(np.rint(blended), 0, 255), roi).astype(np.uint8)
    return out


class FaceCorrector:
    """Corrects a shot's frames in order, one call per frame (as render() hands them over)."""

    def __init__(self, scan: FaceScan, reference: FaceLook | None, settings: FaceSettings) -> None:
        shot = face_look(scan)
        self._tracks = scan.tracks
        self._fixes = [corrections(t, shot, reference, settings) for t in scan.tracks]
        self._index = 0

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        out = rgb
        for track, fix in zip(self._tracks, self._fixes, strict=True):
            if track.start <= self._index < track.stop:
                k = self._index - track.start
                out = apply_face(out, track.boxes[k], fix.gains[k], float(fix.amounts[k]))
        self._index += 1
        return out


@dataclass(frozen=True)
class FaceScanItem(ShotItem):
    frames: int


class FaceScanStage(StoreStage):
    """Detect, follow and measure the faces of a shot; its FaceScan feeds FacePassStage and reframing."""

    name = "face-scan"

    def __init__(self, store_factory: StoreFactory, settings: FaceSettings) -> None:
        super().__init__(store_factory)
        self.settings = settings
        self._detector: cv2.CascadeClassifier | None = None

    def setup(self) -> None:
        super().setup()
        # Once per worker, not per shot: parsing the cascade costs about 8 ms, an 80-shot episode most of a second.
        self._detector = load_detector()

    def run(self, item: FaceScanItem) -> FaceScan:
        detector = self.ready(self._detector)
        # Detection needs no exact colour; the faces are measured on the picture as the pass will see it. Each read
        # decodes in a thread of its own, beside the detector and the measures.
        with (
            self.store.local_path(item.src_key, PurePosixPath(item.src_key).suffix) as src,
            closing(ahead(lambda: read_frames(src, every=DETECT_EVERY))) as sampled,
            closing(ahead(lambda: read_frames(src, exact_colour=True))) as again,
        ):
            return scan_faces(detector, sampled, item.frames, again, self.settings)


@dataclass(frozen=True)
class FacePassItem(ShotItem):
    dst_key: str
    stats: ShotStats  # of the input: a shot with no face passes through as it is
    scan: FaceScan
    reference: FaceLook | None


class FacePassStage(StoreStage):
    """Render a shot with its faces steadied; writes a lossless intermediate like the other stages."""

    name = "face"

    def __init__(self, store_factory: StoreFactory, settings: FaceSettings) -> None:
        super().__init__(store_factory)
        self.settings = settings

    def run(self, item: FacePassItem) -> Rendered:
        if not item.scan.tracks:
            return Rendered(key=item.src_key, stats=item.stats)
        corrector = FaceCorrector(item.scan, item.reference, self.settings)
        return self.render(item.src_key, item.dst_key, corrector, LosslessWriter)
