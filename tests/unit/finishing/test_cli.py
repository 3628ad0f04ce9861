import io
import json
import wave
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import structlog
from rich.console import Console

from microdrama.cli import build_parser
from microdrama.finishing.sheet import CAPTION, GAP, THUMB_HEIGHT
from microdrama.finishing.template import load_template
from microdrama.media.video import EncodeSettings, VideoWriter, read_video

from .synth import FRAMES, HEIGHT, WIDTH, frames_of, scene

SMALL = "upscale: {width: 144, height: 256}\ngrade: {strength: 1.0}\n"


@pytest.fixture(autouse=True)
def default_logging() -> Iterator[None]:
    """`finish` points logging at a file in its output folder; later tests log as usual again."""
    yield
    structlog.reset_defaults()


def run(*argv: str | Path) -> tuple[int, str]:
    args = build_parser().parse_args([str(a) for a in argv])
    out = io.StringIO()
    code: int = args.func(args, Console(file=out, width=400, color_system=None))
    return code, out.getvalue()


def write_take(path: Path, frames: list[np.ndarray]) -> Path:
    height, width = frames[0].shape[:2]
    with VideoWriter(path, width, height, 24, EncodeSettings(crf=4, preset="ultrafast")) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def bad_inputs(folder: Path) -> list[Path]:
    unreadable = folder / "garbage.mp4"
    unreadable.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    sound = folder / "sound.wav"
    with wave.open(str(sound), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(1600))
    absurd = folder / "absurd.y4m"  # a header claiming 9000x16000 pixels
    absurd.write_bytes(b"YUV4MPEG2 W9000 H16000 F24:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(1000))
    empty = folder / "empty.mp4"
    empty.touch()
    broken = folder / "broken.y4m"  # probes fine, then the third frame is corrupt
    frame = bytes([128]) * (WIDTH * HEIGHT * 3 // 2)
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F24:1 Ip A1:1 C420jpeg\n".encode()
    broken.write_bytes(header + (b"FRAME\n" + frame) * 2 + b"FRAXE\n" + frame)
    return [unreadable, sound, absurd, empty, broken]


def test_finish_writes_every_good_shot_and_reports_each_bad_one(tmp_path: Path) -> None:
    good = [
        write_take(tmp_path / "s01 wide.mp4", frames_of(scene(1), np.ones(FRAMES))),
        write_take(tmp_path / "s02.mp4", frames_of(scene(2) * np.array([1.2, 1.0, 0.8], np.float32), np.ones(FRAMES))),
    ]
    template = tmp_path / "look.yaml"
    template.write_text(SMALL)
    out = tmp_path / "out"
    code, console = run("finish", *good, *bad_inputs(tmp_path), "--out", out, "--template", template)

    assert code == 1
    for name in ("s01-wide", "s02"):
        assert read_video(out / f"{name}.mp4").shape == (FRAMES, 256, 144, 3)
    report = json.loads((out / "finishing.json").read_text())
    assert report["template_hash"] and report["template"]["upscale"]["width"] == 144
    assert {s["shot_id"] for s in report["shots"]} == {"s01-wide", "s02"}
    assert all(s["before"]["lab_mean"] and s["after"]["size"] == [144, 256] for s in report["shots"])
    assert {"analysis", "motion", "reframe", "grade", "master"} <= set(report["stages"])
    errors = {f["shot_id"]: f["error"] for f in report["failed"]}
    assert "garbage.mp4: not a readable media file" in errors["garbage"]
    assert "sound.wav: no video stream" in errors["sound"]
    assert "absurd.y4m: resolution 9000x16000 over the limit" in errors["absurd"]
    assert "empty.mp4: file is empty" in errors["empty"]
    assert "broken.y4m: decode failed at frame 2" in errors["broken"]
    assert report["reference_auto"] and "picked automatically" in console
    assert "5 of 7 shots failed" in console


def test_named_reference_is_used_and_said_so(tmp_path: Path) -> None:
    shots = [write_take(tmp_path / f"s{i}.mp4", frames_of(scene(i), np.ones(6))) for i in (1, 2)]
    template = tmp_path / "look.yaml"
    template.write_text(SMALL)
    out = tmp_path / "out"
    code, console = run("finish", *shots, "--out", out, "--template", template, "--reference", shots[1])
    report = json.loads((out / "finishing.json").read_text())
    assert code == 0 and report["reference_shot"] == "s2" and not report["reference_auto"]
    # Two unrelated pictures share no region: the report says s1 fell back to statistics, for a colourist to check.
    assert {s["shot_id"]: s["grade"]["matched_by"] for s in report["shots"]} == {
        "s1": "Lab statistics",
        "s2": "reference",
    }
    assert "reference shot: s2 (named by --reference)" in console
    code, console = run("finish", *shots, "--out", out, "--reference", "s9")
    assert code == 2 and "'s9' is not one of the input shots" in console


def test_the_sheet_shows_each_shot_before_and_after_with_the_cast_gone(tmp_path: Path) -> None:
    cast = np.array([1.25, 1.0, 0.8], np.float32)
    shots = [
        write_take(tmp_path / "s1.mp4", frames_of(scene(3), np.ones(FRAMES))),
        write_take(tmp_path / "s2.mp4", frames_of(scene(3) * cast, np.ones(FRAMES))),
    ]
    template = tmp_path / "look.yaml"
    template.write_text(SMALL)
    out = tmp_path / "out"
    code, console = run("finish", *shots, "--out", out, "--template", template, "--reference", "s1")
    assert code == 0 and f"before and after, shot by shot: {out / 'finishing-sheet.jpg'}" in console
    assert json.loads((out / "finishing.json").read_text())["sheet"] == str(out / "finishing-sheet.jpg")

    sheet = cv2.cvtColor(cv2.imread(str(out / "finishing-sheet.jpg")), cv2.COLOR_BGR2RGB)
    column = round(THUMB_HEIGHT * 144 / 256)  # the finished 144x256 pictures are the wider ones

    def cell(row: int, shot: int) -> np.ndarray:
        y, x = GAP + row * (THUMB_HEIGHT + GAP), GAP + shot * (column + GAP)
        return sheet[y + 20 : y + THUMB_HEIGHT - 20, x + 10 : x + column - 10].reshape(-1, 3).mean(axis=0)

    assert sheet.shape == (GAP + 2 * THUMB_HEIGHT + GAP + CAPTION + GAP, GAP + 2 * (column + GAP), 3)
    # Upper row as shot: the cast shows. Lower row as finished: s2 looks like s1.
    assert np.abs(cell(0, 1) - cell(0, 0)).max() > 15
    assert np.abs(cell(1, 1) - cell(1, 0)).max() < 4


def test_template_lock_then_validate_catches_any_later_edit(tmp_path: Path) -> None:
    source = tmp_path / "series.yaml"
    source.write_text("name: noir\ngrade: {strength: 0.7}\n")
    code, console = run("template", "lock", source)
    locked = tmp_path / "series.locked.yaml"
    assert code == 0 and locked.is_file()
    template = load_template(locked)
    assert template.locked is not None and template.locked.hash in console
    assert run("template", "validate", locked)[0] == 0
    assert run("template", "lock", locked, "--out", tmp_path / "again.yaml")[0] == 0
    assert (tmp_path / "again.yaml").read_text() == locked.read_text()  # locking is idempotent

    locked.write_text(locked.read_text().replace("strength: 0.7", "strength: 0.9"))
    code, console = run("template", "validate", locked)
    assert code == 2 and "locked.hash: the template was changed after it was locked" in console


def test_template_show_and_validate_name_a_bad_key(tmp_path: Path) -> None:
    code, console = run("template", "show")
    assert code == 0 and "reframe:" in console and "# sha256 " in console
    bad = tmp_path / "bad.yaml"
    bad.write_text("motion: {fps: 500}\nreframe: {mode: squash}\n")
    code, console = run("template", "validate", bad)
    assert code == 2 and "motion.fps" in console and "reframe.mode" in console
