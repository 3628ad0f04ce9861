"""One episode through both pipelines, every output measured against its clean source."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import TypeVar

import av
import cv2
import numpy as np

from bench import ffmpeg_chain
from bench.footage import CleanShot, Defects, defects_for, degrade
from bench.metrics import jitter, mean_luma, psnr, ssim, variation
from microdrama.finishing import FinishingTemplate, FinishResult, finish_episode
from microdrama.finishing.intermediate import SUFFIX as LOSSLESS_SUFFIX
from microdrama.finishing.intermediate import LosslessWriter
from microdrama.finishing.measure import delta_e2000, gray, sharpness, to_lab
from microdrama.finishing.stages.detail import upscale
from microdrama.finishing.stages.master import encode_settings
from microdrama.finishing.stages.motion import find_judder, measure_motion, plan_retiming, retime
from microdrama.generation.provider import TAKE_ENCODE
from microdrama.keys import episode_key
from microdrama.media.video import VideoWriter, read_frames
from microdrama.runtime.stages import InProcessRunner, usable_cpus
from microdrama.store.local import LocalStore

# raw: the raw take Lanczos-upscaled in memory, never encoded; lanczos: the same upscale (the `scale` filter)
# encoded as the masters are, the do-nothing master that finishing must not fall below.
ARMS = ("raw", "lanczos", "microdrama", "ffmpeg")
# Colour is compared on frames area-averaged to this many rows: the colour of regions, not of edges, and regions of
# the same share of the picture at any master size (at 4K, 8x averaging had let edge detail into every arm's figure).
COLOUR_ROWS = 240
SSIM_EVERY, DETAIL_EVERY = 4, 4
# The two arms the speed target compares run this many times each, taking turns, and the faster run counts: on a
# machine shared with other work, a burst of load then slows one run of each arm, not the only run of one.
TURNS = 2
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class ArmScore:
    luma: list[float] = field(default_factory=list)
    delta_e: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)
    detail: list[float] = field(default_factory=list)


@dataclass
class ShotScore:
    name: str
    arms: dict[str, ArmScore]
    clean_luma: list[float]
    clean_detail: list[float]
    psnr_duplicate: list[float]
    psnr_motion: list[float]
    psnr_minterpolate: list[float]

    def flicker(self, arm: str) -> float:
        return jitter(self.arms[arm].luma, self.clean_luma)

    def relative_detail(self, arm: str) -> float:
        return float(np.mean(self.arms[arm].detail) / np.mean(self.clean_detail))


@dataclass
class EpisodeScore:
    clip: str
    shots: list[ShotScore]
    frames: int
    # End-to-end wall time: microdrama; the ffmpeg chain with and without judder repair (ffmpeg, ffmpeg_light);
    # the Lanczos upscale alone, encoded (lanczos); the encoder alone on the ffmpeg chain's frames (encode).
    seconds: dict[str, float]
    stages: dict[str, float] = field(default_factory=dict)  # microdrama's wall time per stage

    def flicker(self, arm: str) -> float:
        return float(np.mean([s.flicker(arm) for s in self.shots]))

    def delta_e(self, arm: str) -> float:
        return float(np.mean([np.mean(s.arms[arm].delta_e) for s in self.shots]))

    def ssim(self, arm: str) -> float:
        return float(np.mean([np.mean(s.arms[arm].ssim) for s in self.shots]))

    def detail_spread(self, arm: str) -> float:
        """CV across shots of detail relative to each shot's clean source: the spread the blur defect caused."""
        return variation([s.relative_detail(arm) for s in self.shots])

    def psnr(self, kind: str) -> float:
        """Mean over the episode's visible drops; NaN where it has none."""
        values = [v for s in self.shots for v in getattr(s, f"psnr_{kind}")]
        return float(np.mean(values)) if values else float("nan")

    def fps(self, pipeline: str) -> float:
        return self.frames / self.seconds[pipeline]


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


def _write_inputs(shot: CleanShot, defects: Defects, clean: Path, raw: Path) -> None:
    height, width = shot.frames.shape[1:3]
    with LosslessWriter(clean, width, height, shot.fps) as writer:
        for frame in shot.frames:
            writer.write(frame)
    frames = degrade(shot.frames, defects)
    first = next(frames)
    with VideoWriter(raw, first.shape[1], first.shape[0], shot.fps, TAKE_ENCODE) as writer:
        writer.write(first)
        for frame in frames:
            writer.write(frame)


