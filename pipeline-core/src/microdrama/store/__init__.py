"""Object storage: one interface, a local-filesystem and an S3 implementation."""

from microdrama.store.base import ObjectInfo, ObjectNotFound, ObjectStore

__all__ = ["ObjectInfo", "ObjectNotFound", "ObjectStore"]
