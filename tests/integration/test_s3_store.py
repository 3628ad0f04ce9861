"""The S3 store against a real S3 server (rclone serve s3), as the MinIO client sees MinIO."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from microdrama.store.base import ObjectNotFound
from microdrama.store.s3 import S3Store

pytestmark = pytest.mark.integration


@pytest.fixture
def store(s3_server: dict[str, str]) -> S3Store:
    return S3Store(**s3_server, bucket="md-test", secure=False)


def test_put_get_list_and_checksum(store: S3Store) -> None:
    info = store.put_bytes("tenants/a/series/s/x.json", b'{"a": 1}')
    assert store.get_json("tenants/a/series/s/x.json") == {"a": 1}
    assert store.info("tenants/a/series/s/x.json").sha256 == info.sha256
    assert "tenants/a/series/s/x.json" in store.list("tenants/a/")
    assert store.list("tenants/b/") == []


def test_large_file_multipart_roundtrip(store: S3Store, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(12 * 1024 * 1024))  # over the client's multipart threshold
    info = store.put_file("tenants/a/series/s/big.bin", src)
    with store.local_path("tenants/a/series/s/big.bin") as got:
        assert got.read_bytes() == src.read_bytes()
    assert info.size == src.stat().st_size


def test_missing_and_unsafe_keys(store: S3Store) -> None:
    with pytest.raises(ObjectNotFound):
        store.get_bytes("tenants/a/series/s/nothing")
    assert not store.exists("tenants/a/series/s/nothing")
    with pytest.raises(ValueError):
        store.put_bytes("tenants/a/../b/x", b"x")
