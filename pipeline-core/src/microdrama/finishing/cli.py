"""`microdrama finish` and `microdrama template show|validate|lock`: finishing without the event system.

`finish` probes and bounds every input first; an input that cannot be used (unreadable, no
video stream, absurd header, empty, fails to decode) is reported for that shot while the
others are finished. Exit status: 0 all finished, 1 some shot failed, 2 nothing could run.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from microdrama.errors import InputError, MediaError
from microdrama.finishing.pipeline import FinishResult, finish_episode
from microdrama.finishing.sheet import write_sheet
from microdrama.finishing.template import (
    FinishingTemplate,
    default_template,
    load_template,
    lock_template,
    template_hash,
    template_to_yaml,
)
from microdrama.keys import episode_key
from microdrama.logs import configure_logging
from microdrama.media.probe import MediaLimits, probe_video
from microdrama.runtime.stages import InProcessRunner, StageRunner, usable_cpus
from microdrama.store.local import LocalStore

REPORT = "finishing.json"
SHEET = "finishing-sheet.jpg"  # each shot before and after, side by side
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
Command = Callable[[argparse.Namespace, Console], int]


def shot_ids(paths: Sequence[Path]) -> list[str]:
    """One object-key-safe id per input, from its file stem; repeats get -2, -3, ..."""
    ids: list[str] = []
    for path in paths:
        base = _UNSAFE.sub("-", path.stem).replace("..", ".").lstrip("._-")[:100] or "shot"
        candidate, n = base, 1
        while candidate in ids:
            n += 1
            candidate = f"{base}-{n}"
        ids.append(candidate)
    return ids


@dataclass
class _Batch:
    """The inputs of one `finish` run: which shot each is, and why any could not be finished."""

    paths: dict[str, Path]
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def usable(self) -> list[str]:
        return [sid for sid in self.paths if sid not in self.failed]

    def pick(self, name: str) -> str:
        """The shot `--reference` names: by id, by stem, or by the path given."""
        for sid, path in self.paths.items():
            if name in (sid, path.stem, str(path)) or Path(name).resolve() == path.resolve():
                if sid in self.failed:
                    raise InputError(f"--reference {name!r} cannot be used: {self.failed[sid]}")
                return sid
        raise InputError(f"--reference {name!r} is not one of the input shots")


class _StageBars:
    """A rich progress bar per finishing stage, added as each stage starts."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def _stage_shots(batch: _Batch, store: LocalStore) -> dict[str, str]:
    """Probe every input against the media limits and put the usable ones in the store; returns their keys."""
    keys = {}
    for sid, path in batch.paths.items():
        try:
            probe_video(path, MediaLimits())
        except MediaError as exc:
            batch.failed[sid] = str(exc)
            continue
        suffix = _UNSAFE.sub("", path.suffix.lower())
        keys[sid] = episode_key("local", "cli", "episode", "shots", sid + suffix)
        store.put_file(keys[sid], path)
    return keys


def _finish(
    batch: _Batch,
    keys: dict[str, str],
    store: LocalStore,
    template: FinishingTemplate,
    runner: StageRunner,
    bars: _StageBars,
    reference: str | None,
) -> FinishResult | None:
    """Finish the usable shots; a shot that fails to decode part-way is dropped and the rest run again
    (stage outputs are keyed by content, so the rerun redoes nothing already done)."""
    while True:
        shots = [(sid, keys[sid]) for sid in batch.usable]
        if not shots:
            return None
        try:
            return finish_episode(
                shots,
                template,
                runner=runner,
                store_factory=partial(LocalStore, store.root),
                prefix=episode_key("local", "cli", "episode", "finishing"),
                progress=bars,
                reference=reference,
            )
        except MediaError as exc:
            culprit = next((sid for sid, key in shots if exc.file == str(store.root / key)), None)
            if culprit is None:
                raise
            batch.failed[culprit] = str(exc).replace(str(store.root / keys[culprit]), str(batch.paths[culprit]))


