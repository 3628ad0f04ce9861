"""The QC report: a JSON document for machines and a self-contained HTML page for people."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from microdrama.qc.html import render_html
from microdrama.qc.measure import AudioFacts, ShotStats, StreamFacts
from microdrama.qc.rules import RuleResult, Verdict
from microdrama.qc.thresholds import QcThresholds

# Failures of these scopes are about a shot's pictures: a new take of the shot can fix them.
_REGENERABLE = ("video", "identity")


@dataclass(frozen=True)
class QcReport:
    series_id: str
    episode_id: str
    title: str
    verdict: Verdict
    rules: list[RuleResult]
    stream: StreamFacts
    audio: AudioFacts
    shots: list[ShotStats]
    identity: dict[str, dict[str, float]]
    # Mean luma per frame (code values), for the luma plot.
    frame_luma: list[float]
    black_frames: list[int]
    # (first frame, length) of every run of identical pictures.
    frozen_runs: list[tuple[int, int]]
    thresholds: QcThresholds
    # JPEG thumbnail of each shot's middle frame; shown in the HTML, left out of the JSON.
    thumbnails: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def failed_rules(self) -> list[RuleResult]:
        return [r for r in self.rules if r.verdict == "fail"]

    def shots_to_regenerate(self) -> tuple[str, ...]:
        """Shots named by failed picture or identity rules, in episode order."""
        named = {sid for r in self.failed_rules if r.scope in _REGENERABLE for sid in r.shots}
        return tuple(s.shot_id for s in self.shots if s.shot_id in named)

    def flags(self) -> dict[str, list[RuleResult]]:
        """Per shot, the rules that did not pass and name it."""
        out: dict[str, list[RuleResult]] = {s.shot_id: [] for s in self.shots}
        for rule in self.rules:
            for sid in rule.shots:
                if rule.verdict != "pass" and sid in out:
                    out[sid].append(rule)
        return out

    def shot_verdicts(self) -> dict[str, Verdict]:
        """Per shot, the worst verdict among the rules that name it."""
        return {
            sid: "fail" if any(r.verdict == "fail" for r in rules) else "warn" if rules else "pass"
            for sid, rules in self.flags().items()
        }

    def to_dict(self) -> dict[str, Any]:
        doc = {
            "series_id": self.series_id,
            "episode_id": self.episode_id,
            "title": self.title,
            "verdict": self.verdict,
            "regenerate_shots": list(self.shots_to_regenerate()),
            "rules": [asdict(r) for r in self.rules],
            "stream": asdict(self.stream),
            "audio": asdict(self.audio),
            "shots": [{**asdict(s), "identity": self.identity.get(s.shot_id, {})} for s in self.shots],
            "frame_luma": [round(v, 2) for v in self.frame_luma],
            "black_frames": self.black_frames,
            "frozen_runs": [list(r) for r in self.frozen_runs],
            "thresholds": self.thresholds.as_dict(),
        }
        return _finite(doc)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _finite(value: Any) -> Any:
    """NaN and infinities (silent mix, shot with no frames) become null: strict JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_report(report: QcReport, out_dir: Path) -> tuple[Path, Path]:
    """Write report.json and report.html into out_dir; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    json_path.write_text(report.to_json(), encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
