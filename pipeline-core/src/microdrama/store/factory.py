"""Build the configured object store."""

from __future__ import annotations

from microdrama.settings import Settings
from microdrama.store.base import ObjectStore


def make_store(settings: Settings) -> ObjectStore:
    if settings.store == "s3":
        from microdrama.store.s3 import S3Store

        return S3Store(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key,
            settings.s3_bucket,
            secure=settings.s3_secure,
            public_endpoint=settings.s3_public_endpoint,
        )
    from microdrama.store.local import LocalStore

    return LocalStore(settings.store_root)