def _report(batch: _Batch, result: FinishResult | None, template: FinishingTemplate, out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = (
        dict(result.report)
        if result
        else {"template": template.model_dump(mode="json"), "template_hash": template_hash(template), "shots": []}
    )
    for shot in doc["shots"]:
        shot["input"] = str(batch.paths[shot["shot_id"]])
        shot["output"] = str(out / f"{shot['shot_id']}.mp4")
    doc["sheet"] = str(out / SHEET) if result else None
    doc["failed"] = [
        {"shot_id": sid, "input": str(batch.paths[sid]), "error": err} for sid, err in batch.failed.items()
    ]
    return doc


def _summary(doc: dict[str, Any]) -> Table:
    table = Table(title="microdrama finish")
    for column in ("shot", "status", "frames", "size", "flicker", "sharpness", "graded by", "output / error"):
        table.add_column(column)
    for shot in doc["shots"]:
        before, after = shot["before"], shot["after"]
        table.add_row(
            shot["shot_id"],
            "[green]finished[/]",
            f"{before['frames']} -> {after['frames']}",
            "{}x{} -> {}x{}".format(*before["size"], *after["size"]),
            f"{before['flicker']:.2f} -> {after['flicker']:.2f}",
            f"{before['sharpness']:.2f} -> {after['sharpness']:.2f}",
            shot["grade"]["matched_by"],
            shot["output"],
        )
    for failure in doc["failed"]:
        table.add_row(failure["shot_id"], "[red]FAILED[/]", "", "", "", "", "", failure["error"])
    return table


def _reference_line(doc: dict[str, Any], named: bool) -> str:
    shot = doc.get("reference_shot")
    if shot is None:
        return "no reference shot: grade and detail matching are off"
    if doc.get("reference_auto"):
        return f"reference shot: {shot} (picked automatically as the most representative)"
    return f"reference shot: {shot} (named by {'--reference' if named else 'the template'})"


def cmd_finish(args: argparse.Namespace, console: Console) -> int:
    out: Path = args.out.resolve()
    try:
        template = load_template(args.template) if args.template else default_template()
        paths = [Path(p) for p in args.shots]
        batch = _Batch(dict(zip(shot_ids(paths), paths, strict=True)))
        out.mkdir(parents=True, exist_ok=True)
        # Logs go to a file beside the results for the rest of the process, so the progress bars stay readable.
        configure_logging("json", "info", stream=open(out / "finishing.log", "a", encoding="utf-8"))  # noqa: SIM115
        with tempfile.TemporaryDirectory(prefix="md-finish-") as tmp:
            store = LocalStore(Path(tmp) / "store")
            keys = _stage_shots(batch, store)
            reference = batch.pick(args.reference) if args.reference else None
            bars = _StageBars(console)
            with _runner(args.ray) as runner, bars.progress:
                result = _finish(batch, keys, store, template, runner, bars, reference)
            if result:
                for sid, key in result.shot_keys.items():
                    store.download(key, out / f"{sid}.mp4")
                write_sheet(out / SHEET, [(sid, batch.paths[sid], out / f"{sid}.mp4") for sid in result.shot_keys])
            doc = _report(batch, result, template, out)
            (out / REPORT).write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
    except InputError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    console.print(_summary(doc))
    console.print(_reference_line(doc, reference is not None))
    console.print(f"template {template.name} {doc['template_hash'][:12]}; report: {out / REPORT}")
    if doc["sheet"]:
        console.print(f"before and after, shot by shot: {doc['sheet']}")
    if batch.failed:
        console.print(f"[bold red]{len(batch.failed)} of {len(batch.paths)} shots failed:[/] {', '.join(batch.failed)}")
        return 1
    return 0


@contextmanager
def _runner(use_ray: bool) -> Iterator[StageRunner]:
    if not use_ray:
        yield InProcessRunner(workers=usable_cpus())
        return
    from microdrama.runtime.ray_runner import RayRunner  # importing Ray is slow: only when asked for

    runner = RayRunner(num_cpus=usable_cpus())
    try:
        yield runner
    finally:
        runner.close()


def cmd_template_show(args: argparse.Namespace, console: Console) -> int:
    template = load_template(args.file) if args.file else default_template()
    console.out(template_to_yaml(template), end="")
    console.out(f"# sha256 {template_hash(template)}{' (locked)' if template.locked else ''}")
    return 0


def cmd_template_validate(args: argparse.Namespace, console: Console) -> int:
    template = load_template(args.file)
    state = "locked, hash verified" if template.locked else "not locked"
    console.print(f"ok: {args.file}: template {template.name!r}, sha256 {template_hash(template)} ({state})")
    return 0


def cmd_template_lock(args: argparse.Namespace, console: Console) -> int:
    source: Path = args.file
    dest: Path = args.out or source.with_name(f"{source.stem.removesuffix('.locked')}.locked.yaml")
    locked = lock_template(load_template(source))
    dest.write_text(template_to_yaml(locked), encoding="utf-8")
    console.print(f"locked {source} -> {dest} (sha256 {locked.locked.hash if locked.locked else ''})")
    return 0


def _guarded(command: Command) -> Command:
    """Template commands: a bad template prints the problem (file, key) and exits 2."""

    def run(args: argparse.Namespace, console: Console) -> int:
        try:
            return command(args, console)
        except InputError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False)
            return 2

    return run


def add_commands(subparsers: Any) -> None:
    """Register `finish` and `template` on the `microdrama` command's subparsers."""
    finish = subparsers.add_parser("finish", help="finish shots as one episode (any container, size, orientation)")
    finish.add_argument("shots", nargs="+", type=Path, metavar="SHOT", help="video files, in edit order")
    finish.add_argument(
        "--out", type=Path, required=True, help="DIR/<shot>.mp4, DIR/finishing.json and DIR/finishing-sheet.jpg go here"
    )
    finish.add_argument("--template", type=Path, help="finishing template YAML (default: the built-in one)")
    finish.add_argument("--reference", metavar="SHOT", help="the shot the others are graded to (default: automatic)")
    finish.add_argument("--ray", action="store_true", help="run the stages on a local Ray cluster")
    finish.set_defaults(func=cmd_finish)

    template = subparsers.add_parser("template", help="show, validate or lock a finishing template")
    actions = template.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="print a template with every default filled in, and its hash")
    show.add_argument("file", type=Path, nargs="?", help="template YAML (default: the built-in template)")
    show.set_defaults(func=_guarded(cmd_template_show))
    validate = actions.add_parser("validate", help="check a template (and a locked one's hash)")
    validate.add_argument("file", type=Path)
    validate.set_defaults(func=_guarded(cmd_template_validate))
    lock = actions.add_parser("lock", help="write a frozen copy carrying its hash")
    lock.add_argument("file", type=Path)
    lock.add_argument("--out", type=Path, help="where to write it (default: FILE's stem + .locked.yaml)")
    lock.set_defaults(func=_guarded(cmd_template_lock))
