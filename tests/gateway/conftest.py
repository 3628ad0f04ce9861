"""The gateway and one stage service as real processes, with TLS, over a real nats-server and S3 server."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import trustme
from grpc_health.v1 import health_pb2, health_pb2_grpc

from microdrama.runtime.processes import free_port, nats_server, rclone_s3
from microdrama.runtime.tls import channel_credentials
from tests.conftest import REPO

ADMIN_KEY = "md_admin_" + secrets.token_hex(8)
ALPHA_KEY = "md_alpha_" + secrets.token_hex(8)


@dataclass
class Tls:
    ca: Path
    client_cert: Path
    client_key: Path


@dataclass
class Proc:
    address: str
    metrics: str
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    tls: Tls
    gateway: Proc
    script: Proc
    nats_url: str
    env: dict[str, str]


def _certs(root: Path) -> tuple[Tls, dict[str, str]]:
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("operator.microdrama.test")
    files = {
        "ca": root / "ca.pem",
        "cert": root / "server.pem",
        "key": root / "server.key",
        "ccert": root / "client.pem",
        "ckey": root / "client.key",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    server.cert_chain_pems[0].write_to_path(str(files["cert"]))
    server.private_key_pem.write_to_path(str(files["key"]))
    client.cert_chain_pems[0].write_to_path(str(files["ccert"]))
    client.private_key_pem.write_to_path(str(files["ckey"]))
    env = {
        "MD_TLS_CERT_FILE": str(files["cert"]),
        "MD_TLS_KEY_FILE": str(files["key"]),
        "MD_TLS_CA_FILE": str(files["ca"]),
    }
    return Tls(files["ca"], files["ccert"], files["ckey"]), env


def wait_serving(address: str, credentials: grpc.ChannelCredentials, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    with grpc.secure_channel(address, credentials) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"service exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise TimeoutError(f"{address} not serving:\n{log.read_text()[-3000:]}")


def start_service(name: str, env: dict[str, str], root: Path, tls: Tls) -> Proc:
    port, metrics = free_port(), free_port()
    log = root / f"{name}.log"
    full = dict(os.environ, **env, MD_GRPC_LISTEN=f"127.0.0.1:{port}", MD_METRICS_LISTEN=f"127.0.0.1:{metrics}")
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "microdrama.cli", "serve", name], env=full, stdout=out, stderr=out, cwd=REPO
        )
    address = f"localhost:{port}"
    creds = channel_credentials(tls.ca, tls.client_cert, tls.client_key)
    wait_serving(address, creds, popen, log)
    return Proc(address, f"127.0.0.1:{metrics}", popen, log)


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("gateway")
    tls, tls_env = _certs(root)
    access, secret = "mdtest", secrets.token_hex(12)
    with nats_server(root / "js") as nats, rclone_s3(root / "s3", access, secret) as s3:
        env = {
            **tls_env,
            "MD_NATS_URL": f"nats://127.0.0.1:{nats.port}",
            "MD_STORE": "s3",
            "MD_S3_ENDPOINT": f"127.0.0.1:{s3.port}",
            "MD_S3_SECURE": "false",
            "MD_S3_ACCESS_KEY": access,
            "MD_S3_SECRET_KEY": secret,
            "MD_LOG_FORMAT": "json",
            "MD_DRAIN_TIMEOUT_S": "5",
        }
        gateway_env = dict(
            env,
            MD_ADMIN_KEY=ADMIN_KEY,
            MD_BOOTSTRAP_TENANT="alpha",
            MD_BOOTSTRAP_API_KEY=ALPHA_KEY,
            MD_GRPC_MAX_MESSAGE_BYTES=str(1024 * 1024),
        )
        procs = []
        try:
            procs.append(start_service("studio", gateway_env, root, tls))
            procs.append(start_service("script", env, root, tls))
            yield Cluster(tls, procs[0], procs[1], env["MD_NATS_URL"], env)
        finally:
            for p in procs:
                p.popen.terminate()
            for p in procs:
                p.popen.wait(30)
