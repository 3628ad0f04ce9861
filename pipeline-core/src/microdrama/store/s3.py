"""S3 object store through the MinIO client; any S3-compatible server serves."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from minio import Minio
from minio.error import InvalidResponseError, S3Error

from microdrama.keys import check_key
from microdrama.store.base import ObjectInfo, ObjectNotFound, ObjectStore, sha256_file

_SHA_META = "sha256"


@contextmanager
def _existing(key: str) -> Iterator[None]:
    """Checks the key, and turns the client's "no such key" into ObjectNotFound."""
    check_key(key)
    try:
        yield
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject"):
            raise ObjectNotFound(key) from exc
        raise
    except InvalidResponseError as exc:
        # Some S3 servers answer a missing key with an XML body the client cannot parse.
        if "NoSuchKey" in str(exc) or "code: 404" in str(exc):
            raise ObjectNotFound(key) from exc
        raise


class S3Store(ObjectStore):
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = True,
        region: str = "us-east-1",
        public_endpoint: str | None = None,
    ) -> None:
        # An explicit region skips the bucket-location lookup, which some S3 servers do not answer.
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        # Presigned URLs are signed for the host partners reach, which may differ from the in-cluster one;
        # signing is local, this client never connects.
        self.public = (
            Minio(public_endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
            if public_endpoint
            else self.client
        )
        self.bucket = bucket
        if not self.client.bucket_exists(bucket):
            self.client.make_bucket(bucket)

    def _verify(self, key: str, sha: str, size: int) -> ObjectInfo:
        info = self.info(key)
        if info.size != size or (info.sha256 and info.sha256 != sha):
            self.client.remove_object(self.bucket, key)
            raise OSError(f"checksum mismatch after upload of {key}")
        return ObjectInfo(key=key, size=size, sha256=sha)

    def put_file(self, key: str, path: Path) -> ObjectInfo:
        check_key(key)
        sha = sha256_file(path)
        self.client.fput_object(self.bucket, key, str(path), metadata={_SHA_META: sha})
        return self._verify(key, sha, path.stat().st_size)

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        check_key(key)
        sha = hashlib.sha256(data).hexdigest()
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), metadata={_SHA_META: sha})
        return self._verify(key, sha, len(data))

    def get_bytes(self, key: str) -> bytes:
        with _existing(key):
            response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def download(self, key: str, dest: Path) -> None:
        with _existing(key):
            self.client.fget_object(self.bucket, key, str(dest))

    def exists(self, key: str) -> bool:
        try:
            self.info(key)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str) -> list[str]:
        return sorted(o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True))

    def info(self, key: str) -> ObjectInfo:
        with _existing(key):
            stat = self.client.stat_object(self.bucket, key)
        meta = {k.lower(): v for k, v in (stat.metadata or {}).items()}
        sha = meta.get(f"x-amz-meta-{_SHA_META}", "")
        return ObjectInfo(key=key, size=int(stat.size or 0), sha256=str(sha))

    def download_url(self, key: str, ttl_s: int) -> str:
        with _existing(key):
            self.client.stat_object(self.bucket, key)
        return self.public.presigned_get_object(self.bucket, key, expires=timedelta(seconds=ttl_s))
