"""`microdrama upscale` and `microdrama models list|fetch|verify`.

Everything that needs torch is imported inside the commands, so `microdrama --help` and the
other commands never load it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from microdrama.errors import InputError
from microdrama.media.probe import MediaLimits
from microdrama.media.video import EncodeSettings
from microdrama.models.download import download
from microdrama.models.registry import KNOWN, KnownModel, known, models_dir
from microdrama.store.base import sha256_file

BACKEND_CHOICES = ("torch", "onnxruntime", "tensorrt")


def _need_models_extra() -> None:
    import importlib.util

    missing = [m for m in ("torch", "onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"{', '.join(missing)} not installed: pip install 'microdrama[models]'")


def resolve_weights(arg: str, directory: Path) -> Path:
    """A weight file path, or a registry name (or file name) fetched into the models dir."""
    path = Path(arg)
    if path.is_file():
        return path
    try:
        model = known(arg)
    except InputError:
        raise InputError("weight file not found (nor a known model name)", file=arg) from None
    candidate = directory / model.filename
    if not candidate.is_file():
        raise InputError(f"{model.name} is not in {directory}: run `microdrama models fetch {model.name}`")
    return candidate


def _registry_match(sha256: str) -> KnownModel | None:
    return next((m for m in KNOWN if m.sha256 == sha256), None)


def cmd_upscale(args: argparse.Namespace, console: Console) -> int:
    _need_models_extra()
    from microdrama.models.media_upscale import check_output, detect_input, upscale_image, upscale_video
    from microdrama.models.upscaler import UpscaleOptions, Upscaler
    from microdrama.models.weights import load_weights

    src, dst = Path(args.input), Path(args.output)
    limits = MediaLimits()
    detected = detect_input(src, limits)
    check_output(detected, dst)
    weights = resolve_weights(args.weights, models_dir())
    loaded = load_weights(weights)
    match = _registry_match(loaded.sha256)
    origin = f"official {match.name}" if match else "not a registry file"
    console.print(f"weights: {weights} ({origin}, sha256 {loaded.sha256[:12]}, {loaded.source_key})")
    console.print(f"detected: {loaded.spec.describe()}")
    upscaler = Upscaler(
        loaded, UpscaleOptions(backend=args.backend, half=True if args.half else None, tile=args.tile, batch=args.batch)
    )
    console.print(f"backend: {upscaler.describe()}")
    console.print(f"input: {detected.describe(loaded.spec.scale)}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if detected.kind == "image":
        upscale_image(upscaler, src, dst)
        frames = 1
    else:
        encode = EncodeSettings(crf=args.crf, preset=args.preset)
        with Progress(
            TextColumn("upscale"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("upscale", total=detected.frames)
            frames = upscale_video(
                upscaler, src, dst, detected, encode, limits, lambda d, t: bar.update(task, completed=d, total=t)
            )
    seconds = time.perf_counter() - started
    console.print(f"wrote {dst}: {frames} frame(s) in {seconds:.1f} s ({frames / seconds:.2f} fps)")
    return 0


def _state(model: KnownModel, directory: Path) -> str:
    path = directory / model.filename
    if not path.is_file():
        return "not fetched"
    return "ok" if sha256_file(path) == model.sha256 else "[red]HASH MISMATCH[/]"


def cmd_models_list(args: argparse.Namespace, console: Console) -> int:
    directory: Path = args.dir or models_dir()
    table = Table(title=f"known models (files in {directory})")
    for col in ("name", "architecture", "scale", "MB", "here", "use", "url"):
        table.add_column(col)
    for m in KNOWN:
        table.add_row(m.name, m.arch, f"x{m.scale}", f"{m.size / 1e6:.1f}", _state(m, directory), m.note, m.url)
    console.print(table)
    return 0


def cmd_models_fetch(args: argparse.Namespace, console: Console) -> int:
    directory: Path = args.dir or models_dir()
    wanted = [known(n) for n in args.names] if args.names else list(KNOWN)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console) as bar:
        for model in wanted:
            dest = directory / model.filename
            if dest.is_file() and sha256_file(dest) == model.sha256:
                console.print(f"{model.name}: already here, sha256 verified ({dest})")
                continue
            url = f"{args.mirror.rstrip('/')}/{model.filename}" if args.mirror else model.url
            task = bar.add_task(model.name, total=model.size)

            def report(done: int, total: int | None, task: TaskID = task) -> None:
                bar.update(task, completed=done, total=total)

            download(url, dest, model.sha256, report)
            console.print(f"{model.name}: fetched, sha256 verified ({dest})")
    return 0


def _verify_one(path: Path, console: Console) -> bool:
    digest = sha256_file(path)
    by_name = next((m for m in KNOWN if m.filename == path.name), None)
    if by_name and digest != by_name.sha256:
        console.print(f"[red]FAIL[/] {path}: sha256 {digest}, the published {by_name.name} is {by_name.sha256}")
        return False
    match = _registry_match(digest)
    try:
        _need_models_extra()
        from microdrama.models.weights import load_weights

        spec = load_weights(path).spec.describe()
    except InputError as exc:
        console.print(f"[red]FAIL[/] {exc}")
        return False
    origin = f"official {match.name}" if match else "not a registry file"
    console.print(f"ok {path}: {origin}, {spec}, sha256 {digest}")
    return True


def cmd_models_verify(args: argparse.Namespace, console: Console) -> int:
    directory: Path = args.dir or models_dir()
    paths = [resolve_weights(a, directory) for a in args.files] or sorted(directory.glob("*.pth"))
    if not paths:
        raise InputError(f"no weight files to verify in {directory}")
    results = [_verify_one(p, console) for p in paths]
    return 0 if all(results) else 1


def _guarded(command: Any) -> Any:
    """Bad input (files, weights, media) prints the problem and exits 2."""

    def run(args: argparse.Namespace, console: Console) -> int:
        try:
            code: int = command(args, console)
        except InputError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False)
            return 2
        return code

    return run


def add_commands(subparsers: Any) -> None:
    """Register `upscale` and `models` on the `microdrama` command's subparsers."""
    up = subparsers.add_parser("upscale", help="upscale an image or a video with a Real-ESRGAN model")
    up.add_argument("input", help="image (.png, .jpg, ...) or video file")
    up.add_argument("output", help="image file, or .mp4 for a video")
    up.add_argument("--weights", required=True, metavar="FILE", help="official .pth file (or a fetched model's name)")
    up.add_argument("--backend", choices=BACKEND_CHOICES, help="default: tensorrt on an NVIDIA GPU, else onnxruntime")
    up.add_argument("--tile", type=int, default=0, metavar="N", help="run in N-pixel tiles (0: whole frames)")
    up.add_argument("--half", action="store_true", help="fp16 (torch, tensorrt; tensorrt uses it by default)")
    up.add_argument("--batch", type=int, default=4, help="frames per inference call")
    up.add_argument("--crf", type=int, default=16, help="x264 quality of a video output")
    up.add_argument("--preset", default="veryfast", help="x264 preset of a video output")
    up.set_defaults(func=_guarded(cmd_upscale))

    models = subparsers.add_parser("models", help="list, fetch or verify the known upscaling models")
    actions = models.add_subparsers(dest="action", required=True)
    for name, func, text in (
        ("list", cmd_models_list, "known models and whether they are here"),
        ("fetch", cmd_models_fetch, "download models (needs internet), checking sha256"),
        ("verify", cmd_models_verify, "check weight files: sha256 against the registry, keys and shapes"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument(
            "--dir", type=Path, help="models folder (default: MD_MODELS_DIR or ~/.cache/microdrama/models)"
        )
        action.set_defaults(func=_guarded(func))
        if name == "fetch":
            action.add_argument("names", nargs="*", help="model names (default: all)")
            action.add_argument("--mirror", help="base URL serving the release files (default: GitHub releases)")
        if name == "verify":
            action.add_argument("files", nargs="*", help="files or model names (default: every .pth in the folder)")
