"""`microdrama up`, `microdrama down` and `microdrama stack ps|restart`: the local process stack."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from microdrama.runtime.stages import usable_cpus
from microdrama.stack.detached import alive
from microdrama.stack.lifecycle import down, restart, up
from microdrama.stack.state import ENV_FILE, StackError, read_state

DEFAULT_ROOT = Path("out/stack")


def cmd_up(args: argparse.Namespace, console: Console) -> int:
    try:
        result = up(args.out, ray_cpus=args.ray_cpus, timeout_s=args.timeout)
    except StackError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 1
    root = Path(result.state.root)
    headline = "stack started" if result.started else "a stack from this folder is already running; nothing started"
    console.print(f"[bold green]{headline}[/] ({len(result.state.processes)} processes, logs in {root / 'logs'})")
    console.print(f"gateway:     {result.state.gateway}")
    console.print(f"dev API key: {result.keys.api_key}  (tenant dev)")
    console.print(f"environment: {root / ENV_FILE}  (MD_GATEWAY, MD_API_KEY, MD_ADMIN_KEY, NATS, S3, Ray)")
    return 0


def cmd_down(args: argparse.Namespace, console: Console) -> int:
    stopped = down(args.out)
    console.print(f"stopped: {', '.join(stopped)}" if stopped else f"no stack running in {args.out}")
    return 0


def cmd_ps(args: argparse.Namespace, console: Console) -> int:
    state = read_state(args.out.resolve())
    if state is None:
        console.print(f"no stack in {args.out}")
        return 1
    table = Table(title=f"stack in {state.root}")
    for col in ("process", "pid", "state", "ports", "log"):
        table.add_column(col)
    for record in state.processes.values():
        up_now = bool(record.pid) and alive(record.launched)
        ports = ", ".join(f"{k} {v}" for k, v in record.ports.items())
        log = os.path.relpath(record.log, state.root)
        table.add_row(record.name, str(record.pid), "running" if up_now else "[red]dead[/]", ports, log)
    console.print(table)
    return 0


def cmd_restart(args: argparse.Namespace, console: Console) -> int:
    try:
        record = restart(args.out, args.name, timeout_s=args.timeout)
    except StackError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 1
    console.print(f"{record.name} restarted (pid {record.pid})")
    return 0


def _out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_ROOT, help=f"the stack's folder (default: {DEFAULT_ROOT})")


def add_commands(subparsers: Any) -> None:
    """Register `up`, `down` and `stack` on the `microdrama` command's subparsers."""
    start = subparsers.add_parser("up", help="start the local stack (NATS, S3, Ray, every service) as processes")
    _out(start)
    start.add_argument("--ray-cpus", type=int, default=min(2, usable_cpus()), help="CPUs the Ray head offers")
    start.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the stack to be ready")
    start.set_defaults(func=cmd_up)
    stop = subparsers.add_parser("down", help="stop the local stack: services drain first, then Ray, S3, NATS")
    _out(stop)
    stop.set_defaults(func=cmd_down)
    stack = subparsers.add_parser("stack", help="inspect the local stack or restart one of its processes")
    actions = stack.add_subparsers(dest="action", required=True)
    ps = actions.add_parser("ps", help="the stack's processes, pids, ports and logs")
    _out(ps)
    ps.set_defaults(func=cmd_ps)
    again = actions.add_parser("restart", help="start one process again with the same command and environment")
    again.add_argument("name", help="a service name, or nats, s3, ray")
    _out(again)
    again.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the stack to be ready")
    again.set_defaults(func=cmd_restart)
