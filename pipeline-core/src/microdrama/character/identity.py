"""Identity lock without model weights: a character's colour parts, found again in frames.

describe() segments the figure from its reference's plain backdrop, splits it at the
shoulders and takes the colour parts of the head (hair, skin) and of the body (outfit,
accent), each a Lab colour; the skin at the middle of the head is the face part.
score_frames() looks for faces (compact blobs of the face colour) and, in windows sized
by each face (the face, around it, below it), measures how much of each part is there
against what the reference shows in the same windows. The geometric mean over parts
makes every part count: a different character shares the skin but not the hair and
outfit, and an outfit that drifted to another colour sinks the match. The scene's light
and a take's colour cast act as per-channel gains, so a small grid of white-balance gains
is tried and the best kept.

Colour alone has limits: a background that holds a character's face, hair and outfit
colours in the right places (a warm lamp over a dark table, for a blond man in a black
suit) can pass for them, and a near-black outfit cannot show drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from microdrama.errors import InputError

_VERSION = 1
_MAX_PARTS = 4  # per zone
_MIN_PART = 0.04  # parts smaller than this share of their zone (eyes, a badge) are left out
_PART_RADIUS = 15.0  # Lab distance gathering pixels into one part
_MATCH_RADIUS = 16.0  # a pixel matches a part up to about this distance (flat, then falling fast)
_BACKDROP_DELTA = 12.0  # Lab distance from the backdrop that counts as figure
_ANALYSIS_WIDTH = 180  # images are scored at this width: plenty for colour parts, and fast
_MIN_FACE = 0.001  # share of the image a face must cover at least
_MIN_SHARE = 0.03  # parts that cover less of their window than this in the references are dropped
_FOUND_MIN = 0.5  # score from which the character counts as found
_RATIO_FLOOR = 0.02  # a missing part pulls the geometric mean down, not to zero
_GAINS = (0.82, 0.9, 1.0, 1.1, 1.22)  # red and blue gains (relative to green) tried per frame
_L_WEIGHT = 0.5  # lightness differences count half: light level changes more than colour
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class IdentityDescriptor:
    character_id: str
    parts: tuple[tuple[float, float, float], ...]  # Lab colour of each part
    zones: tuple[str, ...]  # per part: "face" (the one part that anchors the search), "head" or "body"
    shares: tuple[float, ...]  # how much of its zone's window each part covers in the references

    def to_json(self) -> dict[str, Any]:
        return {
            "version": _VERSION,
            "character_id": self.character_id,
            "parts": [
                {"lab": [round(c, 2) for c in lab], "zone": zone, "share": round(share, 4)}
                for lab, zone, share in zip(self.parts, self.zones, self.shares, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IdentityDescriptor:
        name = f"identity descriptor of {data.get('character_id', '?')!r}"
        if data.get("version") != _VERSION:
            raise InputError(f"{name}: unsupported version {data.get('version')!r}")
        try:
            parts = data["parts"]
            if [p["zone"] for p in parts].count("face") != 1 or min(float(p["share"]) for p in parts) <= 0:
                raise ValueError("needs exactly one face part and positive shares")
            return cls(
                character_id=str(data["character_id"]),
                parts=tuple((float(p["lab"][0]), float(p["lab"][1]), float(p["lab"][2])) for p in parts),
                zones=tuple(str(p["zone"]) for p in parts),
                shares=tuple(float(p["share"]) for p in parts),
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise InputError(f"{name}: malformed ({exc!r})") from exc


@dataclass(frozen=True)
class CharacterMatch:
    found: bool
    score: float  # 0..1: how well the best candidate holds the character's parts
    best_frame: int  # index into the frames given
    box: Box | None  # the face's x, y, width, height in that frame's pixels


def _lab(rgb: np.ndarray, gains: tuple[float, float] = (1.0, 1.0)) -> tuple[np.ndarray, float]:
    """Lab of the image at analysis size (after red/blue gains), and the scale applied."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError(f"expected an RGB uint8 image, got shape {rgb.shape} {rgb.dtype}")
    scale = min(1.0, _ANALYSIS_WIDTH / rgb.shape[1])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    linear = small.astype(np.float32) * np.array([gains[0] / 255.0, 1.0 / 255.0, gains[1] / 255.0], np.float32)
    return cv2.cvtColor(np.clip(linear, 0.0, 1.0), cv2.COLOR_RGB2Lab), scale


