"""The TensorRT engine cache: engines keyed by everything that makes one engine unusable for another.

An engine is only valid for the ONNX it was built from, its precision, its shape profile,
the TensorRT version that built it and the GPU model it was tuned on. Each entry is
`<key digest>.engine` plus `<key digest>.json` (the key and the engine's sha256), written
last so its presence means complete. An entry whose record does not match the key or whose
engine bytes do not match the recorded sha256 is deleted and rebuilt, never deserialised.
A failed build leaves its log at `<key digest>.build.log`. Importable without TensorRT.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from microdrama.logs import get_logger

Shape = tuple[int, int, int, int]  # N, C, H, W
RECORD_VERSION = 1


@dataclass(frozen=True)
class Profile:
    """One TensorRT optimisation profile for the input tensor."""

    min: Shape
    opt: Shape
    max: Shape

    @classmethod
    def fixed(cls, shape: Shape) -> Profile:
        return cls(shape, shape, shape)

    def covers(self, shape: Shape) -> bool:
        return all(lo <= s <= hi for lo, s, hi in zip(self.min, shape, self.max, strict=True))


@dataclass(frozen=True)
class EngineKey:
    onnx_sha256: str
    precision: Literal["fp16", "fp32"]
    profile: Profile
    trt_version: str
    gpu_name: str

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["profile"] = {k: list(v) for k, v in doc["profile"].items()}
        return doc

    def digest(self) -> str:
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class BuildResult:
    """What a builder returns: the serialised engine, or None, and the builder's log either way."""

    engine: bytes | None
    log: str


class EngineBuildError(RuntimeError):
    def __init__(self, key: EngineKey, log_path: Path) -> None:
        self.log_path = log_path
        super().__init__(
            f"TensorRT engine build failed for profile {key.profile.opt} ({key.precision}); log: {log_path}"
        )


@dataclass(frozen=True)
class Entry:
    engine: Path
    record: Path
    log: Path

    @classmethod
    def of(cls, cache_dir: Path, key: EngineKey) -> Entry:
        base = cache_dir / key.digest()
        return cls(base.with_suffix(".engine"), base.with_suffix(".json"), base.with_suffix(".build.log"))


def _record(key: EngineKey, engine: bytes) -> dict[str, Any]:
    return {"version": RECORD_VERSION, "key": key.to_json(), "engine_sha256": hashlib.sha256(engine).hexdigest()}


def validate(entry: Entry, key: EngineKey) -> str | None:
    """Why the entry cannot be used for `key` (None: it can). Reads the files, changes nothing."""
    if not entry.record.is_file():
        return "no record"
    if not entry.engine.is_file():
        return "record without engine"
    try:
        record = json.loads(entry.record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"unreadable record ({exc})"
    if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
        return "record of another version"
    if record.get("key") != key.to_json():
        return "record is for another key"
    if hashlib.sha256(entry.engine.read_bytes()).hexdigest() != record.get("engine_sha256"):
        return "engine bytes do not match the record's sha256"
    return None


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def store(entry: Entry, key: EngineKey, engine: bytes) -> None:
    entry.engine.parent.mkdir(parents=True, exist_ok=True)
    entry.record.unlink(missing_ok=True)
    _write(entry.engine, engine)
    _write(entry.record, json.dumps(_record(key, engine), indent=2, sort_keys=True).encode())
    entry.log.unlink(missing_ok=True)


def get_or_build(cache_dir: Path, key: EngineKey, build: Callable[[], BuildResult]) -> Path:
    """The path of a valid engine for `key`, building (and caching) it when the cache has none."""
    entry = Entry.of(cache_dir, key)
    problem = validate(entry, key)
    if problem is None:
        return entry.engine
    if problem != "no record":
        get_logger(__name__).warning("engine cache entry rebuilt", entry=str(entry.engine), reason=problem)
    entry.record.unlink(missing_ok=True)
    entry.engine.unlink(missing_ok=True)
    result = build()
    if result.engine is None:
        entry.log.parent.mkdir(parents=True, exist_ok=True)
        entry.log.write_text(result.log, encoding="utf-8")
        raise EngineBuildError(key, entry.log)
    store(entry, key, result.engine)
    return entry.engine
