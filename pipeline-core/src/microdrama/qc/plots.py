"""Small inline-SVG charts for the QC page: a line over time, bars per shot, a scatter of shots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

_W, _H = 960, 280  # the full-width time plot; per-shot plots sit two to a row
_HALF_W, _HALF_H = 520, 340
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 16, 40
_INK, _GRID, _MUTED = "#0f172a", "#e2e8f0", "#64748b"
_BLUE, _RED, _AMBER = "#2563eb", "#dc2626", "#d97706"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^n steps) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 0.01 or v == 0 else f"{v:.1e}"


@dataclass(frozen=True)
class _Axes:
    """Maps data coordinates into the plot box of a width x height SVG."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    width: int = _W
    height: int = _H

    def x(self, v: float) -> float:
        return _LEFT + (v - self.x_lo) / ((self.x_hi - self.x_lo) or 1.0) * (self.width - _LEFT - _RIGHT)

    def y(self, v: float) -> float:
        return (
            self.height - _BOTTOM - (v - self.y_lo) / ((self.y_hi - self.y_lo) or 1.0) * (self.height - _TOP - _BOTTOM)
        )

    def grid(self, y_ticks: Sequence[float], x_ticks: Sequence[float], x_label: str, y_label: str) -> list[str]:
        out = []
        for t in y_ticks:
            y = self.y(t)
            out.append(f'<line x1="{_LEFT}" x2="{self.width - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{_GRID}"/>')
            out.append(f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
        for t in x_ticks:
            x = self.x(t)
            out.append(f'<text x="{x:.1f}" y="{self.height - _BOTTOM + 18}" text-anchor="middle">{_fmt(t)}</text>')
        base = self.height - _BOTTOM
        out.append(f'<line x1="{_LEFT}" x2="{self.width - _RIGHT}" y1="{base}" y2="{base}" stroke="{_MUTED}"/>')
        centre = (_LEFT + self.width - _RIGHT) / 2
        out.append(f'<text x="{centre}" y="{self.height - 4}" text-anchor="middle">{x_label}</text>')
        mid = (_TOP + base) / 2
        out.append(f'<text transform="translate(14 {mid}) rotate(-90)" text-anchor="middle">{y_label}</text>')
        return out


def _svg(body: list[str], title: str, width: int = _W, height: int = _H) -> str:
    return (
        f'<svg class="plot" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11" fill="{_INK}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def line_plot(
    values: Sequence[float],
    fps: float,
    boundaries: Sequence[tuple[int, str]],
    *,
    shade_until_s: float = 0.0,
    marks: Sequence[tuple[int, int]] = (),
    title: str,
    y_label: str,
) -> str:
    """A per-frame series over time, with shot boundaries, an opening window and marked frame runs."""
    n = max(1, len(values))
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    ticks = nice_ticks(min(finite), max(finite))
    ax = _Axes(0.0, n / fps, ticks[0], ticks[-1])
    body = []
    if shade_until_s > 0:
        w = ax.x(min(shade_until_s, n / fps)) - _LEFT
        body.append(f'<rect x="{_LEFT}" y="{_TOP}" width="{w:.1f}" height="{_H - _TOP - _BOTTOM}" fill="#eff6ff"/>')
        body.append(f'<text x="{_LEFT + 4}" y="{_TOP + 12}" fill="{_BLUE}">opening</text>')
    for start, length in marks:
        x0, x1 = ax.x(start / fps), ax.x((start + length) / fps)
        body.append(
            f'<rect x="{x0:.1f}" y="{_TOP}" width="{max(2.0, x1 - x0):.1f}" height="{_H - _TOP - _BOTTOM}" '
            f'fill="{_RED}" opacity="0.18"/>'
        )
    body += ax.grid(ticks, nice_ticks(0, n / fps, 10), "seconds", y_label)
    last_label = -math.inf
    for frame, label in boundaries:
        x = ax.x(frame / fps)
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{_H - _BOTTOM}" stroke="#94a3b8" stroke-dasharray="3 3"/>'
        )
        if x - last_label >= 26:  # skip labels that would overlap the previous one
            body.append(
                f'<text x="{x + 3:.1f}" y="{_H - _BOTTOM - 4}" fill="{_MUTED}" font-size="9">{escape(label)}</text>'
            )
            last_label = x
    points = " ".join(f"{ax.x((i + 0.5) / fps):.1f},{ax.y(v):.1f}" for i, v in enumerate(values) if math.isfinite(v))
    body.append(f'<polyline points="{points}" fill="none" stroke="{_BLUE}" stroke-width="1.5"/>')
    return _svg(body, title)


