from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from microdrama.domain.shots import ShotList
from microdrama.media.audio import SAMPLE_RATE
from microdrama.qc.report import write_report
from microdrama.qc.run import run_qc

SRT = "1\n00:00:00,500 --> 00:00:01,000\nEveryone in this family lies, every single one.\n"


def _no_nan(token: str) -> float:
    raise AssertionError(f"report.json holds {token}, which is not JSON")


def _decode_jpeg(b64: str) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return np.asarray(image)


def test_report_pages_show_the_verdict_every_rule_and_each_shot(
    master_with: Callable[..., Path], shot_list: ShotList, clean_mix: np.ndarray, tmp_path: Path
) -> None:
    master = master_with({1: {"flicker": 2.0}, 4: {"cast": (40.0, 0.0, -40.0)}})
    report = run_qc(master, clean_mix, SAMPLE_RATE, SRT, shot_list, expected_width=90, expected_height=160)
    json_path, html_path = write_report(report, tmp_path / "qc")

    doc = json.loads(json_path.read_text(), parse_constant=_no_nan)
    assert doc["verdict"] == "fail" and doc["episode_id"] == "ep001"
    assert {r["id"] for r in doc["rules"]} == {r.id for r in report.rules}
    assert doc["regenerate_shots"] == ["s01", "s04"]
    assert len(doc["frame_luma"]) == 120 and "thumbnails" not in doc

    html = html_path.read_text()
    assert 'class="badge fail big"' in html
    for rule in report.rules:
        assert rule.id in html
    assert "Everyone in this family lies" not in html  # subtitles are judged, not reprinted
    assert html.count("<svg") == 3 and "<script" not in html
    thumbs = dict(re.findall(r'id="shot-(s\d+)"><img src="data:image/jpeg;base64,([^"]+)"', html))
    assert sorted(thumbs) == [s.id for s in shot_list.shots]
    # The contact sheet shows each shot's own middle frame: s04's is the red-cast one.
    s04, s00 = (_decode_jpeg(thumbs[sid]) for sid in ("s04", "s00"))
    assert s04[..., 2].mean() - s04[..., 0].mean() > 40 > abs(s00[..., 2].mean() - s00[..., 0].mean())
    assert re.search(r'<figure class="shot fail" id="shot-s01">', html)
    assert re.search(r'<figure class="shot pass" id="shot-s03">', html)
