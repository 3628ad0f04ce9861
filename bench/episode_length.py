"""`make bench-episode`: how finishing's time grows with the episode's length, beside the ffmpeg chain.

Episodes of two scenes, as an edit cuts them: a set rendered by microdrama.generation (the
reference's scene), then Big Buck Bunny's meadow and bird (real footage that shares nothing
with the set), each shot degraded as in `make bench-finishing`. An episode of 40-80 shots
must cost each shot what an episode of a few does: the table gives seconds per shot, by
stage, for episodes of two sizes, and how each shot's grade was decided. Writes
docs/benchmarks-episode.md.

    .venv/bin/python -m bench.episode_length [--master 1080x1920] [--doc docs/benchmarks-episode.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import footage, report
from bench.episode import race, write_takes
from bench.finishing import BIBLE, REPO, master_size, shared_data, template_at
from microdrama.logs import get_logger

SCENE_SHOTS = (6, 12)  # shots per scene of each episode
LENGTH = 24  # frames per shot: one second, the short end of a generated shot
CLIP = "big_buck_bunny_0_30.webm"
# 24-frame shots from the meadow (Big Buck Bunny cuts at frames 45 and 283), then the bird (376-551).
REAL_STARTS = (50, 76, 102, 128, 154, 180, 206, 232, 258, 378, 404, 430, 456, 482, 508)
MATCHED_BY = ("shared regions", "shared regions through another shot", "Lab statistics")

log = get_logger("bench.episode_length")


@dataclass(frozen=True)
class Run:
    shots: int
    frames: int
    stages: dict[str, float]  # microdrama's wall seconds per stage
    microdrama: float
    ffmpeg: float
    matched_by: Counter[str]


def two_scenes(clip: Path, per_scene: int) -> list[footage.CleanShot]:
    return footage.rendered(BIBLE, per_scene, LENGTH, clip="set") + footage.cut(
        clip, "bbb", list(REAL_STARTS[:per_scene]), LENGTH
    )


def run(shots: list[footage.CleanShot], master: tuple[int, int], work: Path) -> Run:
    template = template_at(master)
    takes = write_takes(f"two-scenes-{len(shots)}", shots, work)
    seconds, result, chain = race(takes, shots, template)
    return Run(
        shots=len(shots),
        frames=sum(len(s.frames) for s in shots),
        stages={name: float(timing["seconds"]) for name, timing in result.report["stages"].items()},
        microdrama=seconds,
        ffmpeg=chain,
        matched_by=Counter(str(shot["grade"]["matched_by"]) for shot in result.report["shots"]),
    )


def table(runs: list[Run]) -> report.Table:
    names = list(dict.fromkeys(name for r in runs for name in r.stages))
    rows = [
        (
            f"{r.shots} ({r.frames} frames)",
            *(f"{r.stages.get(name, 0.0) / r.shots:.3f}" for name in names),
            f"{r.microdrama / r.shots:.3f}",
            f"{r.ffmpeg / r.shots:.3f}",
            f"{r.ffmpeg / r.microdrama:.2f}x",
            " / ".join(str(r.matched_by[m]) for m in MATCHED_BY),
        )
        for r in runs
    ]
    return report.Table(
        "Seconds per shot",
        "Wall seconds of each stage of microdrama's run divided by the episode's shots (stages run the shots side "
        "by side, one per core; the grade and its bridged retry run beside detail), its total per shot, the ffmpeg "
        "chain's per shot on the same takes, microdrama's speed against it, and how the grades were decided: "
        "by regions shared with the reference, through another shot that shares them, or by Lab statistics (the "
        "shots of the second scene, which share nothing with the first); the reference itself is not counted.",
        ("shots", *names, "microdrama", "ffmpeg chain", "speed vs ffmpeg", " / ".join(MATCHED_BY)),
        rows,
    )


def document(result: report.Table, machine: str, master: tuple[int, int], wall: float) -> str:
    return "\n".join(
        [
            "# Finishing time against episode length",
            "",
            "Produced by `make bench-episode` (`.venv/bin/python -m bench.episode_length "
            f"--master {master[0]}x{master[1]}`); every number below comes from that one run.",
            "",
            f"**Machine:** {machine}. Whole run: {wall / 60:.1f} min.",
            "",
            "## Method",
            "",
            f"- Each episode has two scenes of {' or '.join(map(str, SCENE_SHOTS))} shots of {LENGTH} frames: a "
            "set rendered by `microdrama.generation` (the sample series' characters, six camera moves in turn with "
            "one or two characters, no two shots alike), its first shot the reference; then the next scene of the "
            "edit, shots cut from Big Buck Bunny's meadow and bird, which share nothing with the set.",
            "- Defects, microdrama's run (`finish_episode`, one worker per core, the default template at the master "
            "size) and the ffmpeg chain (judder repair, deflicker, Lanczos, unsharp, the same encoder), each the "
            "faster of its runs taken in turn, are those of `make bench-finishing` (docs/benchmarks.md).",
            "- Finishing costs a shot the same whatever the episode's length when each row's seconds per shot match.",
            "",
            "## Results",
            "",
            result.markdown(),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.episode_length", description=__doc__.split("\n")[0])
    parser.add_argument("--master", type=master_size, default=(1080, 1920), metavar="WxH", help="master size")
    parser.add_argument(
        "--doc", type=Path, default=REPO / "docs" / "benchmarks-episode.md", help="markdown written here"
    )
    args = parser.parse_args(argv)
    clip = shared_data() / "clips" / CLIP
    if not clip.is_file():
        sys.stdout.write(f"note: {clip} not found (set MD_SHARED_DATA); the episode-length benchmark needs it\n")
        return 0
    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory(prefix="md-bench-") as tmp:
        for per_scene in SCENE_SHOTS:
            log.info("episode", shots=2 * per_scene)
            runs.append(run(two_scenes(clip, per_scene), args.master, Path(tmp)))
    result = table(runs)
    wall = time.perf_counter() - started
    sys.stdout.write(result.text())
    args.doc.write_text(document(result, report.machine(), args.master, wall), encoding="utf-8")
    sys.stdout.write(f"\nwritten {args.doc} in {wall / 60:.1f} min\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
