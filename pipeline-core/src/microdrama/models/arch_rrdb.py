"""RRDBNet: the ESRGAN generator behind RealESRGAN_x4plus and RealESRGAN_x2plus.

Parameter names follow the official checkpoints exactly (conv_first, body.N.rdbK.convM,
conv_body, conv_up1/2, conv_hr, conv_last), so their state dicts load with strict matching.
x2 and x1 models fold the input into channels (pixel unshuffle) and still upsample 4x.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

_RESIDUAL = 0.2  # ESRGAN's residual scaling, fixed by the trained weights


class DenseBlock(nn.Module):
    """Five 3x3 convs, each seeing the block input and every earlier output."""

    def __init__(self, num_feat: int, num_grow_ch: int) -> None:
        super().__init__()
        for i in range(1, 6):
            cin = num_feat + (i - 1) * num_grow_ch
            cout = num_feat if i == 5 else num_grow_ch
            self.add_module(f"conv{i}", nn.Conv2d(cin, cout, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        convs: list[nn.Module] = [getattr(self, f"conv{i}") for i in range(1, 6)]
        feats = [x]
        for conv in convs[:4]:
            feats.append(F.leaky_relu(conv(torch.cat(feats, 1)), 0.2))
        return convs[4](torch.cat(feats, 1)) * _RESIDUAL + x


class RRDB(nn.Module):
    """Residual in residual: three dense blocks with a scaled skip around them."""

    def __init__(self, num_feat: int, num_grow_ch: int) -> None:
        super().__init__()
        self.rdb1 = DenseBlock(num_feat, num_grow_ch)
        self.rdb2 = DenseBlock(num_feat, num_grow_ch)
        self.rdb3 = DenseBlock(num_feat, num_grow_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rdb3(self.rdb2(self.rdb1(x))) * _RESIDUAL + x


class RRDBNet(nn.Module):
    def __init__(
        self,
        num_in_ch: int = 3,
        num_out_ch: int = 3,
        scale: int = 4,
        num_feat: int = 64,
        num_block: int = 23,
        num_grow_ch: int = 32,
    ) -> None:
        super().__init__()
        if scale not in (1, 2, 4):
            raise ValueError(f"RRDBNet scales by 1, 2 or 4, not {scale}")
        self.scale = scale
        self.fold = 4 // scale  # pixel-unshuffle factor: the body always upsamples 4x
        self.conv_first = nn.Conv2d(num_in_ch * self.fold**2, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*(RRDB(num_feat, num_grow_ch) for _ in range(num_block)))
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = F.pixel_unshuffle(x, self.fold) if self.fold > 1 else x
        feat = self.conv_first(feat)
        feat = feat + self.conv_body(self.body(feat))
        feat = F.leaky_relu(self.conv_up1(F.interpolate(feat, scale_factor=2.0, mode="nearest")), 0.2)
        feat = F.leaky_relu(self.conv_up2(F.interpolate(feat, scale_factor=2.0, mode="nearest")), 0.2)
        return self.conv_last(F.leaky_relu(self.conv_hr(feat), 0.2))
