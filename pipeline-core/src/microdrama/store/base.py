"""The object store interface every stage codes against."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ObjectNotFound(KeyError):
    pass


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ObjectStore(ABC):
    """Keys come from microdrama.keys; writes are atomic and checksum-verified."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> ObjectInfo: ...

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> ObjectInfo: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def download(self, key: str, dest: Path) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str) -> list[str]: ...

    @abstractmethod
    def info(self, key: str) -> ObjectInfo: ...

    @abstractmethod
    def download_url(self, key: str, ttl_s: int) -> str:
        """A URL the key's object can be fetched from without credentials, for ttl_s seconds."""

    @contextmanager
    def local_path(self, key: str, suffix: str = "") -> Iterator[Path]:
        """A readable local file holding the object (a temporary copy unless the store is local)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="md-get-") as tmp:
            dest = Path(tmp) / ("object" + suffix)
            self.download(key, dest)
            yield dest

    def put_json(self, key: str, doc: Any) -> ObjectInfo:
        return self.put_bytes(key, json.dumps(doc, indent=2, sort_keys=True).encode())

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))
