"""Still pictures: an RGB frame as JPEG bytes (thumbnails, posters, contact sheets)."""

from __future__ import annotations

import cv2
import numpy as np


def jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """The uint8 RGB picture as a baseline JPEG at `quality` (0-100)."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encode failed for a {rgb.shape[1]}x{rgb.shape[0]} picture")
    return data.tobytes()
