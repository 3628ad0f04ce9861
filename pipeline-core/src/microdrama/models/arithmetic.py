"""The arithmetic a network needs: multiply-adds per input pixel, counted from its convolutions."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def macs_per_input_pixel(network: nn.Module, multiple: int = 1, channels: int = 3) -> float:
    """Convolution multiply-adds per input pixel, counted on one small forward pass (other layers are negligible)."""
    total = 0

    def count(module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(module, nn.Conv2d)
        kh, kw = module.kernel_size
        per_output = module.in_channels // module.groups * kh * kw
        total += output.numel() * per_output

    hooks = [m.register_forward_hook(count) for m in network.modules() if isinstance(m, nn.Conv2d)]
    side = 16 * multiple
    try:
        with torch.inference_mode():
            network(torch.zeros(1, channels, side, side))
    finally:
        for hook in hooks:
            hook.remove()
    return total / (side * side)
