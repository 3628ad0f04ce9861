"""Every number a QC verdict depends on, in one frozen place."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class QcThresholds:
    # Luma figures are 8-bit code values (0-255) of BT.709 luma on full-range RGB.
    black_luma_max: float = 16.0
    black_luma_std_max: float = 6.0
    # Mean absolute luma difference to the previous frame below which a frame counts as repeated.
    frozen_diff_max: float = 0.2
    max_frozen_frames: int = 12
    max_black_frames: int = 0
    # Median |second difference| of per-frame mean luma inside a shot.
    flicker_max: float = 3.0
    # Coefficient of variation of per-shot sharpness (variance of Laplacian).
    sharpness_cv_max: float = 0.6
    # A shot this much softer than the episode's median shot is a failed take, whatever the spread.
    sharpness_min_ratio: float = 0.25
    # Standard deviation of per-shot mean a* and b* across shots, CIELAB units.
    colour_std_max: float = 5.0
    identity_min: float = 0.6
    # The opening seconds decide whether a viewer keeps swiping: held to stricter limits.
    opening_s: float = 3.0
    opening_flicker_max: float = 1.5
    opening_identity_min: float = 0.7
    loudness_tolerance_lu: float = 1.0
    max_cps: float = 20.0
    max_line_chars: int = 42
    # Perceptual rules warn once a value passes this fraction of its limit.
    warn_fraction: float = 0.8

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Frozen, so sharing one instance as the default argument is safe.
DEFAULT_THRESHOLDS = QcThresholds()