def _distance(lab: np.ndarray, colour: np.ndarray) -> np.ndarray:
    diff = lab - colour
    diff[..., 0] *= _L_WEIGHT
    return np.sqrt((diff * diff).sum(axis=-1))


def _figure_mask(lab: np.ndarray) -> np.ndarray:
    """The figure in a reference: what differs from the backdrop seen at the left and right edges."""
    strip = max(2, lab.shape[1] // 64)
    backdrop = np.median(np.concatenate([lab[:, :strip], lab[:, -strip:]], axis=1), axis=1)
    distance = np.linalg.norm(lab - backdrop[:, None, :], axis=2)
    mask = cv2.morphologyEx((distance > _BACKDROP_DELTA).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        return np.zeros(mask.shape, bool)
    return np.asarray(labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))


def _shoulders(mask: np.ndarray) -> int:
    """The row where the figure widens from head to shoulders."""
    widths = mask.sum(axis=1)
    rows = np.nonzero(widths)[0]
    top, bottom = int(rows[0]), int(rows[-1])
    head = float(np.median(widths[top : top + max(1, (bottom - top) // 10)]))
    wide = np.nonzero(widths[top:] > 1.5 * head)[0]
    return top + int(wide[0]) if len(wide) else (top + bottom) // 2


def _parts(pixels: np.ndarray) -> list[np.ndarray]:
    """Greedy colour parts: the densest colour and the pixels near it, again on what is left."""
    total, remaining = len(pixels), pixels
    colours: list[np.ndarray] = []
    while len(colours) < _MAX_PARTS and len(remaining) >= _MIN_PART * total:
        coarse = np.round(remaining / np.array([10.0, 6.0, 6.0], np.float32)).astype(np.int32)
        _, inverse, counts = np.unique(coarse, axis=0, return_inverse=True, return_counts=True)
        seed = remaining[inverse.ravel() == int(np.argmax(counts))].mean(axis=0)
        near = _distance(remaining, seed) < _PART_RADIUS
        if near.sum() >= _MIN_PART * total:
            colours.append(remaining[near].mean(axis=0))
        remaining = remaining[~near]
    return colours


def _membership(lab: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """(K, H, W): how well each pixel matches each part; flat near the colour, then falling fast,
    so small shifts (light, blur) pass and drift does not."""
    return np.stack([np.exp(-((_distance(lab, c) / _MATCH_RADIUS) ** 4)) for c in parts])


def _windows(face: Box, shape: tuple[int, int]) -> dict[str, tuple[slice, slice]]:
    """Where each zone's parts are looked for, sized by the face: the face, around it, below it."""
    x, y, w, h = face
    height, width = shape

    def clip(x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        return slice(max(0, round(y0)), min(height, round(y1))), slice(max(0, round(x0)), min(width, round(x1)))

    return {
        "face": clip(x, y, x + w, y + h),
        "head": clip(x - 0.3 * w, y - 0.5 * h, x + 1.3 * w, y + 1.1 * h),
        "body": clip(x - 1.4 * w, y + 1.6 * h, x + 2.4 * w, y + 1.6 * h + 2.5 * w),
    }


def _candidates(membership: np.ndarray, zones: tuple[str, ...]) -> list[tuple[np.ndarray, Box]]:
    """For every face-like blob: how much of its zone's window each part covers."""
    face = zones.index("face")
    support = (membership[face] > 0.5).astype(np.uint8)
    support = cv2.morphologyEx(support, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(support, connectivity=8)
    shape = (support.shape[0], support.shape[1])
    found = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        # A face is compact and upright; below the chin the blob may run on (neck, neckline).
        h = min(h, round(1.5 * w))
        if area < _MIN_FACE * support.size or h < 0.8 * w or w > 0.4 * shape[1]:
            continue
        if x == 0 or y == 0 or x + w == shape[1]:
            continue  # a face cut by the frame edge is no sample of anyone's look
        windows = _windows((x, y, w, h), shape)
        if any(membership[0][window].size == 0 for window in windows.values()):
            continue
        cover = np.array([float(membership[k][windows[zone]].mean()) for k, zone in enumerate(zones)])
        found.append((cover, (x, y, w, h)))
    return found


def _face_part(lab: np.ndarray, mask: np.ndarray, split: int, parts: list[np.ndarray]) -> int:
    """Which head part is the face: the one across the middle of the head, between nose and mouth."""
    rows = np.nonzero(mask[:split].any(axis=1))[0]
    y = round(rows[0] + 0.53 * (split - rows[0]))
    xs = np.nonzero(mask[y])[0]
    centre, half = int(xs.mean()), max(1, len(xs) // 5)
    patch = np.median(lab[y, centre - half : centre + half + 1], axis=0)
    return int(np.argmin([_distance(patch[None], p)[0] for p in parts]))


def describe(character_id: str, references: list[np.ndarray]) -> IdentityDescriptor:
    """The character's colour parts from its reference images (RGB uint8, plain backdrop)."""
    if not references:
        raise InputError(f"character {character_id!r} has no reference images")
    labs, masks, splits, head_px, body_px = [], [], [], [], []
    for i, image in enumerate(references):
        lab, _ = _lab(image)
        mask = _figure_mask(lab)
        if mask.mean() < 0.02:
            raise InputError(f"reference {i} of character {character_id!r}: no figure found against the backdrop")
        split = _shoulders(mask)
        head_px.append(lab[:split][mask[:split]])
        body_px.append(lab[split:][mask[split:]])
        labs.append(lab)
        masks.append(mask)
        splits.append(split)
    head_parts, body_parts = _parts(np.concatenate(head_px)), _parts(np.concatenate(body_px))
    face = _face_part(labs[0], masks[0], splits[0], head_parts)
    parts = np.array(head_parts + body_parts, np.float32)
    zones = tuple("face" if k == face else "head" if k < len(head_parts) else "body" for k in range(len(parts)))
    covers = []
    for i, lab in enumerate(labs):
        candidates = _candidates(_membership(lab, parts), zones)
        if not candidates:
            raise InputError(f"reference {i} of character {character_id!r}: no face found in the figure")
        covers.append(max(candidates, key=lambda c: float(c[0].sum()))[0])
    shares = np.mean(covers, axis=0)
    if shares[face] < _MIN_SHARE:
        raise InputError(f"references of character {character_id!r}: the face colour does not fill the face")
    keep = shares >= _MIN_SHARE  # a part its own window hardly holds says nothing
    return IdentityDescriptor(
        character_id=character_id,
        parts=tuple((float(c[0]), float(c[1]), float(c[2])) for c in parts[keep]),
        zones=tuple(zone for zone, k in zip(zones, keep, strict=True) if k),
        shares=tuple(float(v) for v in shares[keep]),
    )


def _score_frame(descriptor: IdentityDescriptor, rgb: np.ndarray) -> tuple[float, Box | None]:
    parts = np.asarray(descriptor.parts, np.float32)
    shares = np.asarray(descriptor.shares, np.float32)
    best, box = 0.0, None
    for red in _GAINS:
        for blue in _GAINS:
            lab, scale = _lab(rgb, (red, blue))
            for cover, found in _candidates(_membership(lab, parts), descriptor.zones):
                # Each part scores how much of its reference coverage is there (more is fine: a dark
                # background next to dark hair); the geometric mean makes a missing part sink the match.
                ratio = np.minimum(cover / shares, 1.0)
                score = float(np.exp(np.log(np.maximum(ratio, _RATIO_FLOOR)).mean()))
                if score > best:
                    best = score
                    x, y, w, h = (round(v / scale) for v in found)
                    box = (x, y, w, h)
    return best, box


def score_frames(descriptor: IdentityDescriptor, frames: list[np.ndarray]) -> CharacterMatch:
    """Find the character in (sampled) RGB uint8 frames; the best-matching frame decides."""
    if not frames:
        raise InputError(f"no frames given to score character {descriptor.character_id!r}")
    if not descriptor.parts:
        raise InputError(f"identity descriptor of {descriptor.character_id!r} has no colour parts")
    results = [_score_frame(descriptor, frame) for frame in frames]
    index = max(range(len(results)), key=lambda i: results[i][0])
    score, box = results[index]
    found = score >= _FOUND_MIN
    return CharacterMatch(found=found, score=round(score, 4), best_frame=index, box=box if found else None)
