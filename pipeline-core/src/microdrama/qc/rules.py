"""QC rules: each turns measurements into a verdict with the value, the limit and the shots at fault."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from microdrama.audio.subtitles import Cue, reading_speed_cps
from microdrama.qc.measure import AudioFacts, ShotStats, VideoMeasurements
from microdrama.qc.thresholds import DEFAULT_THRESHOLDS, QcThresholds

Verdict = Literal["pass", "warn", "fail"]
Scope = Literal["stream", "video", "identity", "audio", "subtitles"]
_NINE_SIXTEEN = 9 / 16


@dataclass(frozen=True)
class RuleResult:
    id: str
    scope: Scope
    description: str
    measured: float | str | None
    threshold: str
    verdict: Verdict
    shots: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class QcInputs:
    video: VideoMeasurements
    audio: AudioFacts
    cues: Sequence[Cue]
    expected_width: int
    expected_height: int
    expected_fps: int
    expected_frames: int
    loudness_target: float
    true_peak_ceiling: float
    identity: Mapping[str, Mapping[str, float]] | None
    # Shot id -> its scene heading: colour is compared among the shots of a scene.
    scenes: Mapping[str, str]


def _at_most(value: float, limit: float, warn_fraction: float | None = None) -> Verdict:
    if value > limit:
        return "fail"
    if warn_fraction is not None and value > limit * warn_fraction:
        return "warn"
    return "pass"


def _outliers(shots: Sequence[ShotStats], values: np.ndarray) -> tuple[str, ...]:
    """Shots far from the episode's median (over 3 median deviations), else the single furthest one."""
    points = values.reshape(len(shots), -1)
    dist = np.linalg.norm(points - np.median(points, axis=0), axis=1)
    far = dist > 3 * np.median(dist)
    if not far.any():
        far = dist == dist.max()
    return tuple(s.shot_id for s, f in zip(shots, far, strict=True) if f)


def _measured_shots(inputs: QcInputs) -> list[ShotStats]:
    return [s for s in inputs.video.shots if s.frame_count > 0]


def _shots_between(inputs: QcInputs, start_s: float, end_s: float) -> tuple[str, ...]:
    fps = inputs.video.stream.fps
    return tuple(
        s.shot_id for s in inputs.video.shots if s.start_s < end_s and start_s < s.start_s + s.frame_count / fps
    )


