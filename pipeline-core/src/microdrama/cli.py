"""The `microdrama` command: run a series end to end, show status, serve services."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from microdrama.client.commands import add_commands as add_partner_commands
from microdrama.client.commands import add_gateway_args, gateway_status
from microdrama.errors import InputError
from microdrama.finishing.cli import add_commands
from microdrama.logs import configure_logging
from microdrama.models.cli import add_commands as add_model_commands
from microdrama.orchestrate import EpisodeOutcome, run_series
from microdrama.settings import Settings
from microdrama.stack.cli import add_commands as add_stack_commands
from microdrama.telemetry import configure_tracing

Doc = dict[str, Any]
T = TypeVar("T")
_RANK = ["submitted", "scripted", "shots_ready", "finished", "mixed", "qc", "delivered"]


def _reached(doc: Doc, state: str) -> bool:
    current = doc.get("state", "")
    if current in ("qc_passed", "qc_failed"):
        current = "qc"
    if current == "failed" or current not in _RANK:
        return False
    return _RANK.index(current) >= _RANK.index(state)


# Stage bars: (label, count of done units, total units) from the episodes' status documents.
_STAGES: list[tuple[str, Any, Any]] = [
    ("script", lambda d: _reached(d, "scripted"), None),
    ("generation", lambda d: len(d.get("generated", [])), "shots"),
    ("character", lambda d: len(d.get("identity_checked", [])), "shots"),
    ("finishing", lambda d: len(d.get("finished_shots", [])), "shots"),
    ("audio", lambda d: _reached(d, "mixed"), None),
    ("qc", lambda d: _reached(d, "qc"), None),
    ("delivery", lambda d: _reached(d, "delivered"), None),
]


class StageProgress:
    def __init__(self, console: Console, episodes: int) -> None:
        self.episodes = episodes
        self.progress = Progress(
            TextColumn("{task.description:<11}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {
            label: self.progress.add_task(label, total=episodes if unit is None else None, unit=unit or "episodes")
            for label, _, unit in _STAGES
        }

    def update(self, docs: list[Doc]) -> None:
        shots = sum(d.get("shots_total", 0) for d in docs)
        for label, done, unit in _STAGES:
            total = self.episodes if unit is None else (shots or None)
            self.progress.update(self.tasks[label], completed=sum(int(done(d)) for d in docs), total=total)


def _outcome_table(outcomes: list[EpisodeOutcome], out: Path) -> Table:
    table = Table(title=f"microdrama run: results in {out}")
    for col in ("episode", "state", "QC", "delivered", "notes"):
        table.add_column(col)
    for o in outcomes:
        qc = {"delivered": "pass", "qc_failed": "FAIL"}.get(o.state, "-")
        files = "\n".join(f"{profile}/ ({len(paths)} files)" for profile, paths in o.files.items()) or "-"
        notes = o.reason or (", ".join(o.failed_rules) if o.failed_rules else "")
        if o.qc_report:
            notes = (notes + "\n" if notes else "") + str(o.qc_report.relative_to(out))
        table.add_row(o.episode, o.state, qc, files, notes)
    return table


async def _interruptible(work: Coroutine[Any, Any, T], console: Console) -> T:
    """Ctrl-C or SIGTERM cancels the run; the stack's exit stops NATS and Ray, then the process ends.

    A handler running in a worker thread cannot be interrupted, and the interpreter would wait
    for it at exit; its work is keyed by content and its message unacked, so nothing is lost by
    leaving at once: a new run into the same folder resumes.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        console.print("[yellow]interrupted:[/] NATS and Ray stopped; run again into the same folder to resume")
        sys.stdout.flush()
        os._exit(130)


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(store_root=out / "store")
    configure_logging("json", settings.log_level, stream=open(out / "run.log", "a", encoding="utf-8"))  # noqa: SIM115
    configure_tracing("microdrama", settings.otlp_endpoint)
    episodes = args.episodes.split(",") if args.episodes else None
    count = len(episodes) if episodes else None
    try:
        from microdrama.domain.bible import load_bible

        count = count or len(load_bible(args.series_dir).episodes)
        bars = StageProgress(console, count)
        with bars.progress:
            outcomes = asyncio.run(
                _interruptible(
                    run_series(
                        args.series_dir, out, settings, tenant=args.tenant, episodes=episodes, on_status=bars.update
                    ),
                    console,
                )
            )
    except InputError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    console.print(_outcome_table(outcomes, out))
    return 0 if all(o.state == "delivered" for o in outcomes) else 1


