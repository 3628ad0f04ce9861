"""A tiny series (small master, short shots) run through every stage by the real CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "the-last-heir"

GOOD = """Title: Tiny

INT. KITCHEN - NIGHT

MARA faces JULIAN across the table.

JULIAN
You came back.

MARA
(cold)
For what is mine.
"""

# Dialogue with no character cue before it: the parser must name line 5.
MALFORMED = """Title: Broken

INT. KITCHEN - NIGHT

(whispering)
Nobody said this.
"""

TEMPLATE = {"name": "tiny", "upscale": {"width": 720, "height": 1280}, "encode": {"crf": 20, "preset": "veryfast"}}


@dataclass
class Run:
    out: Path
    code: int
    stdout: str
    stderr: str


def make_series(root: Path, episodes: dict[str, str], takes: dict[str, dict[str, bytes]] | None = None) -> Path:
    series = root / "tiny"
    (series / "episodes").mkdir(parents=True)
    shutil.copytree(EXAMPLE / "references", series / "references")
    bible = yaml.safe_load((EXAMPLE / "bible.yaml").read_text())
    bible["id"] = "tiny"
    bible["profiles"] = ["review-540p-h264", "app-1080p-h264"]
    bible["look"]["template"] = "template.yaml"
    bible["episodes"] = [f"episodes/{name}.fountain" for name in episodes]
    (series / "bible.yaml").write_text(yaml.safe_dump(bible))
    (series / "template.yaml").write_text(yaml.safe_dump(TEMPLATE))
    for name, text in episodes.items():
        (series / "episodes" / f"{name}.fountain").write_text(text)
    for episode, files in (takes or {}).items():
        (series / "takes" / episode).mkdir(parents=True)
        for shot, data in files.items():
            (series / "takes" / episode / shot).write_bytes(data)
    return series


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microdrama.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=REPO,
    )


@pytest.fixture(scope="session")
def mixed_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Three episodes in one run: a good one, a malformed script, an unreadable uploaded take."""
    root = tmp_path_factory.mktemp("mixed")
    series = make_series(
        root,
        {"ep01": GOOD, "ep02": MALFORMED, "ep03": GOOD},
        takes={"ep03": {"s02.mp4": b"this is not a video"}},
    )
    out = root / "out"
    proc = run_cli("run", series, "--out", out)
    return Run(out, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def rerun(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The good episode alone, into a fresh output folder: must give the same bytes."""
    root = tmp_path_factory.mktemp("rerun")
    series = make_series(root, {"ep01": GOOD})
    out = root / "out"
    proc = run_cli("run", series, "--out", out)
    return Run(out, proc.returncode, proc.stdout, proc.stderr)
