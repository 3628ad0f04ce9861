"""Processes that outlive the command starting them: own session, log file, identity checked by start time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Launched:
    pid: int
    # Kernel start time of the process (clock ticks since boot): a recycled pid has another one.
    started: int


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    return text[text.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def spawn(args: list[str], env: dict[str, str], log_path: Path, cwd: Path) -> Launched:
    """Start `args` in a new session (so it survives us and its group can be signalled), output to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Launched(proc.pid, start_ticks(proc.pid) or 0)


def alive(launched: Launched) -> bool:
    # Our own child that exited stays a zombie until reaped: reap it first (no-op for others' children).
    with contextlib.suppress(ChildProcessError):
        os.waitpid(launched.pid, os.WNOHANG)
    fields = _stat(launched.pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return int(fields[19]) == launched.started


def wait_gone(launched: Launched, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while alive(launched):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop(launched: Launched, timeout_s: float) -> bool:
    """SIGTERM, wait up to `timeout_s` for a clean exit, then SIGKILL its whole group. True if it exited itself."""
    if not alive(launched):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(launched.pid, signal.SIGTERM)
    if wait_gone(launched, timeout_s):
        return True
    if alive(launched):
        # It leads its own session, so its group id is its pid: children it left running go with it.
        # Signalled only while the leader is alive and verified, so the group cannot be someone else's.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launched.pid, signal.SIGKILL)
    wait_gone(launched, 10.0)
    return False


def kill(launched: Launched) -> None:
    """SIGKILL the process alone, as a crash would (its group is left to `stop`)."""
    if alive(launched):
        os.kill(launched.pid, signal.SIGKILL)
        wait_gone(launched, 10.0)
