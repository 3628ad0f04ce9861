"""Servers started from their pip wheels (nats-server, rclone), on free loopback ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_binary(name: str) -> str:
    """Prefer the binary the venv's wheel installed beside this interpreter."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: install the project (it comes from a pip wheel)")
    return found


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0, what: str = "server") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


class ManagedProcess:
    """A child server that is stopped on exit, also on Ctrl-C and on error."""

    def __init__(self, args: list[str], port: int, what: str, log_path: Path | None = None) -> None:
        self.args, self.port, self.what, self.log_path = args, port, what, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc, what=self.what)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ManagedProcess:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def nats_server(store_dir: Path, port: int | None = None, log_path: Path | None = None) -> ManagedProcess:
    port = port or free_port()
    store_dir.mkdir(parents=True, exist_ok=True)
    args = [find_binary("nats-server"), "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store_dir)]
    return ManagedProcess(args, port, "nats-server", log_path)


def rclone_s3(root: Path, access_key: str, secret_key: str, port: int | None = None) -> ManagedProcess:
    port = port or free_port()
    root.mkdir(parents=True, exist_ok=True)
    args = [
        find_binary("rclone"),
        "serve",
        "s3",
        "--auth-key",
        f"{access_key},{secret_key}",
        "--addr",
        f"127.0.0.1:{port}",
        str(root),
    ]
    return ManagedProcess(args, port, "rclone serve s3")
