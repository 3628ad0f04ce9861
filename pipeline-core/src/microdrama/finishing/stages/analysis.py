"""Analysis: per-frame colour and luma statistics of each raw take and, in the same decode, its motion."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from microdrama.finishing.measure import ShotStats, StatsAccumulator
from microdrama.finishing.stages.base import ShotItem, StoreStage
from microdrama.finishing.stages.motion import MotionMeter, MotionProfile
from microdrama.media.ahead import ahead
from microdrama.media.probe import probe_video
from microdrama.media.video import read_frames_and_luma


@dataclass(frozen=True)
class AnalysisItem(ShotItem):
    motion: bool  # measure the shot's motion too (for the motion stage)


@dataclass(frozen=True, eq=False)
class Analysis:
    stats: ShotStats
    motion: MotionProfile | None

    def to_json(self) -> dict[str, Any]:
        return {"stats": self.stats.to_json(), "motion": None if self.motion is None else self.motion.to_json()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Analysis:
        motion = doc["motion"]
        return cls(
            stats=ShotStats.from_json(doc["stats"]), motion=None if motion is None else MotionProfile.from_json(motion)
        )


class AnalysisStage(StoreStage):
    name = "analysis"

    def run(self, item: AnalysisItem) -> Analysis:
        with self.store.local_path(item.src_key, PurePosixPath(item.src_key).suffix) as src:
            stats = StatsAccumulator(probe_video(src).fps)
            motion = MotionMeter() if item.motion else None
            # Decoding and the conversions run in a thread of their own, beside the flow and the measures.
            for frame, luma in ahead(lambda: read_frames_and_luma(src, exact_colour=True)):
                stats.add(frame)
                if motion is not None:
                    motion.add(luma)
        return Analysis(stats=stats.result(), motion=None if motion is None else motion.result())
