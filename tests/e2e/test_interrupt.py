"""Ctrl-C during a run stops it promptly and leaves no nats-server behind."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import GOOD, make_series

pytestmark = pytest.mark.e2e


def logged(log: Path, event: str) -> dict[str, object] | None:
    if not log.exists():
        return None
    for line in log.read_text().splitlines():
        doc = json.loads(line)
        if doc.get("event") == event:
            return dict(doc)
    return None


def test_interrupt_stops_the_run_and_its_servers(tmp_path: Path) -> None:
    series = make_series(tmp_path, {"ep01": GOOD})
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "microdrama.cli", "run", str(series), "--out", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        # Wait until work is under way (a take rendered), then interrupt as a user would.
        while logged(out / "run.log", "take rendered") is None:
            assert proc.poll() is None and time.monotonic() < deadline, "the run never got going"
            time.sleep(0.2)
        started = logged(out / "run.log", "stack started")
        assert started is not None
        port = int(str(started["nats"]).rsplit(":", 1)[1])
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, output
    assert "interrupted" in output
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "nats-server still listening after the interrupt"
