from pathlib import Path

import pytest

from microdrama.store.base import ObjectNotFound
from microdrama.store.local import LocalStore

KEY = "tenants/t/series/s/episodes/e/a.bin"


def test_roundtrip_with_checksum(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    info = store.put_bytes(KEY, b"hello")
    assert info.size == 5 and len(info.sha256) == 64
    assert store.get_bytes(KEY) == b"hello"
    assert store.list("tenants/t/series/s/") == [KEY]
    with store.local_path(KEY) as path:
        assert path.read_bytes() == b"hello"


def test_missing_object_and_no_partials_visible(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with pytest.raises(ObjectNotFound):
        store.get_bytes(KEY)

    def failing_write(f: object) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        store._commit(KEY, failing_write)
    assert not store.exists(KEY)
    assert store.list("tenants/") == []


def test_traversal_key_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with pytest.raises(ValueError):
        store.put_bytes("tenants/t/../../escape", b"x")
    assert not (tmp_path / "escape").exists()
