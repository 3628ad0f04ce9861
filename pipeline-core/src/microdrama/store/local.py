"""Local-filesystem object store: the embedded default."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from microdrama.keys import check_key
from microdrama.store.base import ObjectInfo, ObjectNotFound, ObjectStore, sha256_file


class LocalStore(ObjectStore):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"key {key!r} escapes the store")
        return path

    def _commit(self, key: str, write: Callable[[BinaryIO], object]) -> ObjectInfo:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target then rename: a partial write is never visible as the object.
        fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return ObjectInfo(key=key, size=dest.stat().st_size, sha256=sha256_file(dest))

    def put_file(self, key: str, path: Path) -> ObjectInfo:
        expected = sha256_file(path)
        with open(path, "rb") as src:
            info = self._commit(key, lambda f: shutil.copyfileobj(src, f, 1 << 20))
        if info.sha256 != expected:
            self._path(key).unlink(missing_ok=True)
            raise OSError(f"checksum mismatch writing {key}")
        return info

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        info = self._commit(key, lambda f: f.write(data))
        if info.sha256 != hashlib.sha256(data).hexdigest():
            raise OSError(f"checksum mismatch writing {key}")
        return info

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path.read_bytes()

    def download(self, key: str, dest: Path) -> None:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        shutil.copyfile(path, dest)

    @contextmanager
    def local_path(self, key: str, suffix: str = "") -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        yield path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        start = base if base.is_dir() else base.parent
        if not start.exists():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in start.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not Path(k).name.startswith(".partial-"))

    def info(self, key: str) -> ObjectInfo:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return ObjectInfo(key=key, size=path.stat().st_size, sha256=sha256_file(path))

    def download_url(self, key: str, ttl_s: int) -> str:
        # A local store serves one machine: the file itself is the download (no expiry to enforce).
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path.resolve().as_uri()
