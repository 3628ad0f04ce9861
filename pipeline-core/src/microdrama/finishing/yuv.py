"""BT.709 limited-range YUV: the master's colour space, and frames of it the fused master pass works on.

The conversion from RGB is one 3x4 affine map (cv2.transform) at the shot's own size, several
times cheaper here than swscale's packed-RGB path; the master's resampler then only scales planes.
"""

from __future__ import annotations

import av
import cv2
import numpy as np

_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
# Rows Y, U, V of full-range RGB code values 0-255 -> limited-range code values (16-235, 16-240).
RGB_TO_YUV = np.array(
    [
        [219 / 255 * _KR, 219 / 255 * _KG, 219 / 255 * _KB, 16.0],
        [-112 / 255 * _KR / (1 - _KB), -112 / 255 * _KG / (1 - _KB), 112 / 255, 128.0],
        [112 / 255, -112 / 255 * _KG / (1 - _KR), -112 / 255 * _KB / (1 - _KR), 128.0],
    ]
)
YUV_TO_RGB = np.linalg.inv(np.vstack([RGB_TO_YUV, [0.0, 0.0, 0.0, 1.0]]))[:3]
BLACK, NEUTRAL = 16.0, 128.0  # the code values luma gains and chroma offsets are taken about


def yuv_means(rgb_means: np.ndarray) -> np.ndarray:
    """(n, 3) per-frame Y, U, V means from (n, 3) RGB means: the map is affine, so means map exactly."""
    means = np.asarray(rgb_means, np.float64)
    return np.asarray(means @ RGB_TO_YUV[:, :3].T + RGB_TO_YUV[:, 3])


def to_yuv420(rgb: np.ndarray) -> av.VideoFrame:
    """A uint8 RGB picture as a yuv420p frame of the same size, chroma averaged over 2x2 pixels.

    The chroma is subsampled here, not by swscale on the way to the master size: swscale's
    4:4:4 to 4:2:0 downscale biases chroma by up to a code value (a grey turns green).
    """
    height, width = rgb.shape[:2]
    packed = cv2.transform(rgb, RGB_TO_YUV.astype(np.float32))
    frame = av.VideoFrame(width, height, "yuv420p")
    plane(frame, 0)[:] = packed[..., 0]
    half = ((width + 1) // 2, (height + 1) // 2)
    for index in (1, 2):
        plane(frame, index)[:] = cv2.resize(packed[..., index], half, interpolation=cv2.INTER_AREA)
    return frame


def to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """A yuv420p frame back to uint8 RGB, chroma repeated over its 2x2 pixels (for measuring what it shows)."""
    y = plane(frame, 0)
    size = (y.shape[1], y.shape[0])
    chroma = [cv2.resize(plane(frame, k), size, interpolation=cv2.INTER_NEAREST) for k in (1, 2)]
    return np.asarray(cv2.transform(np.dstack([y, *chroma]), YUV_TO_RGB.astype(np.float32)))


def plane(frame: av.VideoFrame, index: int) -> np.ndarray:
    """Plane `index` of a planar frame as a writable (rows, columns) view, without the line padding."""
    p = frame.planes[index]
    return np.frombuffer(memoryview(p), np.uint8).reshape(p.height, p.line_size)[:, : p.width]
