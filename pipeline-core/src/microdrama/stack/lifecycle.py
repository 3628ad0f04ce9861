"""Bring a local stack up, take it down, restart one of its processes; one folder holds one stack."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from microdrama.runtime.discovery import load_services
from microdrama.stack.detached import alive, spawn, stop
from microdrama.stack.plan import plan_stack, ray_temp_dir
from microdrama.stack.readiness import SERVERS, wait_ready
from microdrama.stack.state import (
    ENV_FILE,
    STATE_FILE,
    ProcessRecord,
    StackError,
    StackSecrets,
    StackState,
    env_lines,
    read_state,
    write_env,
    write_state,
)
from microdrama.store.s3 import S3Store

# Stopped in this order: nothing is left without what it talks to while it drains.
STOP_ORDER = ("service", "ray", "s3", "nats")


@dataclass(frozen=True)
class UpResult:
    state: StackState
    keys: StackSecrets
    # False when a stack from this folder was already running and nothing was started.
    started: bool


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One `up`, `down` or `restart` at a time per folder."""
    with open(root / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _environment(record: ProcessRecord) -> dict[str, str]:
    # The caller's MD_*/RAY_* settings (an operator's sourced stack.env, a dev's MD_STORE) must not leak in.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("MD_", "RAY_"))}
    return inherited | record.env


def _launch(root: Path, state: StackState, name: str) -> ProcessRecord:
    record = state.processes[name]
    launched = spawn(record.args, _environment(record), Path(record.log), root)
    state.processes[name] = record.model_copy(update={"pid": launched.pid, "started": launched.started})
    write_state(root, state)
    return state.processes[name]


def _stop_all(state: StackState) -> list[str]:
    """Stop every live process of `state`, services first (in parallel, each within its drain budget)."""
    stopped = []
    for kind in STOP_ORDER:
        records = [r for r in state.processes.values() if r.kind == kind and r.pid and alive(r.launched)]
        with ThreadPoolExecutor(max_workers=max(1, len(records))) as pool:
            list(pool.map(lambda r: stop(r.launched, r.stop_timeout_s), records))
        stopped += [r.name for r in records]
    shutil.rmtree(ray_temp_dir(Path(state.root)), ignore_errors=True)
    return stopped


def running(state: StackState) -> list[str]:
    return [name for name, record in state.processes.items() if record.pid and alive(record.launched)]


def up(root: Path, *, services: list[str] | None = None, ray_cpus: int = 2, timeout_s: float = 180.0) -> UpResult:
    """Start the stack in `root` and wait until it is ready; a live one is left as it is, a stale one replaced."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        keys = StackSecrets.load_or_create(root / ENV_FILE)
        old = read_state(root)
        if old is not None:
            if len(running(old)) == len(old.processes):
                return UpResult(old, keys, started=False)
            _stop_all(old)
        state = plan_stack(root, keys, load_services(services), ray_cpus)
        write_env(root, env_lines(state, keys))
        try:
            for name, record in list(state.processes.items()):
                if record.kind != "service":
                    _launch(root, state, name)
            asyncio.run(wait_ready(state, keys, timeout_s, SERVERS))
            S3Store(state.s3_endpoint, keys.s3_access_key, keys.s3_secret_key, state.s3_bucket, secure=False)
            for name, record in list(state.processes.items()):
                if record.kind == "service":
                    _launch(root, state, name)
            asyncio.run(wait_ready(state, keys, timeout_s))
        except BaseException:
            _stop_all(state)
            (root / STATE_FILE).unlink(missing_ok=True)
            raise
        return UpResult(state, keys, started=True)


def down(root: Path) -> list[str]:
    """Stop the stack in `root` (services drain first); returns what was running. Idempotent."""
    root = root.resolve()
    if not root.is_dir():
        return []
    with _locked(root):
        state = read_state(root)
        if state is None:
            return []
        stopped = _stop_all(state)
        (root / STATE_FILE).unlink()
        return stopped


def restart(root: Path, name: str, timeout_s: float = 180.0) -> ProcessRecord:
    """Start one process of the stack again with the same command and environment, stopping it first if alive."""
    root = root.resolve()
    with _locked(root):
        state = read_state(root)
        if state is None:
            raise StackError(f"no stack in {root} (run `microdrama up --out {root}`)")
        if name not in state.processes:
            raise StackError(f"no process {name!r} in the stack (there are: {', '.join(state.processes)})")
        record = state.processes[name]
        if record.pid and alive(record.launched):
            stop(record.launched, record.stop_timeout_s)
        record = _launch(root, state, name)
        asyncio.run(wait_ready(state, StackSecrets.load_or_create(root / ENV_FILE), timeout_s))
        return record
