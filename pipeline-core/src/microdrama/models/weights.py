"""Load official Real-ESRGAN weight files: find the state dict, detect the architecture, load strictly.

A `.pth` as published is a pickled dict holding the state dict under `params_ema` (the
EMA weights, preferred) or `params`. The architecture, scale and sizes are read from the
tensors' names and shapes, the network is built from them, and every tensor must match:
a missing key, an unexpected key or a wrong shape is refused, naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from microdrama.errors import InputError
from microdrama.models.arch_compact import SRVGGNetCompact
from microdrama.models.arch_rrdb import RRDBNet
from microdrama.store.base import sha256_file

Arch = Literal["rrdb", "compact"]
StateDict = dict[str, torch.Tensor]
_PARAM_KEYS = ("params_ema", "params")
_SHOWN = 6  # how many offending keys a message lists


@dataclass(frozen=True)
class ArchSpec:
    """Everything needed to rebuild the network a state dict belongs to."""

    arch: Arch
    scale: int
    num_feat: int
    depth: int  # RRDB blocks or compact convs
    num_grow_ch: int = 0  # RRDB only
    channels: int = 3

    def build(self) -> nn.Module:
        if self.arch == "rrdb":
            return RRDBNet(self.channels, self.channels, self.scale, self.num_feat, self.depth, self.num_grow_ch)
        return SRVGGNetCompact(self.channels, self.channels, self.num_feat, self.depth, self.scale)

    @property
    def multiple(self) -> int:
        """Input height and width must be multiples of this (x2/x1 RRDB fold pixels into channels)."""
        return 4 // self.scale if self.arch == "rrdb" else 1

    def describe(self) -> str:
        if self.arch == "rrdb":
            fold = f", pixel-unshuffle input /{4 // self.scale}" if self.scale < 4 else ""
            return (
                f"RRDBNet x{self.scale} ({self.depth} blocks, {self.num_feat} features, grow {self.num_grow_ch}{fold})"
            )
        return f"SRVGGNetCompact x{self.scale} ({self.depth} convs, {self.num_feat} features, PReLU)"


@dataclass(frozen=True)
class LoadedWeights:
    spec: ArchSpec
    network: nn.Module  # eval mode, fp32, CPU
    sha256: str
    source_key: str  # params_ema or params
    path: Path


def _shape(state: StateDict, key: str, file: str) -> tuple[int, ...]:
    if key not in state:
        raise InputError(f"missing key {key!r}: not a Real-ESRGAN RRDBNet or SRVGGNetCompact state dict", file=file)
    return tuple(state[key].shape)


def detect(state: StateDict, file: str = "weights") -> ArchSpec:
    """The architecture a state dict was saved from, read from its key names and tensor shapes."""
    if "conv_first.weight" in state:
        feat, cin = _shape(state, "conv_first.weight", file)[:2]
        out = _shape(state, "conv_last.weight", file)[0]
        fold2 = cin // out
        scale = {1: 4, 4: 2, 16: 1}.get(fold2) if cin % out == 0 else None
        if scale is None:
            raise InputError(f"conv_first takes {cin} channels for {out} output channels: not 1x, 4x or 16x", file=file)
        blocks = {int(m.group(1)) for k in state if (m := re.match(r"body\.(\d+)\.rdb", k))}
        grow = _shape(state, "body.0.rdb1.conv1.weight", file)[0]
        return ArchSpec("rrdb", scale, feat, max(blocks) + 1, grow, out)
    if "body.0.weight" in state:
        feat, cin = _shape(state, "body.0.weight", file)[:2]
        if "body.1.weight" not in state:
            raise InputError("body.1 has no PReLU weight: only PReLU SRVGGNetCompact models are supported", file=file)
        last = max(int(m.group(1)) for k in state if (m := re.match(r"body\.(\d+)\.weight$", k)))
        out = _shape(state, f"body.{last}.weight", file)[0]
        scale = round((out / cin) ** 0.5)
        if scale * scale * cin != out or last % 2:
            raise InputError(f"body.{last} has {out} output channels: not channels x scale^2", file=file)
        return ArchSpec("compact", scale, feat, last // 2 - 1, 0, cin)
    raise InputError(
        f"neither conv_first.weight (RRDBNet) nor body.0.weight (SRVGGNetCompact) present; keys start "
        f"{sorted(state)[:_SHOWN]}",
        file=file,
    )


def _listing(keys: list[str]) -> str:
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return ", ".join(keys[:_SHOWN]) + more


def check_state(network: nn.Module, state: StateDict, file: str) -> None:
    """Strict matching, with every problem named: missing keys, unexpected keys, wrong shapes."""
    expected = network.state_dict()
    problems = []
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if wrong:
        problems.append(f"wrong shapes: {_listing(wrong)}")
    if problems:
        raise InputError("; ".join(problems), file=file)


def read_state(path: Path) -> tuple[StateDict, str]:
    """The state dict of an official weight file and the key it was under (params_ema preferred)."""
    try:
        # weights_only: unpickling is restricted to tensors and plain containers, so a file cannot run code.
        doc = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise InputError("weight file not found", file=str(path)) from exc
    except Exception as exc:  # torch raises many types for a file that is not a checkpoint
        raise InputError(f"not a readable PyTorch weight file ({type(exc).__name__}: {exc})", file=str(path)) from exc
    if not isinstance(doc, dict):
        raise InputError(f"expected a dict with 'params_ema' or 'params', found {type(doc).__name__}", file=str(path))
    for key in _PARAM_KEYS:
        state = doc.get(key)
        if isinstance(state, dict):
            if not all(isinstance(v, torch.Tensor) for v in state.values()):
                raise InputError(f"{key!r} holds values that are not tensors", file=str(path))
            return state, key
    raise InputError(
        f"no 'params_ema' or 'params' state dict; top-level keys: {_listing(sorted(map(str, doc)))}", file=str(path)
    )


def load_weights(path: Path | str, sha256: str | None = None) -> LoadedWeights:
    """Read, check and load a weight file; with `sha256`, a file with any other content is refused first."""
    p = Path(path)
    if not p.is_file():
        raise InputError("weight file not found", file=str(p))
    digest = sha256_file(p)
    if sha256 is not None and digest != sha256:
        raise InputError(f"sha256 mismatch: file is {digest}, expected {sha256}", file=str(p))
    state, key = read_state(p)
    spec = detect(state, str(p))
    network = spec.build()
    check_state(network, state, str(p))
    network.load_state_dict(state, strict=True)
    network.eval()
    return LoadedWeights(spec=spec, network=network, sha256=digest, source_key=key, path=p)
