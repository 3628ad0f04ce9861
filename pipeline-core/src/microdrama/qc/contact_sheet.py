"""Contact sheet: one labelled thumbnail per shot, outliers outlined in their verdict's colour."""

from __future__ import annotations

import base64
import math
from html import escape
from typing import TYPE_CHECKING

import cv2
import numpy as np

from microdrama.media.image import jpeg

if TYPE_CHECKING:
    from microdrama.qc.report import QcReport

THUMB_LONG_SIDE = 320
_JPEG_QUALITY = 85


def encode_thumbnail(rgb: np.ndarray) -> bytes:
    """A JPEG of the frame scaled to THUMB_LONG_SIDE on its long side (never upscaled)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, THUMB_LONG_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else rgb
    return jpeg(small, _JPEG_QUALITY)


def format_value(v: float | None, fmt: str = ".2f") -> str:
    """A number for the page; missing or non-finite values (a shot with no frames) show as a dash."""
    return "–" if v is None or not math.isfinite(v) else format(v, fmt)


def contact_sheet_html(report: QcReport) -> str:
    flags, verdicts = report.flags(), report.shot_verdicts()
    cards = []
    for shot in report.shots:
        jpeg = report.thumbnails.get(shot.shot_id)
        img = (
            f'<img src="data:image/jpeg;base64,{base64.b64encode(jpeg).decode("ascii")}" alt="{escape(shot.shot_id)}">'
            if jpeg
            else '<div class="noimg">no frame</div>'
        )
        scores = report.identity.get(shot.shot_id, {})
        identity = format_value(min(scores.values())) if scores else "–"
        end_s = shot.start_s + shot.frame_count / report.stream.fps
        chips = "".join(f'<span class="chip {r.verdict}">{escape(r.id)}</span>' for r in flags[shot.shot_id])
        chip_row = f'<div class="chips">{chips}</div>' if chips else ""
        cards.append(
            f'<figure class="shot {verdicts[shot.shot_id]}" id="shot-{escape(shot.shot_id)}">{img}<figcaption>'
            f'<div class="cap-head"><b>{escape(shot.shot_id)}</b><span>{shot.start_s:.2f}–{end_s:.2f} s</span></div>'
            f"<dl><dt>luma</dt><dd>{format_value(shot.mean_luma, '.1f')}</dd>"
            f"<dt>sharp</dt><dd>{format_value(shot.sharpness, '.0f')}</dd>"
            f"<dt>a*/b*</dt><dd>{format_value(shot.mean_a, '+.1f')}/{format_value(shot.mean_b, '+.1f')}</dd>"
            f"<dt>flicker</dt><dd>{format_value(shot.flicker, '.2f')}</dd>"
            f"<dt>identity</dt><dd>{identity}</dd></dl>"
            f"{chip_row}</figcaption></figure>"
        )
    return f'<div class="sheet">{"".join(cards)}</div>'
