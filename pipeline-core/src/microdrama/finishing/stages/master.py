"""Master: upscale to the template's size, sharpen by the shot's matched amount, encode (BT.709)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from microdrama.finishing.stages.base import Rendered, ShotItem, StoreFactory, StoreStage
from microdrama.finishing.stages.detail import sharpen, upscale
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
        return self.render(
            item.src_key,
            item.dst_key,
            lambda frame: sharpen(upscale(frame, s.width, s.height, s.resampler), item.amount, s.sharpen_sigma),
            partial(VideoWriter, settings=self.encode_settings),
            size=(s.width, s.height),
        )