def _colour(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    small = cv2.resize(rgb, (round(width * COLOUR_ROWS / height), COLOUR_ROWS), interpolation=cv2.INTER_AREA)
    return to_lab(small)


def _motion_rebuild(frames: np.ndarray, dropped: tuple[int, ...], fps: Fraction) -> dict[int, np.ndarray]:
    """The dropped frames as the motion stage rebuilds them from the shot with each drop shown as a duplicate."""
    juddered = [frames[k - 1] if k in dropped else frame for k, frame in enumerate(frames)]
    plan = plan_retiming(find_judder(measure_motion(map(gray, juddered))), fps)
    return {k: frame for k, frame in enumerate(retime(juddered, plan)) if k in dropped}


def _score_shot(
    shot: CleanShot, defects: Defects, raw: Path, outputs: dict[str, Path], size: tuple[int, int]
) -> ShotScore:
    arms = {arm: ArmScore() for arm in ARMS}
    clean_luma: list[float] = []
    clean_detail: list[float] = []
    streams: dict[str, Iterator[np.ndarray]] = {
        "raw": (upscale(f, *size, "lanczos") for f in read_frames(raw)),
        **{arm: read_frames(path) for arm, path in outputs.items()},
    }
    for index, clean in enumerate(shot.frames):
        truth = upscale(clean, *size, "lanczos")
        truth_lab, truth_luma = _colour(truth), gray(truth)
        clean_luma.append(mean_luma(clean))
        if index % DETAIL_EVERY == 0:
            clean_detail.append(sharpness(truth))
        for arm in ARMS:
            out, score = next(streams[arm]), arms[arm]
            score.luma.append(mean_luma(out))
            score.delta_e.append(float(delta_e2000(_colour(out), truth_lab).mean()))
            if index % DETAIL_EVERY == 0:
                score.detail.append(sharpness(out))
            if index % SSIM_EVERY == 0:
                score.ssim.append(ssim(gray(out), truth_luma))
    rebuilt = ffmpeg_chain.minterpolate(shot.frames, defects.dropped, shot.fps)
    repaired = _motion_rebuild(shot.frames, defects.dropped, shot.fps)
    # A drop where the picture did not change is invisible, and its duplicate exact: it measures nothing.
    seen = [k for k in defects.dropped if not np.array_equal(shot.frames[k], shot.frames[k - 1])]
    truth_of = {k: gray(shot.frames[k]) for k in seen}
    return ShotScore(
        name=shot.name,
        arms=arms,
        clean_luma=clean_luma,
        clean_detail=clean_detail,
        psnr_duplicate=[psnr(gray(shot.frames[k - 1]), truth_of[k]) for k in seen],
        psnr_motion=[psnr(gray(repaired[k]), truth_of[k]) for k in seen],
        psnr_minterpolate=[psnr(gray(rebuilt[k]), truth_of[k]) for k in seen if k in rebuilt],
    )


def _side_by_side(workers: int, work: Callable[[T], R], items: Sequence[T]) -> tuple[float, list[R]]:
    """Wall seconds and results of `work` over `items`, `workers` at a time (as microdrama's runner takes shots:
    libavfilter and x264 release the GIL too)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(work, items))
    return time.perf_counter() - started, results


def _encoder_alone(workers: int, frames: Sequence[Iterator[av.VideoFrame]], writers: Sequence[VideoWriter]) -> float:
    """Wall seconds the writers take to encode the frames, made beforehand, side by side likewise. Frames as a
    filter chain makes them: a decoded master re-encodes faster (its finest detail already coded away)."""
    jobs = [(list(made), writer) for made, writer in zip(frames, writers, strict=True)]
    seconds, _ = _side_by_side(workers, lambda job: ffmpeg_chain.encode(*job), jobs)
    return seconds


@dataclass(frozen=True)
class Takes:
    """An episode's clean sources and raw takes, written, and the takes put in the store: where both arms start."""

    clip: str
    root: Path
    keyed: list[tuple[str, str]]  # (shot id, store key of its raw take)
    paths: dict[str, dict[str, Path]]  # shot id -> {"clean": ..., "raw": ..., and each baseline arm's output}
    defects: dict[str, Defects]

    @property
    def store_root(self) -> Path:
        return self.root / "store"


def write_takes(clip: str, shots: Sequence[CleanShot], work: Path) -> Takes:
    """Degrade every shot (shot 0 is the reference look, uncast) and store its raw take."""
    takes = Takes(
        clip, work / clip, [], {}, {s.name: defects_for(i, len(s.frames), _seed(s.name)) for i, s in enumerate(shots)}
    )
    store = LocalStore(takes.store_root)
    for shot in shots:
        p = {
            "clean": takes.root / "clean" / f"{shot.name}{LOSSLESS_SUFFIX}",
            "raw": takes.root / "raw" / f"{shot.name}.mp4",
        }
        for path in p.values():
            path.parent.mkdir(parents=True, exist_ok=True)
        _write_inputs(shot, takes.defects[shot.name], p["clean"], p["raw"])
        key = episode_key("bench", clip, "ep01", "shots", f"{shot.name}.mp4")
        store.put_file(key, p["raw"])
        takes.keyed.append((shot.name, key))
        takes.paths[shot.name] = p
    return takes


def finish_takes(takes: Takes, template: FinishingTemplate, turn: int = 1) -> tuple[float, FinishResult]:
    """microdrama's wall seconds and result, the takes finished as one episode matched to its first shot; each
    turn finishes them as an episode of its own, so no turn reuses another's work."""
    started = time.perf_counter()
    result = finish_episode(
        takes.keyed,
        template,
        runner=InProcessRunner(usable_cpus()),
        store_factory=partial(LocalStore, takes.store_root),
        prefix=episode_key("bench", takes.clip, f"ep{turn:02d}", "finishing"),
        reference=takes.keyed[0][0],
    )
    return time.perf_counter() - started, result


def _filters(arm: str, shot: CleanShot, takes: Takes, template: FinishingTemplate) -> ffmpeg_chain.Filters:
    size = (template.upscale.width, template.upscale.height)
    if arm == "lanczos":
        return [("scale", f"{size[0]}:{size[1]}:flags=lanczos")]
    judder = ffmpeg_chain.judder_repair(shot.fps, takes.defects[shot.name].dropped) if arm == "ffmpeg" else []
    return ffmpeg_chain.chain(*size, template.deflicker.window, judder)


def run_baseline(arm: str, takes: Takes, shots: Sequence[CleanShot], template: FinishingTemplate) -> float:
    """Wall seconds of one ffmpeg arm (ffmpeg: the whole chain; ffmpeg_light: without judder repair; lanczos: the
    upscale alone) over the shots, as many at a time as microdrama takes; each output lands in takes.paths."""
    size = (template.upscale.width, template.upscale.height)
    settings = encode_settings(template.encode)

    def one(shot: CleanShot) -> Path:
        out = takes.root / arm / f"{shot.name}.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
        writer = VideoWriter(out, *size, shot.fps, settings)
        ffmpeg_chain.finish(takes.paths[shot.name]["raw"], _filters(arm, shot, takes, template), writer, shot.fps)
        return out

    seconds, outs = _side_by_side(usable_cpus(), one, shots)
    for shot, out in zip(shots, outs, strict=True):
        takes.paths[shot.name][arm] = out
    return seconds


def race(takes: Takes, shots: Sequence[CleanShot], template: FinishingTemplate) -> tuple[float, FinishResult, float]:
    """Wall seconds of microdrama and of the whole ffmpeg chain on the takes, each its faster of TURNS runs taken in
    turn, and microdrama's result from its faster run (every run writes the same bytes)."""
    runs = []
    chain = float("inf")
    for turn in range(1, TURNS + 1):
        runs.append(finish_takes(takes, template, turn))
        chain = min(chain, run_baseline("ffmpeg", takes, shots, template))
    seconds, result = min(runs, key=lambda run: run[0])
    return seconds, result, chain


def run_episode(clip: str, shots: list[CleanShot], template: FinishingTemplate, work: Path) -> EpisodeScore:
    """Degrade, finish both ways, measure. Shot 0 is the reference the grade matches to."""
    takes = write_takes(clip, shots, work)
    size = (template.upscale.width, template.upscale.height)
    finished, result, chain = race(takes, shots, template)
    seconds = {"microdrama": finished, "ffmpeg": chain}
    for arm in ("ffmpeg_light", "lanczos"):
        seconds[arm] = run_baseline(arm, takes, shots, template)
    (takes.root / "encode").mkdir(exist_ok=True)
    settings = encode_settings(template.encode)
    writers = [VideoWriter(takes.root / "encode" / f"{s.name}.mp4", *size, s.fps, settings) for s in shots]
    chains = [
        ffmpeg_chain.filtered(
            ffmpeg_chain.decoded(takes.paths[s.name]["raw"]), _filters("ffmpeg", s, takes, template), 1 / s.fps
        )
        for s in shots
    ]
    seconds["encode"] = _encoder_alone(usable_cpus(), chains, writers)

    store = LocalStore(takes.store_root)
    scores = []
    for shot in shots:
        paths = takes.paths[shot.name]
        with store.local_path(result.shot_keys[shot.name], ".mp4") as out:
            outputs = {"microdrama": out, **{arm: paths[arm] for arm in ("ffmpeg", "lanczos")}}
            scores.append(_score_shot(shot, takes.defects[shot.name], paths["raw"], outputs, size))
    stages = {name: float(timing["seconds"]) for name, timing in result.report["stages"].items()}
    frames = sum(len(s.frames) for s in shots)
    return EpisodeScore(clip=clip, shots=scores, frames=frames, seconds=seconds, stages=stages)
