"""Master: upscale to the template's size in BT.709 4:2:0, sharpen luma by the shot's matched amount, encode."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import av
import numpy as np

from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.stages.detail import sharpen_luma, upscale_yuv
from microdrama.finishing.template import EncodeSection, UpscaleSection
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
    amount: float


class MasterStage(StoreStage):
    name = "master"

    def __init__(self, store_factory: StoreFactory, upscale: UpscaleSection, encode: EncodeSection) -> None:
        super().__init__(store_factory)
        self.upscale_settings = upscale
        self.encode_settings = encode_settings(encode)

    def run(self, item: MasterItem) -> Rendered:
        s = self.upscale_settings

        def finish(frame: np.ndarray) -> av.VideoFrame:
            return sharpen_luma(upscale_yuv(frame, s.width, s.height, s.resampler), item.amount, s.sharpen_sigma)

        return self.render(
            item.src_key,
            item.dst_key,
            finish,
            partial(VideoWriter, settings=self.encode_settings),
            size=(s.width, s.height),
        )
