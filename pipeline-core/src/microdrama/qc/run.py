"""Run every QC check on a finished episode and assemble the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microdrama.audio.subtitles import parse_srt
from microdrama.domain.shots import ShotList
from microdrama.logs import get_logger
from microdrama.qc.contact_sheet import encode_thumbnail
from microdrama.qc.measure import measure_audio, measure_video, shot_spans
from microdrama.qc.report import QcReport
from microdrama.qc.rules import QcInputs, evaluate, overall_verdict
from microdrama.qc.thresholds import DEFAULT_THRESHOLDS, QcThresholds

log = get_logger(__name__)


def run_qc(
    master: Path,
    mix: np.ndarray,
    sample_rate: int,
    srt_text: str,
    shot_list: ShotList,
    *,
    expected_width: int,
    expected_height: int,
    loudness_target: float = -14.0,
    true_peak_ceiling: float = -1.0,
    identity: dict[str, dict[str, float]] | None = None,
    thresholds: QcThresholds = DEFAULT_THRESHOLDS,
) -> QcReport:
    """Measure the master, the mix and the subtitles against the shot list and grade every rule."""
    spans = shot_spans(shot_list)
    video = measure_video(master, spans, thresholds)
    inputs = QcInputs(
        video=video,
        audio=measure_audio(mix, sample_rate),
        cues=parse_srt(srt_text),
        expected_width=expected_width,
        expected_height=expected_height,
        expected_fps=shot_list.fps,
        expected_frames=spans[-1].end_frame,
        loudness_target=loudness_target,
        true_peak_ceiling=true_peak_ceiling,
        identity=identity,
        scenes={shot.id: shot.scene for shot in shot_list.shots},
    )
    rules = evaluate(inputs, thresholds)
    report = QcReport(
        series_id=shot_list.series_id,
        episode_id=shot_list.episode_id,
        title=shot_list.title,
        verdict=overall_verdict(rules),
        rules=rules,
        stream=video.stream,
        audio=inputs.audio,
        shots=video.shots,
        identity={sid: dict(scores) for sid, scores in (identity or {}).items()},
        frame_luma=[float(v) for v in video.frames.luma],
        black_frames=[int(i) for i in np.flatnonzero(video.black)],
        frozen_runs=video.frozen_runs,
        thresholds=thresholds,
        thumbnails={sid: encode_thumbnail(rgb) for sid, rgb in video.thumbnails.items()},
    )
    log.info(
        "qc.done",
        episode=shot_list.episode_id,
        verdict=report.verdict,
        failed=[r.id for r in report.failed_rules],
        regenerate=list(report.shots_to_regenerate()),
    )
    return report