async def _read_status(out: Path) -> list[Doc]:
    from microdrama.runtime.bus import Bus
    from microdrama.runtime.processes import nats_server
    from microdrama.status import StatusStore

    state = out / "state"
    if not (state / "jetstream").is_dir():
        raise InputError("no run state here (run `microdrama run` first)", file=str(out))
    with nats_server(state / "jetstream", log_path=state / "nats-server.log") as server:
        bus = await Bus.connect(f"nats://127.0.0.1:{server.port}")
        try:
            return await (await StatusStore.open(bus.js)).all()
        finally:
            await bus.close()


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    if args.out is None:
        return gateway_status(args, console)
    try:
        docs = asyncio.run(_read_status(args.out.resolve()))
    except InputError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    if args.json:
        console.print_json(json.dumps(docs))
        return 0
    table = Table(title="episode status")
    for col in ("series", "episode", "state", "shots", "detail"):
        table.add_column(col)
    for d in docs:
        detail = d.get("error", {}).get("reason", "") or ", ".join(d.get("failed_rules", []))
        shots = f"{len(d.get('finished_shots', []))}/{d.get('shots_total', 0)} finished"
        table.add_row(d.get("series", ""), d.get("episode", ""), d.get("state", ""), shots, detail)
    console.print(table)
    return 0


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    from microdrama.runtime.discovery import load_services
    from microdrama.runtime.serve import serve_service
    from microdrama.settings import load_settings

    try:
        settings = load_settings()
        (service,) = load_services([args.service])
    except (InputError, LookupError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    configure_logging(settings.log_format, settings.log_level)
    configure_tracing(f"microdrama-{service.name}", settings.otlp_endpoint)
    asyncio.run(serve_service(settings, service, Path(args.state_dir)))
    # A handler thread past the drain time would hold the interpreter; its message is unacked and redelivered.
    sys.stdout.flush()
    os._exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="microdrama", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a series folder through every stage, embedded")
    run.add_argument("series_dir", type=Path, help="folder with bible.yaml, episodes/, references/")
    run.add_argument("--out", type=Path, required=True, help="results, store and run state go here")
    run.add_argument("--tenant", default="local")
    run.add_argument("--episodes", help="comma-separated episode ids (default: all)")
    run.set_defaults(func=cmd_run)
    status = sub.add_parser("status", help="episode status: of a run folder, or of your series at a gateway")
    status.add_argument("out", type=Path, nargs="?", help="a `microdrama run` folder (else: --gateway)")
    status.add_argument("--json", action="store_true")
    status.add_argument("--episode", help="one episode (gateway); exits 1 with 'not found' if you cannot see it")
    add_gateway_args(status)
    status.set_defaults(func=cmd_status)
    serve = sub.add_parser(
        "serve", help="run one service as a process (consumers, gRPC, metrics) from MD_* settings until SIGTERM"
    )
    serve.add_argument(
        "service", help="studio (the gateway), script, character, generation, finishing, audio, qc or delivery"
    )
    serve.add_argument("--state-dir", default="/tmp/microdrama", help="for an embedded nats-server (no MD_NATS_URL)")
    serve.set_defaults(func=cmd_serve)
    add_commands(sub)
    add_partner_commands(sub)
    add_model_commands(sub)
    add_stack_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console()
    code: int = args.func(args, console)
    return code


if __name__ == "__main__":
    sys.exit(main())
