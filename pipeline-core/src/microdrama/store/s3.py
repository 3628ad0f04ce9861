"""S3 object store through the MinIO client; any S3-compatible server serves."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from minio import Minio
from minio.error import InvalidResponseError, S3Error

from microdrama.keys import check_key
from microdrama.store.base import ObjectInfo, ObjectNotFound, ObjectStore, sha256_file

_SHA_META = "sha256"


def _missing(exc: Exception) -> bool:
    # Some S3 servers answer a missing key with an XML body the client cannot parse, so it
    # surfaces as InvalidResponseError rather than S3Error; both mean "no such object".
    if isinstance(exc, S3Error):
        return exc.code in ("NoSuchKey", "NoSuchObject")
    return isinstance(exc, InvalidResponseError) and ("NoSuchKey" in str(exc) or "code: 404" in str(exc))


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
    ) -> None:
        # An explicit region skips the bucket-location lookup, which some S3 servers do not answer.
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
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
        check_key(key)
        try:
            response = self.client.get_object(self.bucket, key)
        except (S3Error, InvalidResponseError) as exc:
            if _missing(exc):
                raise ObjectNotFound(key) from exc
            raise
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def download(self, key: str, dest: Path) -> None:
        check_key(key)
        try:
            self.client.fget_object(self.bucket, key, str(dest))
        except (S3Error, InvalidResponseError) as exc:
            if _missing(exc):
                raise ObjectNotFound(key) from exc
            raise

    def exists(self, key: str) -> bool:
        try:
            self.info(key)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str) -> list[str]:
        return sorted(o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True))

    def info(self, key: str) -> ObjectInfo:
        check_key(key)
        try:
            stat = self.client.stat_object(self.bucket, key)
        except (S3Error, InvalidResponseError) as exc:
            if _missing(exc):
                raise ObjectNotFound(key) from exc
            raise
        meta = {k.lower(): v for k, v in (stat.metadata or {}).items()}
        sha = meta.get(f"x-amz-meta-{_SHA_META}", "")
        return ObjectInfo(key=key, size=int(stat.size or 0), sha256=str(sha))
