"""Backgrounds for shots: an interior room or an exterior street, lit for the time of day.

The layout is seeded by the location's name, so every shot in one location shows the same
room. Everything is painted at twice the size and downsampled (anti-aliased edges), with
procedural texture so surfaces carry the fine detail real footage has.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import cv2
import numpy as np

from microdrama.generation.texture import fractal_noise, value_noise

_SUPERSAMPLE = 2
_DAY_WORDS = ("DAY", "MORNING", "AFTERNOON", "NOON", "DAWN", "SUNRISE")
_CITY_LIGHTS = (
    np.array([0.95, 0.72, 0.38], np.float32),
    np.array([1.0, 0.82, 0.5], np.float32),
    np.array([0.7, 0.8, 0.95], np.float32),
)
_GLASS = (np.array([0.2, 0.26, 0.34], np.float32), np.array([0.42, 0.52, 0.62], np.float32))


@dataclass(frozen=True)
class Lighting:
    interior: bool
    night: bool

    @property
    def figure_light(self) -> np.ndarray:
        """What the scene's light does to a figure's colours (RGB gains)."""
        if self.interior:
            gains = (1.06, 0.95, 0.8) if self.night else (1.02, 1.0, 0.97)
        else:
            gains = (0.72, 0.8, 0.98) if self.night else (1.04, 1.03, 1.0)
        return np.array(gains, np.float32)

    @property
    def shadow(self) -> float:
        """How dark a figure's shadow on the background is (none outdoors at night)."""
        return 0.45 if self.interior else (0.0 if self.night else 0.2)


def lighting_for(interior: bool, time_of_day: str) -> Lighting:
    """DAY-like times light by daylight; NIGHT, DUSK and anything unstated (CONTINUOUS) as night."""
    tod = time_of_day.upper()
    return Lighting(interior=interior, night=not any(word in tod for word in _DAY_WORDS))


def _rgb(*values: float) -> np.ndarray:
    return np.array(values, np.float32)


def _rect(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour: np.ndarray) -> None:
    img[max(int(y0), 0) : max(int(y1), 0), max(int(x0), 0) : max(int(x1), 0)] = colour


