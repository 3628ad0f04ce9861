"""Stylised character figures: one drawing code for animatic shots and reference portraits.

A figure is painted once per shot into per-colour coverage planes (painter's algorithm
on anti-aliased masks, supersampled) and a light/texture map. Colours are applied per
frame from a palette, so identity drift can shift a look within a shot at no redraw cost.
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from microdrama.domain.bible import CharacterLook
from microdrama.generation.texture import fractal_noise, value_noise

# Palette slots: the look's four colours, then fixed ones no look changes.
SKIN, HAIR, OUTFIT, ACCENT, SHIRT, DARK, EYE, LIPS = range(8)
_FIXED_RGB = {SHIRT: "#ece6dc", DARK: "#1c1412", EYE: "#efeae4", LIPS: "#6e2a2c"}
# How much of an identity drift each look colour takes (hair and outfit drift most).
_DRIFT_SHARE = {SKIN: 0.25, HAIR: 1.0, OUTFIT: 1.0, ACCENT: 0.5}
_SUPERSAMPLE = 2

HairCut = Literal["short", "long", "bob", "bun"]
Outfit = Literal["suit", "scrubs", "dress"]
_HAIRCUTS: tuple[HairCut, ...] = ("short", "long", "bob", "bun")


@dataclass(frozen=True)
class FigureStyle:
    hair: HairCut
    outfit: Outfit

    @property
    def shoulders(self) -> float:
        """Half shoulder width in head heights."""
        return {"suit": 1.08, "scrubs": 0.98, "dress": 0.9}[self.outfit]


def _look_hash(look: CharacterLook) -> int:
    key = f"{look.skin}{look.hair}{look.outfit}{look.accent}{look.height:.3f}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def figure_style(look: CharacterLook) -> FigureStyle:
    """The silhouette follows from the look, so a character is drawn the same everywhere.

    The accent colour's likely role picks the outfit (a near-white accent reads as a uniform's
    trim, a gold one as jewellery, anything else as a tie); the haircut comes from the look's hash.
    """
    r, g, b = _hex_rgb(look.accent)
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    outfit: Outfit = "scrubs" if light > 0.85 and sat < 0.3 else "dress" if 0.09 < hue < 0.18 else "suit"
    return FigureStyle(hair=_HAIRCUTS[(_look_hash(look) >> 56) % len(_HAIRCUTS)], outfit=outfit)


def _hex_rgb(value: str) -> tuple[float, float, float]:
    return (int(value[1:3], 16) / 255.0, int(value[3:5], 16) / 255.0, int(value[5:7], 16) / 255.0)


def look_palette(look: CharacterLook, drift_lab: np.ndarray | None = None) -> np.ndarray:
    """(8, 3) float32 RGB in [0, 1]; drift_lab shifts the look's colours in Lab (L, a, b)."""
    rgb = np.zeros((8, 3), np.float32)
    for slot, value in ((SKIN, look.skin), (HAIR, look.hair), (OUTFIT, look.outfit), (ACCENT, look.accent)):
        rgb[slot] = _hex_rgb(value)
    for slot, value in _FIXED_RGB.items():
        rgb[slot] = _hex_rgb(value)
    if drift_lab is not None and np.any(drift_lab):
        lab = cv2.cvtColor(rgb[None, :4], cv2.COLOR_RGB2Lab)[0]
        for slot, share in _DRIFT_SHARE.items():
            lab[slot] += share * drift_lab.astype(np.float32)
        lab[:, 0] = lab[:, 0].clip(0.0, 100.0)
        rgb[:4] = cv2.cvtColor(lab[None], cv2.COLOR_Lab2RGB)[0].clip(0.0, 1.0)
    return rgb