def rule_resolution(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    st = inputs.video.stream
    ok = (st.width, st.height) == (inputs.expected_width, inputs.expected_height)
    return RuleResult(
        "stream.resolution",
        "stream",
        "Picture size equals the master size",
        f"{st.width}x{st.height}",
        f"= {inputs.expected_width}x{inputs.expected_height}",
        "pass" if ok else "fail",
        detail=""
        if ok
        else f"master is {st.width}x{st.height}, expected {inputs.expected_width}x{inputs.expected_height}",
    )


def rule_aspect(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    st = inputs.video.stream
    ok = abs(st.aspect_ratio - _NINE_SIXTEEN) <= 0.005
    return RuleResult(
        "stream.aspect",
        "stream",
        "Display aspect is vertical 9:16",
        st.display_aspect,
        "= 9:16",
        "pass" if ok else "fail",
        detail="" if ok else f"display aspect {st.display_aspect} ({st.aspect_ratio:.4f}), expected 9:16 (0.5625)",
    )


def rule_fps(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    fps = inputs.video.stream.fps
    ok = abs(fps - inputs.expected_fps) < 1e-3
    return RuleResult(
        "stream.fps",
        "stream",
        "Frame rate equals the shot list's",
        round(fps, 3),
        f"= {inputs.expected_fps}",
        "pass" if ok else "fail",
        detail="" if ok else f"{fps:.3f} fps, expected {inputs.expected_fps}",
    )


def rule_duration(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    frames = inputs.video.stream.frame_count
    off = frames - inputs.expected_frames
    ok = abs(off) <= 1
    return RuleResult(
        "stream.duration",
        "stream",
        "Frame count matches the shot list within one frame",
        frames,
        f"{inputs.expected_frames} ± 1 frames",
        "pass" if ok else "fail",
        detail="" if ok else f"{frames} frames decoded, the shot list makes {inputs.expected_frames} ({off:+d})",
    )


def rule_audio_duration(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    expected = inputs.expected_frames / inputs.expected_fps
    off = inputs.audio.duration_s - expected
    ok = abs(off) <= 1 / inputs.expected_fps
    return RuleResult(
        "audio.duration",
        "audio",
        "Mix lasts as long as the episode within one frame",
        round(inputs.audio.duration_s, 3),
        f"{expected:.3f} s ± 1 frame",
        "pass" if ok else "fail",
        detail="" if ok else f"mix is {inputs.audio.duration_s:.3f} s, episode {expected:.3f} s ({off:+.3f} s)",
    )


def rule_black(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    count = int(inputs.video.black.sum())
    shots = tuple(s.shot_id for s in inputs.video.shots if s.black_frames)
    verdict = _at_most(count, th.max_black_frames)
    return RuleResult(
        "video.black_frames",
        "video",
        "No black frames",
        count,
        f"<= {th.max_black_frames} frames",
        verdict,
        shots,
        "" if verdict == "pass" else f"{count} black frames in {', '.join(shots)}",
    )


def rule_frozen(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    runs = inputs.video.frozen_runs
    longest = max((n for _, n in runs), default=0)
    verdict = _at_most(longest, th.max_frozen_frames)
    fps = inputs.video.stream.fps
    bad = [(start, n) for start, n in runs if n > th.max_frozen_frames]
    shots = tuple(
        dict.fromkeys(sid for start, n in bad for sid in _shots_between(inputs, start / fps, (start + n) / fps))
    )
    detail = "; ".join(f"{n} identical frames from frame {start}" for start, n in bad)
    return RuleResult(
        "video.frozen",
        "video",
        "No frozen picture runs",
        longest,
        f"<= {th.max_frozen_frames} frames",
        verdict,
        shots,
        detail,
    )


def rule_flicker(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    shots = _measured_shots(inputs)
    worst = max((s.flicker for s in shots), default=0.0)
    verdict = _at_most(worst, th.flicker_max, th.warn_fraction)
    involved = tuple(s.shot_id for s in shots if s.flicker > th.flicker_max * th.warn_fraction)
    return RuleResult(
        "video.flicker",
        "video",
        "Within-shot luma jitter (median |2nd difference| of mean luma, code values)",
        round(worst, 3),
        f"<= {th.flicker_max}",
        verdict,
        involved,
        "" if verdict == "pass" else ", ".join(f"{s.shot_id} {s.flicker:.2f}" for s in shots if s.shot_id in involved),
    )


def rule_flicker_opening(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    shots = [s for s in _measured_shots(inputs) if s.opening_flicker is not None]
    values = {s.shot_id: s.opening_flicker or 0.0 for s in shots}
    worst = max(values.values(), default=0.0)
    verdict = _at_most(worst, th.opening_flicker_max)
    involved = tuple(sid for sid, v in values.items() if v > th.opening_flicker_max)
    return RuleResult(
        "video.flicker_opening",
        "video",
        f"Luma jitter in the opening {th.opening_s:g} s, held to a stricter limit",
        round(worst, 3),
        f"<= {th.opening_flicker_max}",
        verdict,
        involved,
        "" if verdict == "pass" else ", ".join(f"{sid} {values[sid]:.2f}" for sid in involved),
    )


def rule_sharpness_spread(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    shots = _measured_shots(inputs)
    values = np.array([s.sharpness for s in shots])
    cv = float(values.std() / values.mean()) if len(values) > 1 and values.mean() > 0 else 0.0
    verdict = _at_most(cv, th.sharpness_cv_max, th.warn_fraction)
    involved = _outliers(shots, values) if verdict != "pass" else ()
    return RuleResult(
        "video.sharpness_spread",
        "video",
        "Sharpness consistent across shots (coefficient of variation)",
        round(cv, 3),
        f"<= {th.sharpness_cv_max}",
        verdict,
        involved,
        "" if verdict == "pass" else f"outliers: {', '.join(involved)} against a median of {np.median(values):.0f}",
    )


def rule_soft_shots(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    shots = _measured_shots(inputs)
    median = float(np.median([s.sharpness for s in shots])) if shots else 0.0
    ratios = {s.shot_id: s.sharpness / median if median > 0 else 1.0 for s in shots}
    worst = min(ratios.values(), default=1.0)
    soft = tuple(sid for sid, r in ratios.items() if r < th.sharpness_min_ratio)
    return RuleResult(
        "video.soft_shots",
        "video",
        "No shot far softer than the episode's median shot (sharpness ratio)",
        round(worst, 3),
        f">= {th.sharpness_min_ratio}",
        "fail" if soft else "pass",
        soft,
        ", ".join(f"{sid} at {ratios[sid]:.2f}x the median" for sid in soft),
    )


def rule_colour_spread(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    # Judged within each scene (the shots under one heading): a warm hallway after a cool bedroom is the
    # story's look, not a drift, and a shot's mean a*, b* also follows what is in its frame.
    scenes: dict[str, list[ShotStats]] = {}
    for shot in _measured_shots(inputs):
        scenes.setdefault(inputs.scenes[shot.shot_id], []).append(shot)
    colours = {scene: np.array([[s.mean_a, s.mean_b] for s in shots]) for scene, shots in scenes.items()}
    spreads = {scene: float(ab.std(axis=0).max()) for scene, ab in colours.items() if len(ab) > 1}
    spread = max(spreads.values(), default=0.0)
    verdict = _at_most(spread, th.colour_std_max, th.warn_fraction)
    outliers = {
        scene: _outliers(scenes[scene], colours[scene]) for scene, value in spreads.items() if value > th.colour_std_max
    }
    return RuleResult(
        "video.colour_spread",
        "video",
        "Colour consistent across the shots of each scene (std of mean a*, b*; CIELAB)",
        round(spread, 3),
        f"<= {th.colour_std_max}",
        verdict,
        tuple(shot_id for shots in outliers.values() for shot_id in shots),
        "; ".join(f"outliers in {scene}: {', '.join(shots)}" for scene, shots in outliers.items()),
    )


def _identity_rule(
    inputs: QcInputs, rule_id: str, description: str, shots: list[ShotStats], limit: float
) -> RuleResult:
    scores = {
        s.shot_id: min(inputs.identity[s.shot_id].values())
        for s in shots
        if inputs.identity and inputs.identity.get(s.shot_id)
    }
    if not scores:
        return RuleResult(rule_id, "identity", description, None, f">= {limit}", "warn", detail="no identity scores")
    worst = min(scores.values())
    involved = tuple(sid for sid, v in scores.items() if v < limit)
    return RuleResult(
        rule_id,
        "identity",
        description,
        round(worst, 3),
        f">= {limit}",
        "fail" if involved else "pass",
        involved,
        ", ".join(f"{sid} {scores[sid]:.2f}" for sid in involved),
    )


def rule_identity(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    return _identity_rule(
        inputs, "identity.shots", "Every character looks like their reference", inputs.video.shots, th.identity_min
    )


def rule_identity_opening(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    opening = [s for s in inputs.video.shots if s.start_s < th.opening_s]
    return _identity_rule(
        inputs,
        "identity.opening",
        f"Character likeness in the opening {th.opening_s:g} s, held to a stricter limit",
        opening,
        th.opening_identity_min,
    )


def rule_loudness(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    lufs = inputs.audio.integrated_lufs
    off = lufs - inputs.loudness_target
    ok = abs(off) <= th.loudness_tolerance_lu
    return RuleResult(
        "audio.loudness",
        "audio",
        "Integrated loudness on target (ITU-R BS.1770)",
        round(lufs, 2),
        f"{inputs.loudness_target:g} ± {th.loudness_tolerance_lu:g} LUFS",
        "pass" if ok else "fail",
        detail="" if ok else f"{lufs:.2f} LUFS is {off:+.2f} LU from the target",
    )


def rule_true_peak(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    peak = inputs.audio.true_peak_dbtp
    verdict = _at_most(peak, inputs.true_peak_ceiling)
    return RuleResult(
        "audio.true_peak",
        "audio",
        "True peak under the ceiling (4x oversampled)",
        round(peak, 2),
        f"<= {inputs.true_peak_ceiling:g} dBTP",
        verdict,
        detail="" if verdict == "pass" else f"{peak:.2f} dBTP over the {inputs.true_peak_ceiling:g} dBTP ceiling",
    )


def rule_reading_speed(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    speeds = {cue.index: reading_speed_cps(cue) for cue in inputs.cues}
    worst = max(speeds.values(), default=0.0)
    fast = [cue for cue in inputs.cues if speeds[cue.index] > th.max_cps]
    shots = tuple(dict.fromkeys(sid for cue in fast for sid in _shots_between(inputs, cue.start_s, cue.end_s)))
    return RuleResult(
        "subtitles.reading_speed",
        "subtitles",
        "Subtitle reading speed",
        round(worst, 2),
        f"<= {th.max_cps:g} chars/s",
        "fail" if fast else "pass",
        shots,
        "; ".join(f"cue {cue.index} {speeds[cue.index]:.1f} cps" for cue in fast),
    )


def rule_line_length(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    lengths = {cue.index: max(len(line) for line in cue.text.splitlines() or [""]) for cue in inputs.cues}
    worst = max(lengths.values(), default=0)
    long = [cue for cue in inputs.cues if lengths[cue.index] > th.max_line_chars]
    shots = tuple(dict.fromkeys(sid for cue in long for sid in _shots_between(inputs, cue.start_s, cue.end_s)))
    return RuleResult(
        "subtitles.line_length",
        "subtitles",
        "Subtitle line length",
        worst,
        f"<= {th.max_line_chars} chars",
        "fail" if long else "pass",
        shots,
        "; ".join(f"cue {cue.index} has a {lengths[cue.index]}-character line" for cue in long),
    )


def rule_subtitle_timing(inputs: QcInputs, th: QcThresholds) -> RuleResult:
    end = inputs.expected_frames / inputs.expected_fps + 1 / inputs.expected_fps
    bad = [cue for cue in inputs.cues if cue.start_s < 0 or cue.end_s > end]
    last = max((cue.end_s for cue in inputs.cues), default=0.0)
    return RuleResult(
        "subtitles.timing",
        "subtitles",
        "Every cue inside the episode",
        round(last, 3),
        f"within 0-{end:.3f} s",
        "fail" if bad else "pass",
        detail="; ".join(f"cue {cue.index} {cue.start_s:.3f}-{cue.end_s:.3f} s" for cue in bad),
    )


RULES: tuple[Callable[[QcInputs, QcThresholds], RuleResult], ...] = (
    rule_resolution,
    rule_aspect,
    rule_fps,
    rule_duration,
    rule_black,
    rule_frozen,
    rule_flicker,
    rule_flicker_opening,
    rule_sharpness_spread,
    rule_soft_shots,
    rule_colour_spread,
    rule_identity,
    rule_identity_opening,
    rule_loudness,
    rule_true_peak,
    rule_audio_duration,
    rule_reading_speed,
    rule_line_length,
    rule_subtitle_timing,
)


def evaluate(inputs: QcInputs, thresholds: QcThresholds = DEFAULT_THRESHOLDS) -> list[RuleResult]:
    return [rule(inputs, thresholds) for rule in RULES]


def overall_verdict(results: Sequence[RuleResult]) -> Verdict:
    """The episode fails if any rule fails; warnings are reported but do not block delivery."""
    verdicts = {r.verdict for r in results}
    return "fail" if "fail" in verdicts else "warn" if "warn" in verdicts else "pass"
