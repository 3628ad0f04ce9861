"""Picture measures against a clean source: luma jitter, SSIM, PSNR, spread (CIEDE2000 is finishing.measure's)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

LUMA = np.array([0.299, 0.587, 0.114])
# SSIM constants for 8-bit pictures (Wang et al. 2004).
SSIM_C1, SSIM_C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


def mean_luma(rgb: np.ndarray) -> float:
    return float(np.array(cv2.mean(rgb)[:3]) @ LUMA)


def jitter(out_luma: Sequence[float], clean_luma: Sequence[float]) -> float:
    """Frame-to-frame change of the mean-luma error: 0 when the picture only differs from the source by a constant."""
    error = np.asarray(out_luma) - np.asarray(clean_luma)
    return float(np.abs(np.diff(error)).mean()) if len(error) > 1 else 0.0


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two luma planes (Gaussian window, sigma 1.5)."""
    x, y = a.astype(np.float32), b.astype(np.float32)

    def blur(p: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.GaussianBlur(p, (11, 11), 1.5))

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    num = (2 * mx * my + SSIM_C1) * (2 * cov + SSIM_C2)
    den = (mx * mx + my * my + SSIM_C1) * (vx + vy + SSIM_C2)
    return float((num / den).mean())


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def variation(values: Sequence[float]) -> float:
    """Coefficient of variation (population std / mean)."""
    v = np.asarray(values, np.float64)
    return float(v.std() / v.mean()) if len(v) and v.mean() else 0.0
