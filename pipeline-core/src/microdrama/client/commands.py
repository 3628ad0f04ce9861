"""`microdrama submit`, `microdrama status --gateway` and `microdrama admin`: the partner's commands.

--gateway, --api-key and --admin-key default to MD_GATEWAY, MD_API_KEY and MD_ADMIN_KEY.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from md.studio.v1 import studio_pb2 as pb
from microdrama.client.connection import Gateway, GatewayClient
from microdrama.client.submit import submit_series
from microdrama.errors import InputError

Command = Callable[[argparse.Namespace, Console], int]
_STATES_DONE = (pb.EPISODE_STATE_DELIVERED, pb.EPISODE_STATE_FAILED, pb.EPISODE_STATE_QC_FAILED)


def state_name(state: int) -> str:
    return pb.EpisodeState.Name(state).removeprefix("EPISODE_STATE_").lower().replace("unspecified", "unsubmitted")


def progress_percent(e: pb.Episode) -> float:
    """A rough share of the work done, from the state and the shots counted so far."""
    shots = max(e.shots_total, 1)
    return {
        pb.EPISODE_STATE_SUBMITTED: 0.0,
        pb.EPISODE_STATE_SCRIPTED: 10 + 30 * e.shots_generated / shots,
        pb.EPISODE_STATE_SHOTS_READY: 40 + 30 * e.shots_finished / shots,
        pb.EPISODE_STATE_FINISHED: 70.0,
        pb.EPISODE_STATE_MIXED: 80.0,
        pb.EPISODE_STATE_QC_PASSED: 90.0,
        pb.EPISODE_STATE_APPROVED: 90.0,
    }.get(e.state, 100.0)


def add_gateway_args(parser: argparse.ArgumentParser, key: str = "api-key") -> None:
    parser.add_argument("--gateway", default=os.environ.get("MD_GATEWAY"), help="host:port (MD_GATEWAY)")
    env = "MD_" + key.upper().replace("-", "_")
    parser.add_argument(f"--{key}", default=os.environ.get(env), help=f"credential ({env})")
    parser.add_argument(
        "--tls-ca", type=Path, default=os.environ.get("MD_TLS_CA_FILE"), help="CA of the gateway's TLS certificate"
    )


def _gateway(args: argparse.Namespace, key: str) -> Gateway:
    credential = getattr(args, key.replace("-", "_"))
    if not args.gateway:
        raise InputError("no gateway: pass --gateway HOST:PORT or set MD_GATEWAY")
    if not credential:
        raise InputError(f"no credential: pass --{key} or set MD_{key.upper().replace('-', '_')}")
    return Gateway(args.gateway, credential, args.tls_ca)


def _run(work: Callable[[], Any], console: Console) -> int:
    try:
        result: int = asyncio.run(work())
        return result
    except InputError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    except grpc.aio.AioRpcError as exc:
        console.print(f"[bold red]error:[/] {exc.code().name}: {exc.details()}")
        return 1


async def _watch(client: GatewayClient, op: pb.Operation, bars: Progress, task: TaskID) -> pb.Episode:
    episode = op.episode
    async for update in client.watch(episode.series_id, episode.id):
        episode = update.episode
        detail = f"{episode.shots_finished}/{episode.shots_total} shots finished" if episode.shots_total else ""
        bars.update(task, completed=progress_percent(episode), state=state_name(episode.state), detail=detail)
        if episode.state in _STATES_DONE:
            break
    return episode


def cmd_submit(args: argparse.Namespace, console: Console) -> int:
    only = args.episodes.split(",") if args.episodes else None

    async def work() -> int:
        async with GatewayClient(_gateway(args, "api-key")) as client:
            with console.status("uploading") as status:
                ops = await submit_series(
                    client, args.series_dir, only, on_upload=lambda u: status.update(f"uploaded {u.header.name}")
                )
            for op in ops:
                console.print(f"submitted {op.episode.series_id}/{op.episode.id}: {op.name}")
            if not args.wait:
                return 0
            bars = Progress(
                TextColumn("{task.description:<12}"),
                BarColumn(),
                TextColumn("{task.fields[state]:<12} {task.fields[detail]}"),
                TimeElapsedColumn(),
                console=console,
            )
            with bars:
                tasks = [bars.add_task(op.episode.id, total=100, state="submitted", detail="") for op in ops]
                episodes = await asyncio.gather(
                    *(_watch(client, op, bars, t) for op, t in zip(ops, tasks, strict=True))
                )
            table = Table(title="deliverables")
            for col in ("episode", "state", "object key", "download URL (presigned)"):
                table.add_column(col, overflow="fold")
            for episode in episodes:
                files = (
                    await client.deliverables(episode.series_id, episode.id)
                    if episode.state == pb.EPISODE_STATE_DELIVERED
                    else []
                )
                note = episode.error_reason or ", ".join(episode.failed_rules)
                table.add_row(episode.id, state_name(episode.state), note, "")
                for f in files:
                    table.add_row("", f.profile, f.object_key, f.download_url)
            console.print(table)
            return 0 if all(e.state == pb.EPISODE_STATE_DELIVERED for e in episodes) else 1

    return _run(work, console)


def _episode_doc(e: pb.Episode) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": e.id, "state": state_name(e.state), "shots_total": e.shots_total}
    doc["shots_finished"] = e.shots_finished
    if e.failed_rules:
        doc["failed_rules"] = list(e.failed_rules)
    if e.error_reason:
        doc["error"] = {"stage": e.error_stage, "reason": e.error_reason}
    return doc


def gateway_status(args: argparse.Namespace, console: Console) -> int:
    async def work() -> int:
        gateway = _gateway(args, "api-key")
        async with GatewayClient(gateway) as client:
            series = await client.list_series()
        if args.episode:
            found = [(s.id, e) for s in series for e in s.episodes if e.id == args.episode]
            if not found:
                console.print(f"[bold red]error:[/] episode {args.episode!r} not found")
                return 1
            docs = [{"series": sid, **_episode_doc(e)} for sid, e in found]
            if args.json:
                console.print_json(json.dumps(docs))
            else:
                for doc in docs:
                    console.print(doc)
            return 0
        if args.json:
            listing = [
                {"id": s.id, "title": s.title, "episodes": [_episode_doc(e) for e in s.episodes]} for s in series
            ]
            console.print_json(json.dumps(listing))
            return 0
        table = Table(title=f"series at {gateway.address}")
        for col in ("series", "episode", "state", "shots", "detail"):
            table.add_column(col)
        for s in series:
            for e in s.episodes:
                detail = e.error_reason or ", ".join(e.failed_rules)
                table.add_row(s.id, e.id, state_name(e.state), f"{e.shots_finished}/{e.shots_total}", detail)
        console.print(table)
        return 0

    return _run(work, console)


def cmd_admin(args: argparse.Namespace, console: Console) -> int:
    async def work() -> int:
        async with GatewayClient(_gateway(args, "admin-key")) as client:
            created = await client.create_tenant(args.request_id or uuid.uuid4().hex, args.name)
        console.print(f"tenant {created.tenant_id} created; its API key (shown once):")
        console.print(created.api_key, highlight=False, soft_wrap=True)
        return 0

    return _run(work, console)


def add_commands(sub: Any) -> None:
    submit = sub.add_parser("submit", help="send a series folder to a gateway and submit its episodes")
    submit.add_argument("series_dir", type=Path)
    submit.add_argument("--episodes", help="comma-separated episode ids (default: all)")
    submit.add_argument("--wait", action="store_true", help="follow progress until every episode ends")
    add_gateway_args(submit)
    submit.set_defaults(func=cmd_submit)
    admin = sub.add_parser("admin", help="operator calls to a gateway (admin key)")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create-tenant", help="create a tenant and print its API key")
    create.add_argument("name")
    create.add_argument("--request-id", help="repeat a call safely: the same id returns the first result")
    add_gateway_args(create, "admin-key")
    create.set_defaults(func=cmd_admin)
