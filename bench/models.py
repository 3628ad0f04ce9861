"""`make bench-models`: frames per second of each model x backend x input size, against the machine's peak.

Weights are the official files when `microdrama models fetch` put them in the models folder,
else random weights of the same architecture in the official format (speed does not depend
on the values). Each cell reports the arithmetic a full frame needs (2 FLOP per
multiply-add, counted from the convolutions) and the fraction of the machine's peak reached.
On CPU a full frame of the big models takes minutes, so a cell whose frame needs more than
--max-tflop is timed on a tile (a 1/4^k part of the frame) and scaled up by its pixel count
(convolutions cost the same per pixel); the "timed on" column says so.

    .venv/bin/python -m bench.models [--frames 2] [--max-tflop 0.4] [--doc docs/benchmarks-models.md]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bench.report import Table, machine
from microdrama.finishing.stages.detail import sharpen, upscale
from microdrama.finishing.template import UpscaleSection
from microdrama.models.arithmetic import macs_per_input_pixel
from microdrama.models.registry import KNOWN, models_dir
from microdrama.models.upscaler import BackendName, UpscaleOptions, Upscaler, nvidia_gpu
from microdrama.models.weights import ArchSpec, LoadedWeights, load_weights
from microdrama.runtime.stages import usable_cpus
from microdrama.store.base import sha256_file

REPO = Path(__file__).resolve().parents[1]
SIZES = ((540, 960), (1080, 1920))  # input width x height (9:16)
ARCHS = {
    "RealESRGAN_x4plus": (ArchSpec("rrdb", 4, 64, 23, 32), "params_ema"),
    "RealESRGAN_x2plus": (ArchSpec("rrdb", 2, 64, 23, 32), "params_ema"),
    "realesr-general-x4v3": (ArchSpec("compact", 4, 64, 32), "params"),
    "realesr-animevideov3": (ArchSpec("compact", 4, 64, 16), "params"),
}
# Dense fp16 tensor-core and fp32 peaks (TFLOP/s) of GPUs this runs on, from the vendors' data sheets.
GPU_PEAKS = {
    "H200": (989.0, 67.0),
    "H100": (989.0, 67.0),
    "A100": (312.0, 19.5),
    "L40S": (362.0, 91.6),
    "L4": (121.0, 30.3),
}
# fp32 FMAs per cycle per core: two 256-bit FMA pipes (AMD Zen 2-4, which runs AVX-512 as two halves;
# most Intel cores without a second AVX-512 unit); `--fma-per-cycle 32` for two full AVX-512 units.
CPU_FMA_PER_CYCLE = 16
SECTION = "# Learned upscalers benchmark"
BEGIN, END = "<!-- bench-models begin -->", "<!-- bench-models end -->"


@dataclass(frozen=True)
class Cell:
    model: str
    backend: str
    precision: str
    size: tuple[int, int]
    scale: int
    timed_on: tuple[int, int]
    fps: float
    tflop_frame: float
    peak_tflops: float

    def row(self) -> tuple[str, ...]:
        w, h = self.size
        timed = "frame" if self.timed_on == self.size else f"{self.timed_on[0]}x{self.timed_on[1]} tile"
        achieved = self.fps * self.tflop_frame
        return (
            self.model,
            f"{self.backend} {self.precision}",
            f"{w}x{h} -> {w * self.scale}x{h * self.scale}",
            timed,
            f"{self.fps:.3g}",
            f"{self.tflop_frame:.3g}",
            f"{achieved:.3g}",
            f"{100 * achieved / self.peak_tflops:.1f}%",
        )


def cpu_peak(fma_per_cycle: int) -> tuple[float, str]:
    """fp32 TFLOP/s of the cores this process may use: cores x FMAs per cycle x 2 x clock.

    The clock is the highest the kernel reports: cpufreq's maximum where exposed, else /proc/cpuinfo's
    (in a VM usually the nominal clock, below boost: then the fraction of peak can pass 100%).
    """
    limit = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    if limit.is_file():
        mhz, source = int(limit.read_text()) / 1000, "cpufreq maximum"
    else:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        mhz, source = max(float(m) for m in re.findall(r"cpu MHz\s*:\s*([\d.]+)", cpuinfo)), "/proc/cpuinfo, nominal"
    cores = usable_cpus()
    peak = cores * fma_per_cycle * 2 * mhz * 1e6 / 1e12
    clock = f"{mhz / 1000:.2f} GHz ({source})"
    return peak, f"{cores} cores x {fma_per_cycle} fp32 FMA/cycle x 2 FLOP x {clock} = {peak:.2f} TFLOP/s"


def gpu_peak(half: bool) -> tuple[float, str]:
    name = torch.cuda.get_device_name(0)
    for key, (fp16, fp32) in GPU_PEAKS.items():
        if key in name:
            peak = fp16 if half else fp32
            return peak, f"{name}: {peak} TFLOP/s dense {'fp16 tensor' if half else 'fp32'} (data sheet)"
    raise SystemExit(f"no peak known for {name}; add it to GPU_PEAKS")


def weights(name: str, folder: Path) -> tuple[LoadedWeights, str]:
    entry = next(m for m in KNOWN if m.name == name)
    official = models_dir() / entry.filename
    if official.is_file() and sha256_file(official) == entry.sha256:
        return load_weights(official), "official"
    spec, key = ARCHS[name]
    torch.manual_seed(0)
    path = folder / f"{name}.pth"
    torch.save({key: spec.build().state_dict()}, path)
    return load_weights(path), "random"


def timed_size(size: tuple[int, int], macs_per_px: float, max_tflop: float, multiple: int) -> tuple[int, int]:
    """The whole frame, or the largest 1/4^k part of it whose arithmetic is within max_tflop."""
    w, h = size
    while 2 * macs_per_px * w * h / 1e12 > max_tflop and w > 32 * multiple:
        w, h = w // 2 // multiple * multiple, h // 2 // multiple * multiple
    return w, h


def frame_fps(upscaler: Upscaler, timed: tuple[int, int], size: tuple[int, int], frames: int) -> float:
    w, h = timed
    batch = np.random.default_rng(0).integers(0, 256, (1, h, w, 3), dtype=np.uint8)
    upscaler.backend.upscale(batch)  # warm-up: allocations, kernel selection, engine load
    started = time.perf_counter()
    for _ in range(frames):
        upscaler.backend.upscale(batch)
    per_part = (time.perf_counter() - started) / frames
    return 1.0 / (per_part * (size[0] * size[1]) / (w * h))


def classical_fps(frames: int) -> float:
    """The classical master stage's work per frame, at the default template's settings: unsharp at 540x960,
    then Lanczos to 2160x3840."""
    frame = np.random.default_rng(1).integers(0, 256, (960, 540, 3), dtype=np.uint8)
    s = UpscaleSection()
    started = time.perf_counter()
    for _ in range(frames):
        upscale(sharpen(frame, s.sharpen, s.sharpen_sigma), s.width, s.height, s.resampler)
    return frames / (time.perf_counter() - started)


def ort_version() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)


def backends(gpu: bool) -> list[tuple[BackendName, bool]]:
    if gpu:
        return [("tensorrt", True), ("torch", True), ("onnxruntime", False)]
    return [("onnxruntime", False), ("torch", False)]


def run(args: argparse.Namespace) -> tuple[list[Cell], float, str]:
    gpu = nvidia_gpu()
    cells = []
    with tempfile.TemporaryDirectory(prefix="md-bench-models-") as tmp:
        folder = Path(tmp)
        for name in args.models:
            loaded, origin = weights(name, folder)
            macs = macs_per_input_pixel(loaded.network, loaded.spec.multiple)
            for backend, half in backends(gpu):
                peak, _ = gpu_peak(half) if gpu else cpu_peak(args.fma_per_cycle)
                upscaler = Upscaler(loaded, UpscaleOptions(backend=backend, half=half, cache_dir=folder))
                for size in SIZES:
                    budget = float("inf") if gpu else args.max_tflop
                    timed = timed_size(size, macs, budget, loaded.spec.multiple)
                    frames = args.frames if size == SIZES[0] else max(1, args.frames // 2)
                    fps = frame_fps(upscaler, timed, size, frames)
                    precision = "fp16" if half else "fp32"
                    tflop = 2 * macs * size[0] * size[1] / 1e12
                    cell = Cell(
                        f"{name} ({origin})", backend, precision, size, loaded.spec.scale, timed, fps, tflop, peak
                    )
                    sys.stdout.write("  ".join(cell.row()) + "\n")
                    sys.stdout.flush()
                    cells.append(cell)
    _, peak_text = gpu_peak(True) if gpu else cpu_peak(args.fma_per_cycle)
    return cells, classical_fps(args.frames * 2), peak_text


HEADER = ("model (weights)", "backend", "input -> output", "timed on", "fps", "TFLOP/frame", "TFLOP/s", "of peak")


def document(cells: list[Cell], classical: float, peak: str, wall: float) -> str:
    note = "One row per model x backend x input size; weights: official files when fetched, else random (same speed)."
    table = Table("Frames per second", note, HEADER, [c.row() for c in cells])
    compact = [c for c in cells if c.backend == "onnxruntime" and c.size == SIZES[0] and "realesr" in c.model]
    side = ", ".join(f"{c.model.split(' ')[0]} {c.fps:.3g} fps" for c in compact)
    lines = [
        BEGIN,
        SECTION,
        "",
        "Produced by `make bench-models` (`.venv/bin/python -m bench.models`); every number below comes from one run.",
        "",
        f"**Machine:** {machine()}; torch {torch.__version__}, ONNX Runtime {ort_version()}. "
        f"Whole run: {wall / 60:.1f} min. Peak: {peak}. Load average over the last "
        f"5 minutes of the run: {os.getloadavg()[1]:.1f} (other jobs shared the cores; fps are lower bounds).",
        "",
        "- fps is for whole frames; a cell timed on a tile is scaled by pixel count (convolution cost is per pixel).",
        "- TFLOP/frame = 2 x the convolutions' multiply-adds for one input frame; TFLOP/s = fps x TFLOP/frame.",
        *(
            ["- The clock in a VM is the nominal one; cores boost above it, so over 100% of peak means boost."]
            if "nominal" in peak
            else []
        ),
        f"- On CPU, 540x960 -> 2160x3840: classical (unsharp, then Lanczos up: the master stage) {classical:.3g} fps; "
        f"ONNX Runtime {side}.",
        "",
        table.markdown(),
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(doc: Path, section: str) -> None:
    """Replace this benchmark's section in the document (or append it), leaving the rest as it is."""
    text = doc.read_text(encoding="utf-8") if doc.is_file() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.models", description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=2, help="timed runs per cell at 540x960 (half at 1080x1920)")
    parser.add_argument("--max-tflop", type=float, default=0.4, help="CPU: time a tile when a frame needs more")
    parser.add_argument("--fma-per-cycle", type=int, default=CPU_FMA_PER_CYCLE, help="CPU peak: fp32 FMAs per cycle")
    parser.add_argument("--models", nargs="+", default=list(ARCHS), choices=list(ARCHS))
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks-models.md", help="section written here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cells, classical, peak = run(args)
    section = document(cells, classical, peak, time.perf_counter() - started)
    sys.stdout.write(section)
    write_section(args.doc, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
