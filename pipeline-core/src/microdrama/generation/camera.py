"""Camera moves as a view rectangle gliding over a world larger than the frame."""

from __future__ import annotations

import numpy as np

from microdrama.domain.shots import CameraMove

# How much larger than the frame the world is drawn: room for pans, tilts and zooms.
MARGIN = 1.12


def view_matrix(move: CameraMove, progress: float, world: tuple[int, int], out: tuple[int, int]) -> np.ndarray:
    """The 2x3 matrix mapping output pixels to world pixels (for cv2.WARP_INVERSE_MAP).

    progress runs 0..1 over the shot and is eased (smoothstep), so moves start and stop gently.
    """
    (ww, wh), (w, h) = world, out
    e = progress * progress * (3.0 - 2.0 * progress)
    widest = min(ww / w, wh / h)
    scale = {"push_in": widest + (1.0 - widest) * e, "pull_out": 1.0 + (widest - 1.0) * e}.get(move, 1.0)
    free_x, free_y = ww - w * scale, wh - h * scale
    x0 = {"pan_left": free_x * (1.0 - e), "pan_right": free_x * e}.get(move, free_x / 2)
    y0 = free_y * (1.0 - e) if move == "tilt_up" else free_y / 2
    return np.array([[scale, 0.0, x0], [0.0, scale, y0]], np.float64)