def bar_plot(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    highlight: dict[str, str],
    reference: float | None,
    title: str,
    y_label: str,
) -> str:
    """One bar per shot; highlighted shots take their verdict's colour; a dashed line marks the reference."""
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    ticks = nice_ticks(0.0, max(finite))
    ax = _Axes(0.0, float(len(values)), 0.0, ticks[-1], _HALF_W, _HALF_H)
    body = ax.grid(ticks, [], "shot", y_label)
    base = _HALF_H - _BOTTOM
    slot = (ax.x(1) - ax.x(0)) if values else 0.0
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        colour = {"fail": _RED, "warn": _AMBER}.get(highlight.get(label, ""), _BLUE)
        top = ax.y(v if math.isfinite(v) else 0.0)
        x = ax.x(i) + slot * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{base - top:.1f}" '
            f'fill="{colour}" rx="2"><title>{escape(label)}: {v:.1f}</title></rect>'
        )
        # Label every shot while they fit, then every n-th.
        if i % max(1, len(values) // 16) == 0:
            cx = ax.x(i + 0.5)
            body.append(f'<text x="{cx:.1f}" y="{base + 14}" text-anchor="middle" font-size="9">{escape(label)}</text>')
    if reference is not None and math.isfinite(reference):
        y = ax.y(reference)
        body.append(
            f'<line x1="{_LEFT}" x2="{_HALF_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{_INK}" stroke-dasharray="6 4"/>'
        )
        body.append(f'<text x="{_HALF_W - _RIGHT - 4}" y="{y - 4:.1f}" text-anchor="end">median {reference:.0f}</text>')
    return _svg(body, title, _HALF_W, _HALF_H)


def scatter_plot(
    labels: Sequence[str],
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    highlight: dict[str, str],
    title: str,
    x_label: str,
    y_label: str,
) -> str:
    """Shots as labelled points, with the origin cross-hair (neutral grey in a*/b*)."""
    pts = [(lab, x, y) for lab, x, y in zip(labels, xs, ys, strict=True) if math.isfinite(x) and math.isfinite(y)]
    span = max([4.0] + [abs(v) for _, x, y in pts for v in (x, y)]) * 1.15
    ticks = nice_ticks(-span, span, 8)
    ax = _Axes(ticks[0], ticks[-1], ticks[0], ticks[-1], _HALF_W, _HALF_H)
    body = ax.grid(ticks, ticks, x_label, y_label)
    body.append(f'<line x1="{ax.x(0):.1f}" x2="{ax.x(0):.1f}" y1="{_TOP}" y2="{_HALF_H - _BOTTOM}" stroke="{_MUTED}"/>')
    for label, x, y in pts:
        colour = {"fail": _RED, "warn": _AMBER}.get(highlight.get(label, ""), _BLUE)
        body.append(
            f'<circle cx="{ax.x(x):.1f}" cy="{ax.y(y):.1f}" r="5" fill="{colour}" fill-opacity="0.8">'
            f"<title>{escape(label)}: a* {x:.2f}, b* {y:.2f}</title></circle>"
        )
        body.append(f'<text x="{ax.x(x) + 7:.1f}" y="{ax.y(y) + 4:.1f}" font-size="10">{escape(label)}</text>')
    return _svg(body, title, _HALF_W, _HALF_H)
