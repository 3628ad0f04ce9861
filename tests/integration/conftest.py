"""Real servers for integration tests: a nats-server per test, an S3 server per session."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from microdrama.runtime.processes import ManagedProcess, nats_server, rclone_s3


@pytest.fixture
def nats_proc(tmp_path: Path) -> Iterator[ManagedProcess]:
    with nats_server(tmp_path / "js") as server:
        yield server


@pytest.fixture
def nats_url(nats_proc: ManagedProcess) -> str:
    return f"nats://127.0.0.1:{nats_proc.port}"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    access, secret = "mdtest", secrets.token_hex(12)
    with rclone_s3(tmp_path_factory.mktemp("s3"), access, secret) as server:
        yield {"endpoint": f"127.0.0.1:{server.port}", "access_key": access, "secret_key": secret}
