"""Is the stack ready? Each probe returns what is not ready yet (empty when it is)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import nats
from grpc_health.v1 import health_pb2, health_pb2_grpc
from minio import Minio
from nats.js.errors import NotFoundError

from microdrama.stack.detached import alive
from microdrama.stack.state import StackError, StackSecrets, StackState

Probe = Callable[[StackState, StackSecrets], Awaitable[list[str]]]
LOG_TAIL_LINES = 15


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def nats_ready(state: StackState, keys: StackSecrets) -> list[str]:
    return [] if _listening(state.processes["nats"].ports["client"]) else ["nats-server not listening"]


async def s3_ready(state: StackState, keys: StackSecrets) -> list[str]:
    return [] if _listening(state.processes["s3"].ports["s3"]) else ["S3 server not listening"]


async def bucket_ready(state: StackState, keys: StackSecrets) -> list[str]:
    client = Minio(
        state.s3_endpoint,
        access_key=keys.s3_access_key,
        secret_key=keys.s3_secret_key,
        secure=False,
        region="us-east-1",
    )
    exists = await asyncio.to_thread(client.bucket_exists, state.s3_bucket)
    return [] if exists else [f"bucket {state.s3_bucket} missing"]


async def ray_ready(state: StackState, keys: StackSecrets) -> list[str]:
    ray = state.processes.get("ray")
    return [] if ray is None or _listening(ray.ports["gcs"]) else ["Ray head (GCS) not listening"]


async def consumers_ready(state: StackState, keys: StackSecrets) -> list[str]:
    """A service is ready once its durable consumers exist: it connected to NATS (and finishing to Ray)."""
    missing = []
    nc = await nats.connect(state.nats_url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    try:
        js = nc.jetstream()
        for record in state.processes.values():
            for stream, durable in record.consumers:
                try:
                    await js.consumer_info(stream, durable)
                except NotFoundError:
                    missing.append(f"{record.name}: consumer {durable} not there yet")
    finally:
        await nc.close()
    return missing


async def services_serving(state: StackState, keys: StackSecrets) -> list[str]:
    """Every service answers gRPC health SERVING (connected to NATS, consumers running, not draining)."""
    waiting = []
    for record in state.processes.values():
        if "grpc" not in record.ports:
            continue
        async with grpc.aio.insecure_channel(f"127.0.0.1:{record.ports['grpc']}") as channel:
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
                serving = reply.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.aio.AioRpcError:
                serving = False
        if not serving:
            waiting.append(f"{record.name}: gRPC health not SERVING yet")
    return waiting


# The servers services need; then all of it, in order (consumers need NATS).
SERVERS: tuple[Probe, ...] = (nats_ready, s3_ready, ray_ready)
PROBES: tuple[Probe, ...] = (*SERVERS, bucket_ready, consumers_ready, services_serving)


def log_tail(path: str, lines: int = LOG_TAIL_LINES) -> str:
    log = Path(path)
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.is_file() else "(no log)"


def check_alive(state: StackState) -> None:
    """A process that exited while starting will never be ready: say which, with the end of its log."""
    for record in state.processes.values():
        if record.pid and not alive(record.launched):
            raise StackError(f"{record.name} exited while starting; end of {record.log}:\n{log_tail(record.log)}")


async def wait_ready(
    state: StackState, keys: StackSecrets, timeout_s: float, probes: tuple[Probe, ...] = PROBES, poll_s: float = 0.5
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        check_alive(state)
        waiting: list[str] = []
        for probe in probes:
            try:
                waiting += await probe(state, keys)
            except (OSError, nats.errors.Error, TimeoutError) as exc:
                waiting.append(f"{probe.__name__}: {type(exc).__name__}: {exc}")
            if waiting:
                break  # later probes build on earlier ones
        if not waiting:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise StackError(f"stack not ready after {timeout_s:.0f}s: " + "; ".join(waiting))
        await asyncio.sleep(poll_s)
