"""Weight files in the official Real-ESRGAN format, written from the published layout (not from our modules).

Key names and tensor shapes follow the released checkpoints; values are random (seeded),
scaled like a trained network's so outputs stay in a sensible range.
"""

from __future__ import annotations

from pathlib import Path

import torch

Layout = list[tuple[str, tuple[int, ...]]]


def _conv(name: str, cout: int, cin: int) -> Layout:
    return [(f"{name}.weight", (cout, cin, 3, 3)), (f"{name}.bias", (cout,))]


def rrdb_layout(scale: int, blocks: int = 23, feat: int = 64, grow: int = 32) -> Layout:
    fold = {4: 1, 2: 2, 1: 4}[scale]
    layout = _conv("conv_first", feat, 3 * fold * fold)
    for b in range(blocks):
        for r in range(1, 4):
            for k in range(1, 6):
                layout += _conv(f"body.{b}.rdb{r}.conv{k}", feat if k == 5 else grow, feat + (k - 1) * grow)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        layout += _conv(name, feat, feat)
    return layout + _conv("conv_last", 3, feat)


def compact_layout(convs: int, feat: int = 64, scale: int = 4) -> Layout:
    layout = [*_conv("body.0", feat, 3), ("body.1.weight", (feat,))]
    for k in range(1, convs + 1):
        layout += [*_conv(f"body.{2 * k}", feat, feat), (f"body.{2 * k + 1}.weight", (feat,))]
    return layout + _conv(f"body.{2 * convs + 2}", 3 * scale * scale, feat)


def random_state(layout: Layout, seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in layout:
        if len(shape) == 4:
            fan_in = shape[1] * 9
            state[name] = torch.randn(shape, generator=gen) * (0.5 / fan_in) ** 0.5
        elif name.endswith("bias"):
            state[name] = torch.randn(shape, generator=gen) * 0.01
        else:  # PReLU slopes
            state[name] = torch.full(shape, 0.25)
    return state


def save(path: Path, state: dict[str, torch.Tensor], key: str) -> Path:
    """As the releases are saved: a dict with the state dict under 'params_ema' or 'params'."""
    torch.save({key: state}, path)
    return path


# The four published models: (layout, key the release uses).
OFFICIAL = {
    "RealESRGAN_x4plus": (lambda: rrdb_layout(4), "params_ema"),
    "RealESRGAN_x2plus": (lambda: rrdb_layout(2), "params_ema"),
    "realesr-general-x4v3": (lambda: compact_layout(32), "params"),
    "realesr-animevideov3": (lambda: compact_layout(16), "params"),
}
