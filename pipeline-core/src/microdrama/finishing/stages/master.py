"""Master: the fused per-pixel pass that applies every locked decision to a shot in one decode -> encode loop.

Per frame, at the shot's own size: the grade (gains or Lab map, decided across the episode),
the conversion to BT.709 YUV, the deflicker tables (from the shot's locked flicker curve), luma
sharpened by the shot's matched amount (stages.detail says why before the upscale); then swscale
resamples the planes to the master size in 4:2:0 and the frame is encoded. Nothing is written in
between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from microdrama.finishing.measure import ShotStats
from microdrama.finishing.stages.base import EncodedFrame, Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.stages.deflicker import FlickerCurve, deflicker, shot_curve
from microdrama.finishing.stages.detail import Resampler, sharpen_luma
from microdrama.finishing.stages.grade import GradeDecision
from microdrama.finishing.template import DeflickerSection, EncodeSection, UpscaleSection
from microdrama.finishing.yuv import to_rgb, to_yuv420
from microdrama.media.video import EncodeSettings, VideoWriter

SUFFIX = ".mp4"
_PROFILES = {("libx264", "yuv420p"): "high", ("libx264", "yuv420p10le"): "high10", ("libx265", "yuv420p"): "main"}


def encode_settings(section: EncodeSection) -> EncodeSettings:
    return EncodeSettings(
        codec=section.codec,
        crf=section.crf,
        preset=section.preset,
        pix_fmt=section.pix_fmt,
        profile=_PROFILES[(section.codec, section.pix_fmt)],
    )


@dataclass(frozen=True)
class MasterItem(ShotItem):
    dst_key: str
    stats: ShotStats  # of the picture mastered: its flicker curve comes from them
    deflicker: DeflickerSection | None  # None: deflicker is off
    grade: GradeDecision
    amount: float  # unsharp amount matched across the episode


def finisher(
    curve: FlickerCurve | None, grade: GradeDecision, upscale: UpscaleSection, amount: float
) -> Callable[[np.ndarray], EncodedFrame]:
    """The per-frame pass for one shot; call it on the shot's frames in order."""
    index = 0
    resample = Resampler(upscale.width, upscale.height, upscale.resampler)

    def finish(rgb: np.ndarray) -> EncodedFrame:
        nonlocal index
        small = to_yuv420(grade.apply(rgb))
        if curve is not None:
            deflicker(small, curve.tables(index))
        index += 1
        sharpen_luma(small, amount, upscale.sharpen_sigma)
        return EncodedFrame(resample(small), to_rgb(small))

    return finish


class MasterStage(StoreStage):
    name = "master"

    def __init__(self, store_factory: StoreFactory, upscale: UpscaleSection, encode: EncodeSection) -> None:
        super().__init__(store_factory)
        self.upscale_settings = upscale
        self.encode_settings = encode_settings(encode)

    def run(self, item: MasterItem) -> Rendered:
        s = self.upscale_settings
        curve = None if item.deflicker is None else shot_curve(item.stats, item.deflicker)
        return self.render(
            item.src_key,
            item.dst_key,
            finisher(curve, item.grade, s, item.amount),
            partial(VideoWriter, settings=self.encode_settings),
            size=(s.width, s.height),
        )
