"""Analysis: per-frame colour and luma statistics and sharpness of each raw take."""

from __future__ import annotations

from pathlib import PurePosixPath

from microdrama.finishing.measure import ShotStats, StatsAccumulator
from microdrama.finishing.stages.base import ShotItem, StoreStage
from microdrama.media.probe import probe_video
from microdrama.media.video import read_frames


class AnalysisStage(StoreStage):
    name = "analysis"

    def run(self, item: ShotItem) -> ShotStats:
        with self.store.local_path(item.src_key, PurePosixPath(item.src_key).suffix) as src:
            stats = StatsAccumulator(probe_video(src).fps)
            for frame in read_frames(src, exact_colour=True):
                stats.add(frame)
        return stats.result()