@dataclass(frozen=True, eq=False)
class Sprite:
    """A painted figure at output resolution: shaded coverage per palette slot and total alpha."""

    shaded: np.ndarray  # (h, w, 8) float32: coverage of each slot times light and texture
    alpha: np.ndarray  # (h, w) float32
    clear: np.ndarray  # (h, w, 3) float32: 1 - alpha, per channel, for compositing
    anchor: tuple[int, int]  # (x, y) of the head's top centre inside the sprite

    @classmethod
    def of(cls, shaded: np.ndarray, alpha: np.ndarray, anchor: tuple[int, int]) -> Sprite:
        clear = np.repeat((1.0 - alpha)[..., None], 3, axis=2)
        return cls(shaded=shaded, alpha=alpha, clear=clear, anchor=anchor)

    def paint(self, canvas: np.ndarray, x: int, y: int, palette: np.ndarray, light: np.ndarray) -> None:
        """Composite onto a float32 RGB canvas with the head's top centre at (x, y)."""
        h, w = self.alpha.shape
        left, top = x - self.anchor[0], y - self.anchor[1]
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(left + w, canvas.shape[1]), min(top + h, canvas.shape[0])
        if x0 >= x1 or y0 >= y1:
            return
        sub = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        # cv2.transform mixes the 8 coverage planes into RGB several times faster than NumPy does.
        colour = cv2.transform(self.shaded[sub], np.ascontiguousarray((palette * light).T))
        region = canvas[y0:y1, x0:x1]
        cv2.multiply(region, self.clear[sub], dst=region)
        cv2.add(region, colour, dst=region)

    def shadow(self, canvas: np.ndarray, x: int, y: int, strength: float) -> None:
        """Darken the canvas behind the figure with its soft, offset silhouette."""
        pad = max(4, self.alpha.shape[1] // 12)
        soft = cv2.GaussianBlur(np.pad(self.alpha, pad), (0, 0), pad / 2.5)
        dx, dy = pad // 2, pad // 3
        layer = np.zeros(canvas.shape[:2], np.float32)
        left, top = x - self.anchor[0] - pad + dx, y - self.anchor[1] - pad + dy
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(left + soft.shape[1], canvas.shape[1]), min(top + soft.shape[0], canvas.shape[0])
        if x0 < x1 and y0 < y1:
            layer[y0:y1, x0:x1] = soft[y0 - top : y1 - top, x0 - left : x1 - left]
        canvas *= (1.0 - strength * layer)[..., None]


class _Painter:
    """Supersampled coverage planes; each layer covers what lies under it (painter's algorithm)."""

    def __init__(self, height: int, width: int) -> None:
        self.weights = np.zeros((height, width, 8), np.float32)
        self.shade = np.ones((height, width), np.float32)
        self._mask = np.zeros((height, width), np.uint8)

    def layer(self, slot: int, draw: Callable[[np.ndarray], None], shade: np.ndarray | float) -> None:
        self._mask[:] = 0
        draw(self._mask)
        x, y, w, h = cv2.boundingRect(self._mask)
        if w == 0 or h == 0:
            return
        m = self._mask[y : y + h, x : x + w].astype(np.float32) / 255.0
        weights = self.weights[y : y + h, x : x + w]
        weights *= (1.0 - m)[..., None]
        weights[..., slot] += m
        local = shade if isinstance(shade, float) else shade[y : y + h, x : x + w]
        self.shade[y : y + h, x : x + w] += m * (local - self.shade[y : y + h, x : x + w])

    def darken(self, draw: Callable[[np.ndarray], None], amount: float, blur: float) -> None:
        """A soft shading stroke (a fold, a crease, a shadow) that changes light, not colour."""
        self._mask[:] = 0
        draw(self._mask)
        x, y, w, h = cv2.boundingRect(self._mask)
        pad = int(3 * blur) + 1
        box = (slice(max(y - pad, 0), y + h + pad), slice(max(x - pad, 0), x + w + pad))
        soft = cv2.GaussianBlur(self._mask[box].astype(np.float32) / 255.0, (0, 0), blur)
        self.shade[box] *= 1.0 - amount * soft

    def downsampled(self, box: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
        """Shaded coverage and alpha of a region (bounds multiples of the supersampling) at output size."""
        weights = self.weights[box]
        size = (weights.shape[1] // _SUPERSAMPLE, weights.shape[0] // _SUPERSAMPLE)
        shaded = cv2.resize(weights * self.shade[box][..., None], size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(weights.sum(axis=2), size, interpolation=cv2.INTER_AREA).clip(0.0, 1.0)
        return shaded, alpha


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x), round(y)


def _ellipse(cx: float, cy: float, ax: float, ay: float, start: float = 0, end: float = 360) -> Callable:
    def draw(m: np.ndarray) -> None:
        cv2.ellipse(m, _pt(cx, cy), _pt(ax, ay), 0, start, end, 255, -1, cv2.LINE_AA)

    return draw


def _poly(*points: tuple[float, float]) -> Callable:
    pts = np.array([_pt(x, y) for x, y in points], np.int32)

    def draw(m: np.ndarray) -> None:
        cv2.fillPoly(m, [pts], 255, cv2.LINE_AA)

    return draw


def _line(width: float, *points: tuple[float, float]) -> Callable:
    pts = np.array([_pt(x, y) for x, y in points], np.int32)

    def draw(m: np.ndarray) -> None:
        cv2.polylines(m, [pts], False, 255, max(1, round(width)), cv2.LINE_AA)

    return draw


def _rounded_torso(cx: float, top: float, bottom: float, half: float, radius: float) -> Callable:
    """Shoulders (rounded corners), narrowing slightly down to the bottom edge."""
    arc = np.linspace(0.0, np.pi / 2, 9)
    left = [(cx - half + radius - radius * np.sin(t), top + radius - radius * np.cos(t)) for t in arc]
    right = [(cx + half - radius + radius * np.sin(t), top + radius - radius * np.cos(t)) for t in arc[::-1]]
    return _poly((cx - half * 0.95, bottom), *left[::-1], *right[::-1], (cx + half * 0.95, bottom))


def build_figure(
    look: CharacterLook, head_px: float, extent_px: float, mouths: tuple[float, ...] = (0.0,)
) -> list[Sprite]:
    """Paint the figure once per mouth opening (0 closed .. 1 open).

    head_px is the head's height and extent_px the distance from the top of the head to the
    figure's bottom edge, in output pixels.
    """
    style = figure_style(look)
    rng = np.random.default_rng(_look_hash(look))  # the same fabric and hair texture in every shot
    u = head_px * _SUPERSAMPLE
    half = style.shoulders * u
    width = int(2 * half + 1.4 * u) // _SUPERSAMPLE * _SUPERSAMPLE
    height = int(extent_px * _SUPERSAMPLE + 0.6 * u) // _SUPERSAMPLE * _SUPERSAMPLE
    cx, top = width / 2.0, 0.45 * u
    hy = top + 0.5 * u  # head centre
    ys = top + 1.22 * u  # shoulder line
    paint = _Painter(height, width)

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    # Key light from the upper left; everything falls off to the right and downwards.
    key = (1.08 - 0.28 * (xx - (cx - half)) / (2 * half)) * (1.0 - 0.18 * np.clip((yy - ys) / (3 * u), 0, 1))
    fine = fractal_noise(rng, height, width, u * 0.08, octaves=2)
    cloth = key * (1.0 - 0.22 * np.clip((xx - cx) / half, -1, 1) ** 4) * (1.0 + 0.05 * fine)
    cloth *= 1.0 + 0.08 * value_noise(rng, height, width, u * 0.35, stretch=5.0)
    d2 = ((xx - (cx - 0.12 * u)) ** 2 + (yy - (hy - 0.18 * u)) ** 2) / (0.62 * u) ** 2
    skin = np.clip(key * (1.06 - 0.3 * np.clip(d2, 0, 1.4)), 0.55, 1.2) * (1.0 + 0.012 * fine)
    hair = key * (1.0 + 0.16 * value_noise(rng, height, width, u * 0.025, stretch=14.0)) * (1.0 - 0.2 * d2.clip(0, 1))

    # Back hair sits behind head and shoulders.
    if style.hair == "long":
        paint.layer(
            HAIR,
            _poly(
                (cx - 0.5 * u, hy - 0.1 * u),
                (cx + 0.5 * u, hy - 0.1 * u),
                (cx + 0.62 * u, ys + 0.9 * u),
                (cx - 0.62 * u, ys + 0.9 * u),
            ),
            hair,
        )
        paint.layer(HAIR, _ellipse(cx, hy - 0.08 * u, 0.5 * u, 0.5 * u), hair)
    elif style.hair == "bob":
        paint.layer(HAIR, _ellipse(cx, hy, 0.52 * u, 0.58 * u), hair)
    elif style.hair == "bun":
        paint.layer(HAIR, _ellipse(cx + 0.05 * u, top - 0.08 * u, 0.24 * u, 0.22 * u), hair)

    paint.layer(
        SKIN,
        _poly(
            (cx - 0.15 * u, hy + 0.2 * u),
            (cx + 0.15 * u, hy + 0.2 * u),
            (cx + 0.17 * u, ys + 0.1 * u),
            (cx - 0.17 * u, ys + 0.1 * u),
        ),
        skin * 0.78,
    )
    paint.layer(OUTFIT, _rounded_torso(cx, ys, height, half, 0.62 * u), cloth)
    # Arms read as soft creases down the sides of the torso.
    for side in (-1, 1):
        ax = cx + side * (half - 0.42 * u)
        paint.darken(_line(0.04 * u, (ax, ys + 0.6 * u), (ax + side * 0.08 * u, height)), 0.5, 0.035 * u)
    _neckline(paint, style.outfit, cx, ys, u, height, skin, cloth)

    for side in (-1, 1):  # ears, then the head over them
        paint.layer(SKIN, _ellipse(cx + side * 0.36 * u, hy + 0.04 * u, 0.07 * u, 0.11 * u), skin * 0.9)
    paint.layer(SKIN, _ellipse(cx, hy, 0.365 * u, 0.5 * u), skin)
    paint.darken(
        _line(0.035 * u, (cx + 0.02 * u, hy + 0.02 * u), (cx + 0.05 * u, hy + 0.15 * u), (cx, hy + 0.17 * u)),
        0.25,
        0.02 * u,
    )  # nose
    for side in (-1, 1):
        ex = cx + side * 0.15 * u
        paint.layer(EYE, _ellipse(ex, hy + 0.02 * u, 0.075 * u, 0.04 * u), 1.0)
        paint.layer(DARK, _ellipse(ex + 0.01 * u, hy + 0.02 * u, 0.036 * u, 0.036 * u), 1.0)
        paint.layer(
            HAIR,
            _line(
                0.035 * u,
                (ex - side * 0.07 * u, hy - 0.07 * u),
                (ex, hy - 0.1 * u),
                (ex + side * 0.08 * u, hy - 0.075 * u),
            ),
            hair * 0.8,
        )
    _front_hair(paint, style.hair, cx, hy, ys, u, hair)

    # Only the mouth differs between openings: paint it into a patch over one shared body.
    shaded, alpha = paint.downsampled((slice(None), slice(None)))
    my = hy + 0.29 * u
    ss = _SUPERSAMPLE
    y0, y1 = int(my - 0.14 * u) // ss * ss, int(my + 0.14 * u) // ss * ss
    x0, x1 = int(cx - 0.16 * u) // ss * ss, int(cx + 0.16 * u) // ss * ss
    box = (slice(y0, y1), slice(x0, x1))
    out = (slice(y0 // ss, y1 // ss), slice(x0 // ss, x1 // ss))
    saved = paint.weights[box].copy(), paint.shade[box].copy()
    sprites = []
    for opening in mouths:
        paint.weights[box], paint.shade[box] = saved
        paint.layer(LIPS, _ellipse(cx, my, 0.1 * u, 0.022 * u + 0.05 * u * opening), 1.0)
        if opening > 0:
            paint.layer(DARK, _ellipse(cx, my + 0.005 * u, 0.075 * u, 0.04 * u * opening), 1.0)
        variant_shaded, variant_alpha = shaded.copy(), alpha.copy()
        variant_shaded[out], variant_alpha[out] = paint.downsampled(box)
        sprites.append(Sprite.of(variant_shaded, variant_alpha, (round(cx) // ss, round(top) // ss)))
    return sprites


def _neckline(
    paint: _Painter, outfit: Outfit, cx: float, ys: float, u: float, bottom: float, skin: np.ndarray, cloth: np.ndarray
) -> None:
    if outfit == "suit":
        paint.layer(SHIRT, _poly((cx - 0.3 * u, ys - 0.02 * u), (cx + 0.3 * u, ys - 0.02 * u), (cx, ys + 1.5 * u)), 1.0)
        paint.layer(
            ACCENT,
            _poly(
                (cx - 0.07 * u, ys + 0.02 * u),
                (cx + 0.07 * u, ys + 0.02 * u),
                (cx + 0.05 * u, ys + 0.14 * u),
                (cx + 0.11 * u, ys + 1.3 * u),
                (cx, ys + 1.45 * u),
                (cx - 0.11 * u, ys + 1.3 * u),
                (cx - 0.05 * u, ys + 0.14 * u),
            ),
            cloth,
        )
        for side in (-1, 1):  # lapels: a shade edge along the opening
            paint.darken(
                _line(0.05 * u, (cx + side * 0.34 * u, ys + 0.02 * u), (cx + side * 0.04 * u, ys + 1.5 * u)),
                0.4,
                0.03 * u,
            )
        paint.layer(DARK, _ellipse(cx, ys + 1.85 * u, 0.04 * u, 0.04 * u), 1.0)  # button
    elif outfit == "scrubs":
        paint.layer(
            SKIN, _poly((cx - 0.24 * u, ys - 0.02 * u), (cx + 0.24 * u, ys - 0.02 * u), (cx, ys + 0.6 * u)), skin * 0.82
        )
        paint.layer(
            ACCENT,
            _line(0.06 * u, (cx - 0.26 * u, ys - 0.02 * u), (cx, ys + 0.62 * u), (cx + 0.26 * u, ys - 0.02 * u)),
            cloth,
        )
        for side in (-1, 1):  # lanyard
            paint.layer(
                ACCENT,
                _line(0.035 * u, (cx + side * 0.2 * u, ys), (cx + 0.3 * u + side * 0.08 * u, ys + 1.25 * u)),
                cloth,
            )
        bx, by = cx + 0.3 * u, ys + 1.25 * u
        paint.layer(
            SHIRT,
            _poly(
                (bx - 0.16 * u, by), (bx + 0.16 * u, by), (bx + 0.16 * u, by + 0.42 * u), (bx - 0.16 * u, by + 0.42 * u)
            ),
            1.0,
        )
        paint.layer(
            DARK,
            _poly(
                (bx - 0.1 * u, by + 0.26 * u),
                (bx + 0.1 * u, by + 0.26 * u),
                (bx + 0.1 * u, by + 0.31 * u),
                (bx - 0.1 * u, by + 0.31 * u),
            ),
            1.0,
        )
        paint.darken(_line(0.04 * u, (cx - 0.5 * u, ys + 1.1 * u), (cx - 0.3 * u, bottom)), 0.15, 0.08 * u)
    else:  # dress: a scoop neckline and a necklace
        paint.layer(SKIN, _ellipse(cx, ys + 0.03 * u, 0.42 * u, 0.42 * u, 0, 180), skin * 0.95)
        t = np.linspace(0.15, np.pi - 0.15, 13)
        for i, angle in enumerate(t):
            r = 0.035 * u if i == len(t) // 2 else 0.022 * u
            paint.layer(
                ACCENT, _ellipse(cx + 0.3 * u * np.cos(angle), ys - 0.02 * u + 0.3 * u * np.sin(angle), r, r), 1.1
            )
        paint.layer(ACCENT, _ellipse(cx, ys + 0.36 * u, 0.05 * u, 0.07 * u), 1.1)


def _front_hair(paint: _Painter, cut: HairCut, cx: float, hy: float, ys: float, u: float, hair: np.ndarray) -> None:
    line = hy - 0.2 * u  # hairline
    if cut == "bun":
        paint.layer(HAIR, _ellipse(cx, line + 0.04 * u, 0.385 * u, 0.36 * u, 180, 360), hair)
        return
    paint.layer(HAIR, _ellipse(cx, line, 0.4 * u, 0.36 * u, 180, 360), hair)
    if cut == "short":
        paint.layer(
            HAIR,
            _poly((cx - 0.4 * u, line - 0.02 * u), (cx + 0.1 * u, line - 0.02 * u), (cx - 0.32 * u, line + 0.12 * u)),
            hair,
        )  # side-swept fringe
        for side in (-1, 1):
            paint.layer(
                HAIR,
                _poly(
                    (cx + side * 0.4 * u, line - 0.02 * u),
                    (cx + side * 0.33 * u, line),
                    (cx + side * 0.35 * u, hy + 0.02 * u),
                    (cx + side * 0.39 * u, hy),
                ),
                hair,
            )
    elif cut == "long":
        for side in (-1, 1):
            paint.layer(
                HAIR,
                _poly(
                    (cx + side * 0.4 * u, line - 0.03 * u),
                    (cx + side * 0.28 * u, line + 0.02 * u),
                    (cx + side * 0.34 * u, hy + 0.3 * u),
                    (cx + side * 0.42 * u, ys + 0.7 * u),
                    (cx + side * 0.62 * u, ys + 0.85 * u),
                    (cx + side * 0.5 * u, hy),
                ),
                hair,
            )
    else:  # bob: blunt, chin length, with a fringe
        paint.layer(
            HAIR,
            _poly(
                (cx - 0.38 * u, line - 0.02 * u),
                (cx + 0.38 * u, line - 0.02 * u),
                (cx + 0.3 * u, line + 0.1 * u),
                (cx - 0.3 * u, line + 0.1 * u),
            ),
            hair,
        )
        for side in (-1, 1):
            paint.layer(
                HAIR,
                _poly(
                    (cx + side * 0.4 * u, line - 0.02 * u),
                    (cx + side * 0.32 * u, line + 0.08 * u),
                    (cx + side * 0.34 * u, hy + 0.34 * u),
                    (cx + side * 0.54 * u, hy + 0.36 * u),
                    (cx + side * 0.5 * u, hy),
                ),
                hair,
            )