def _glow(img: np.ndarray, x: float, y: float, radius: float, colour: np.ndarray) -> None:
    """Additive light falling off smoothly from (x, y); beyond 1.6 radii it is below a code value."""
    h, w = img.shape[:2]
    reach = 1.6 * radius
    x0, x1 = max(0, int(x - reach)), min(w, int(x + reach) + 1)
    y0, y1 = max(0, int(y - reach)), min(h, int(y + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    yy = ((np.arange(y0, y1, dtype=np.float32) - y) / radius) ** 2
    xx = ((np.arange(x0, x1, dtype=np.float32) - x) / radius) ** 2
    img[y0:y1, x0:x1] += np.exp(-2.5 * (yy[:, None] + xx[None, :]))[..., None] * colour


def render_setting(location: str, lighting: Lighting, width: int, height: int) -> np.ndarray:
    """float32 RGB in [0, 1], width x height."""
    seed = int.from_bytes(hashlib.blake2b(location.strip().upper().encode(), digest_size=8).digest(), "big")
    rng = np.random.default_rng(seed)
    w, h = width * _SUPERSAMPLE, height * _SUPERSAMPLE
    img = _interior(rng, w, h, lighting.night) if lighting.interior else _exterior(rng, w, h, lighting.night)
    # Surface texture: large soft mottling plus fine grain, the detail sharpness is measured on.
    img *= (1.0 + 0.06 * fractal_noise(rng, h, w, w / 6, octaves=3) + 0.035 * value_noise(rng, h, w, 3.0))[..., None]
    yy, xx = np.ogrid[0:h, 0:w]
    vignette = 1.0 - 0.35 * (((xx - w / 2) / (w * 0.75)) ** 2 + ((yy - h * 0.45) / (h * 0.7)) ** 2)
    img *= vignette.astype(np.float32)[..., None]
    return cv2.resize(img.clip(0.0, 1.0), (width, height), interpolation=cv2.INTER_AREA)


def _interior(rng: np.random.Generator, w: int, h: int, night: bool) -> np.ndarray:
    # Deep green under tungsten at night, pale blue-grey by day: walls that stay clear of skin tones.
    wall = _rgb(0.1, 0.2, 0.16) if night else _rgb(0.6, 0.66, 0.68)
    trim = _rgb(0.2, 0.12, 0.07) if night else _rgb(0.5, 0.38, 0.27)
    yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(wall * (0.8 + 0.25 * yy), (h, w, 3)).copy()
    # Wallpaper: faint vertical stripes with a printed pattern.
    xx = np.arange(w, dtype=np.float32)[None, :]
    period = w / rng.integers(9, 16)
    img *= (1.0 + 0.035 * np.sign(np.sin(2 * np.pi * xx / period)) * (0.5 + 0.5 * np.cos(2 * np.pi * yy[..., 0] * 40)))[
        ..., None
    ]
    rail = h * rng.uniform(0.6, 0.66)
    _rect(img, 0, rail, w, h, wall * 0.62)
    panel_w = w / rng.integers(2, 4)
    for i in range(int(w / panel_w) + 1):  # wainscot panels: shadowed top edge, lit bottom edge
        x0, x1 = i * panel_w + 0.1 * panel_w, (i + 1) * panel_w - 0.1 * panel_w
        _rect(img, x0, rail + 0.05 * h, x1, rail + 0.055 * h, wall * 0.42)
        _rect(img, x0, rail + 0.32 * h, x1, rail + 0.325 * h, wall * 0.85)
    _rect(img, 0, rail - 0.012 * h, w, rail + 0.012 * h, trim)
    _rect(img, 0, rail - 0.012 * h, w, rail - 0.008 * h, trim * 1.6)

    left = bool(rng.integers(0, 2))
    wx0 = w * (0.05 if left else 0.56)
    wx1, wy0, wy1 = wx0 + w * 0.38, h * 0.13, h * rng.uniform(0.46, 0.52)
    _window(rng, img, wx0, wy0, wx1, wy1, night, trim)
    other = w * (0.78 if left else 0.22)
    if rng.random() < 0.5:
        _picture(rng, img, other, h * 0.27, w * 0.2, trim, night)
    else:
        _door(img, other, h, w, trim, wall)
    if night:
        lamp_x = w * (0.86 if left else 0.14)
        _lamp(img, lamp_x, rail - 0.02 * h, w)
    else:  # daylight through the window brightens its side of the room
        _glow(img, (wx0 + wx1) / 2, (wy0 + wy1) / 2, w * 0.9, _rgb(0.1, 0.1, 0.09))
    return img


def _window(
    rng: np.random.Generator, img: np.ndarray, x0: float, y0: float, x1: float, y1: float, night: bool, trim: np.ndarray
) -> None:
    ww, wh = int(x1 - x0), int(y1 - y0)
    t = np.linspace(0.0, 1.0, wh, dtype=np.float32)[:, None, None]
    if night:
        view = _rgb(0.02, 0.04, 0.1) * (1 - t) + _rgb(0.08, 0.12, 0.22) * t
        view = np.broadcast_to(view, (wh, ww, 3)).copy()
        _skyline(rng, view, wh * 0.55, _rgb(0.03, 0.04, 0.07), 0.5, _CITY_LIGHTS, 0.3)
    else:
        view = _rgb(0.62, 0.78, 0.95) * (1 - t) + _rgb(0.92, 0.95, 0.98) * t
        view = np.broadcast_to(view, (wh, ww, 3)).copy()
        cloud = np.clip(fractal_noise(rng, wh, ww, ww / 3, octaves=3) * 1.8, 0, 1)[..., None]
        view += 0.25 * cloud
    img[int(y0) : int(y0) + wh, int(x0) : int(x0) + ww] = view
    bar = 0.035 * ww
    for x in (x0, (x0 + x1) / 2 - bar / 2, x1 - bar):  # frame and mullions
        _rect(img, x, y0, x + bar, y1, trim)
    for y in (y0, (y0 + y1) / 2 - bar / 2, y1 - bar):
        _rect(img, x0, y, x1, y + bar, trim)
    _rect(img, x0 - bar, y1 - bar, x1 + bar, y1 + bar, trim * 1.3)  # sill
    curtain = _rgb(0.32, 0.08, 0.08) if night else _rgb(0.62, 0.55, 0.45)
    cw = int(0.22 * ww)
    folds = 0.75 + 0.25 * np.sin(np.linspace(0, 7 * np.pi, cw, dtype=np.float32))
    for cx0 in (int(x0) - cw // 2, int(x1) - cw // 2):
        cx0 = max(cx0, 0)
        span = img[int(y0) - int(0.06 * wh) : int(y1) + int(0.25 * wh), cx0 : cx0 + cw]
        span[:] = curtain * folds[: span.shape[1], None]


def _skyline(
    rng: np.random.Generator,
    img: np.ndarray,
    horizon: float,
    colour: np.ndarray,
    scale: float,
    lights: tuple[np.ndarray, ...],
    density: float,
) -> None:
    """Building silhouettes standing on `horizon`, their windows lit (or glazed) from `lights`."""
    h, w = img.shape[:2]
    step_x, step_y = max(4.0, 0.022 * w), max(6.0, 0.02 * h)
    x = -rng.uniform(0, 0.05) * w
    while x < w:
        bw = rng.uniform(0.08, 0.2) * w
        top = horizon - rng.uniform(0.3, 1.0) * h * scale
        _rect(img, x, top, x + bw, h, colour * rng.uniform(0.8, 1.2))
        rows = np.arange(top + step_y, h - step_y, step_y)
        cols = np.arange(x + step_x * 0.6, x + bw - step_x, step_x)
        lit = rng.random((len(rows), len(cols))) < density
        pick = rng.integers(0, len(lights), lit.shape)
        gain = rng.uniform(0.4, 1.0, lit.shape)
        for i, j in zip(*np.nonzero(lit), strict=True):
            wx, wy = cols[j], rows[i]
            _rect(img, wx, wy, wx + step_x * 0.5, wy + step_y * 0.55, lights[pick[i, j]] * gain[i, j])
        x += bw + rng.uniform(0.0, 0.03) * w


def _picture(
    rng: np.random.Generator, img: np.ndarray, cx: float, cy: float, size: float, trim: np.ndarray, night: bool
) -> None:
    pw, ph = int(size), int(size * 1.25)
    x0, y0 = int(cx - pw / 2), int(cy - ph / 2)
    frame = _rgb(0.55, 0.42, 0.2) if night else _rgb(0.62, 0.5, 0.28)
    _rect(img, x0 - 0.08 * pw, y0 - 0.08 * pw, x0 + pw * 1.08, y0 + ph + 0.08 * pw, frame)
    paint = np.stack([0.5 + 0.5 * fractal_noise(rng, ph, pw, pw / 2, octaves=3) for _ in range(3)], axis=-1)
    base = _rgb(0.22, 0.28, 0.2) if night else _rgb(0.35, 0.42, 0.3)
    img[y0 : y0 + ph, x0 : x0 + pw] = base * (0.6 + 0.8 * paint)


def _door(img: np.ndarray, cx: float, h: int, w: int, trim: np.ndarray, wall: np.ndarray) -> None:
    dw = 0.3 * w
    x0, y0 = cx - dw / 2, 0.1 * h
    _rect(img, x0 - 0.04 * dw, y0 - 0.04 * dw, x0 + dw * 1.04, h, trim)
    door = trim * 1.35
    _rect(img, x0, y0, x0 + dw, h, door)
    for py0, py1 in ((y0 + 0.05 * h, y0 + 0.3 * h), (y0 + 0.36 * h, y0 + 0.8 * h)):
        for px0 in (x0 + 0.1 * dw, x0 + 0.55 * dw):
            _rect(img, px0, py0, px0 + 0.35 * dw, py1, door * 0.8)
            _rect(img, px0 + 0.01 * dw, py0 + 0.01 * dw, px0 + 0.35 * dw, py1, door * 0.95)
    _rect(img, x0 + 0.85 * dw, y0 + 0.52 * h, x0 + 0.92 * dw, y0 + 0.535 * h, _rgb(0.75, 0.6, 0.3))


def _lamp(img: np.ndarray, x: float, table: float, w: int) -> None:
    """A table lamp: the tungsten source of a night interior."""
    sw = 0.16 * w
    _glow(img, x, table - 0.25 * w, 0.9 * w, _rgb(0.35, 0.2, 0.08))
    _rect(img, x - 0.015 * w, table - 0.16 * w, x + 0.015 * w, table, _rgb(0.12, 0.08, 0.05))
    _rect(img, x - 0.2 * w, table, x + 0.2 * w, table + 0.025 * w, _rgb(0.16, 0.09, 0.05))  # side table
    _rect(img, x - 0.18 * w, table + 0.025 * w, x + 0.18 * w, table + 0.3 * w, _rgb(0.1, 0.06, 0.035))
    shade = np.array(
        [
            (x - sw * 0.35, table - 0.32 * w),
            (x + sw * 0.35, table - 0.32 * w),
            (x + sw * 0.5, table - 0.16 * w),
            (x - sw * 0.5, table - 0.16 * w),
        ],
        np.int32,
    )
    cv2.fillPoly(img, [shade], (1.0, 0.82, 0.55))
    _glow(img, x, table - 0.24 * w, 0.2 * w, _rgb(0.5, 0.32, 0.12))


def _exterior(rng: np.random.Generator, w: int, h: int, night: bool) -> np.ndarray:
    horizon = h * rng.uniform(0.56, 0.62)
    t = np.clip(np.linspace(0.0, 1.0, h, dtype=np.float32) * h / horizon, 0, 1)[:, None, None]
    if night:
        sky = _rgb(0.01, 0.02, 0.06) * (1 - t) + _rgb(0.09, 0.14, 0.24) * t + _rgb(0.12, 0.06, 0.03) * t**6
    else:
        sky = _rgb(0.3, 0.52, 0.85) * (1 - t) + _rgb(0.75, 0.84, 0.94) * t
    img = np.broadcast_to(sky, (h, w, 3)).copy()
    if night:
        if rng.random() < 0.6:
            mx, my = rng.uniform(0.2, 0.8) * w, rng.uniform(0.08, 0.2) * h
            _glow(img, mx, my, 0.25 * w, _rgb(0.12, 0.14, 0.2))
            cv2.circle(img, (int(mx), int(my)), int(0.035 * w), (0.85, 0.87, 0.82), -1)
    else:
        cloud = np.clip(fractal_noise(rng, h, w, w / 2.5, octaves=4) * 1.6 - 0.1, 0, 1)[..., None]
        img += 0.45 * cloud * (1 - t)
    far = _rgb(0.06, 0.08, 0.13) if night else _rgb(0.55, 0.6, 0.68)
    near = _rgb(0.03, 0.035, 0.05) if night else _rgb(0.5, 0.52, 0.55)
    lights, density = (_CITY_LIGHTS, 0.3) if night else (_GLASS, 0.8)
    _skyline(rng, img, horizon, far, 0.35, lights, density)
    img[:] = cv2.GaussianBlur(img, (0, 0), 1.2)  # distance softens the far layer
    _skyline(rng, img, horizon, near, 0.55, lights, density * 0.7)
    ground = _rgb(0.05, 0.05, 0.07) if night else _rgb(0.42, 0.41, 0.4)
    _rect(img, 0, horizon, w, h, ground)
    _rect(img, 0, horizon + 0.04 * h, w, horizon + 0.047 * h, ground * 1.8)  # kerb
    _rect(img, 0, horizon + 0.047 * h, w, h, ground * 0.75)  # road
    for i in range(2):  # street lamps framing the shot
        lx = w * (0.12 + 0.76 * i) + rng.uniform(-0.04, 0.04) * w
        pole = _rgb(0.08, 0.08, 0.09) if night else _rgb(0.18, 0.19, 0.2)
        _rect(img, lx - 0.008 * w, horizon - 0.32 * h, lx + 0.008 * w, horizon + 0.04 * h, pole)
        _rect(img, lx - 0.03 * w, horizon - 0.335 * h, lx + 0.03 * w, horizon - 0.32 * h, pole)
        if night:
            _glow(img, lx, horizon - 0.32 * h, 0.22 * w, _rgb(0.6, 0.38, 0.14))
            _glow(img, lx, horizon + 0.1 * h, 0.12 * w, _rgb(0.25, 0.15, 0.06))  # wet pavement
    return img
