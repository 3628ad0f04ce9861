"""The processes of a local stack: their commands, environments, ports and logs."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from microdrama.events.catalog import stream_for
from microdrama.runtime.processes import find_binary, free_port, rclone_s3
from microdrama.runtime.service import Service
from microdrama.stack.state import ProcessRecord, StackSecrets, StackState

BUCKET = "microdrama"
BOOTSTRAP_TENANT = "dev"
# Drain budget per service after SIGTERM (the contract's MD_DRAIN_TIMEOUT_S); finishing holds an episode.
DRAIN_S = {"finishing": 300.0}
DEFAULT_DRAIN_S = 60.0
# Past the drain budget before SIGKILL: room to close connections.
STOP_GRACE_S = 10.0
RAY_OBJECT_STORE_BYTES = 256 * 1024**2
# Heartbeats keep a long handler's message; this bounds how long a crashed service's message waits.
ACK_WAIT_MAX_S = 15.0


class Ports:
    """Free loopback ports, each handed out once."""

    def __init__(self) -> None:
        self._taken: set[int] = set()

    def take(self) -> int:
        while (port := free_port()) in self._taken:
            pass
        self._taken.add(port)
        return port


def ray_temp_dir(root: Path) -> Path:
    # Short and under /tmp: Ray puts Unix sockets in it, and their paths are limited to ~107 bytes.
    return Path("/tmp") / f"md-ray-{hashlib.sha256(str(root).encode()).hexdigest()[:10]}"


def _nats(root: Path, ports: Ports) -> ProcessRecord:
    client, monitor = ports.take(), ports.take()
    store = root / "nats"
    config = root / "nats.conf"
    # Every write synced before its ack: a killed server loses no acknowledged event.
    config.write_text(
        f"listen: 127.0.0.1:{client}\n"
        f"http: 127.0.0.1:{monitor}\n"
        f'jetstream {{\n  store_dir: "{store}"\n  sync_interval: always\n}}\n',
        encoding="utf-8",
    )
    return ProcessRecord(
        name="nats",
        kind="nats",
        args=[find_binary("nats-server"), "-c", str(config)],
        env={},
        ports={"client": client, "monitor": monitor},
        log=str(root / "logs" / "nats.log"),
        stop_timeout_s=STOP_GRACE_S,
    )


def _s3(root: Path, ports: Ports, keys: StackSecrets) -> ProcessRecord:
    server = rclone_s3(root / "s3", keys.s3_access_key, keys.s3_secret_key, ports.take())
    return ProcessRecord(
        name="s3",
        kind="s3",
        args=server.args,
        env={},
        ports={"s3": server.port},
        log=str(root / "logs" / "s3.log"),
        stop_timeout_s=STOP_GRACE_S,
    )


def _ray(root: Path, ports: Ports, keys: StackSecrets, cpus: int) -> ProcessRecord:
    gcs, client, agent, dashboard = (ports.take() for _ in range(4))
    args = [
        find_binary("ray"),
        "start",
        "--head",
        "--block",  # stays in the foreground, so its pid is the cluster's; SIGTERM stops it all
        f"--port={gcs}",
        f"--ray-client-server-port={client}",
        f"--dashboard-agent-listen-port={agent}",
        f"--dashboard-port={dashboard}",
        "--include-dashboard=false",
        f"--num-cpus={cpus}",
        f"--object-store-memory={RAY_OBJECT_STORE_BYTES}",
        f"--temp-dir={ray_temp_dir(root)}",
        "--disable-usage-stats",
    ]
    return ProcessRecord(
        name="ray",
        kind="ray",
        args=args,
        # Token authentication on, with this stack's own token (not whatever ~/.ray/auth_token holds).
        env={"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": keys.ray_token},
        ports={"gcs": gcs, "client": client},
        log=str(root / "logs" / "ray.log"),
        stop_timeout_s=60.0,
    )


def _service(service: Service, root: Path, ports: Ports, keys: StackSecrets, shared: dict[str, str]) -> ProcessRecord:
    grpc, metrics = ports.take(), ports.take()
    drain = DRAIN_S.get(service.name, DEFAULT_DRAIN_S)
    env = {
        **shared,
        "MD_GRPC_LISTEN": f"127.0.0.1:{grpc}",
        "MD_METRICS_LISTEN": f"127.0.0.1:{metrics}",
        "MD_LOG_FORMAT": "json",
        "MD_DRAIN_TIMEOUT_S": f"{drain:g}",
        "PYTHONUNBUFFERED": "1",
    }
    if service.name == "finishing":
        env |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": keys.ray_token}
    else:
        env.pop("MD_RAY_ADDRESS", None)
    if service.name == "studio":
        env |= {
            "MD_ADMIN_KEY": keys.admin_key,
            "MD_BOOTSTRAP_TENANT": BOOTSTRAP_TENANT,
            "MD_BOOTSTRAP_API_KEY": keys.api_key,
            "MD_S3_PUBLIC_ENDPOINT": shared["MD_S3_ENDPOINT"],
        }
    return ProcessRecord(
        name=service.name,
        kind="service",
        args=[sys.executable, "-m", "microdrama.cli", "serve", service.name],
        env=env,
        ports={"grpc": grpc, "metrics": metrics},
        log=str(root / "logs" / f"{service.name}.log"),
        stop_timeout_s=drain + STOP_GRACE_S,
        consumers=[(stream_for(sub.subject), service.durable(sub)) for sub in service.subscriptions],
    )


def plan_stack(root: Path, keys: StackSecrets, services: list[Service], ray_cpus: int) -> StackState:
    """Every process of a stack in `root`, on fresh free loopback ports; writes nats.conf.

    The Ray head is there only for finishing, its one client.
    """
    ports = Ports()
    nats, s3 = _nats(root, ports), _s3(root, ports, keys)
    ray = [_ray(root, ports, keys, ray_cpus)] if any(s.name == "finishing" for s in services) else []
    nats_url = f"nats://127.0.0.1:{nats.ports['client']}"
    s3_endpoint = f"127.0.0.1:{s3.ports['s3']}"
    ray_address = f"127.0.0.1:{ray[0].ports['gcs']}" if ray else ""
    shared = {
        "MD_NATS_URL": nats_url,
        "MD_STORE": "s3",
        "MD_S3_ENDPOINT": s3_endpoint,
        "MD_S3_SECURE": "false",
        "MD_S3_BUCKET": BUCKET,
        "MD_S3_ACCESS_KEY": keys.s3_access_key,
        "MD_S3_SECRET_KEY": keys.s3_secret_key,
        "MD_ACK_WAIT_MAX_S": f"{ACK_WAIT_MAX_S:g}",
    } | ({"MD_RAY_ADDRESS": ray_address} if ray else {})
    records = [nats, s3, *ray, *(_service(s, root, ports, keys, shared) for s in services)]
    gateway = next((r.env["MD_GRPC_LISTEN"] for r in records if r.name == "studio"), "")
    return StackState(
        root=str(root),
        gateway=gateway,
        nats_url=nats_url,
        nats_monitor=f"http://127.0.0.1:{nats.ports['monitor']}",
        s3_endpoint=s3_endpoint,
        s3_bucket=BUCKET,
        ray_address=ray_address,
        processes={r.name: r for r in records},
    )
