"""`up`, `down` and `restart` on a small stack (NATS, S3 and one service): processes, files, stale stacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from microdrama.stack.detached import alive, kill
from microdrama.stack.lifecycle import down, restart, up
from microdrama.stack.state import StackState, read_state
from tests.conftest import REPO

pytestmark = pytest.mark.integration


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def pids(state: StackState) -> dict[str, int]:
    return {name: record.pid for name, record in state.processes.items()}


def test_up_down_restart_and_a_stale_stack(tmp_path: Path) -> None:
    root = tmp_path / "stack"
    try:
        first = up(root, services=["script"])
        assert first.started and list(first.state.processes) == ["nats", "s3", "script"]
        assert all(alive(r.launched) for r in first.state.processes.values())
        assert (root / "logs" / "script.log").is_file() and (root / "logs" / "nats.log").is_file()
        env = dotenv_values(root / "stack.env")
        assert env["MD_NATS_URL"] == first.state.nats_url and env["MD_API_KEY"] == first.keys.api_key
        assert "MD_RAY_ADDRESS" not in env  # no finishing, no Ray head
        assert os.stat(root / "stack.env").st_mode & 0o077 == 0, "keys readable by others"
        script_env = first.state.processes["script"].env
        assert script_env["MD_STORE"] == "s3" and script_env["MD_LOG_FORMAT"] == "json"

        # A second `up` from the command line finds it running and starts nothing.
        again = subprocess.run(
            [sys.executable, "-m", "microdrama.cli", "up", "--out", str(root)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )
        assert again.returncode == 0 and "already running" in again.stdout, again.stdout + again.stderr
        assert pids(read_state(root)) == pids(first.state)  # type: ignore[arg-type]

        # One process restarted: same command and environment, a new pid.
        restarted = restart(root, "script")
        assert restarted.pid != first.state.processes["script"].pid and alive(restarted.launched)
        assert restarted.env == script_env

        # A crashed process makes the stack stale: `up` clears what is left and starts afresh, same keys.
        kill(restarted.launched)
        second = up(root, services=["script"])
        assert second.started and second.keys == first.keys
        assert not alive(first.state.processes["nats"].launched)
        assert all(alive(r.launched) for r in second.state.processes.values())
    finally:
        stopped = down(root)
    assert stopped == ["script", "s3", "nats"]
    assert not any(listening(port) for r in second.state.processes.values() for port in r.ports.values())
    assert down(root) == [] and not (root / "stack.json").exists()
