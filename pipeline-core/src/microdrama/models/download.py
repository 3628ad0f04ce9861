"""Download a weight file, checking its sha256 while it streams; nothing is left in place unless it matches."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from microdrama.errors import InputError

Progress = Callable[[int, int | None], None]  # bytes so far, total (None when the server does not say)
_CHUNK = 1 << 20


def download(url: str, dest: Path, sha256: str, progress: Progress | None = None, timeout: float = 60.0) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length else None
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if digest.hexdigest() != sha256:
            raise InputError(f"downloaded file has sha256 {digest.hexdigest()}, expected {sha256}; not kept", file=url)
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(f"download failed ({getattr(exc, 'reason', exc)})", file=url) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return dest
