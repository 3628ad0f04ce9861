"""JetStream key-value buckets: opened (created on first use) and listed the same way everywhere."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue


async def open_bucket(
    js: JetStreamContext, bucket: str, *, replicas: int = 1, history: int = 1, ttl_s: float | None = None
) -> KeyValue:
    try:
        return await js.key_value(bucket)
    except BucketNotFoundError:
        config = KeyValueConfig(bucket=bucket, history=history, storage=StorageType.FILE, replicas=replicas, ttl=ttl_s)
        return await js.create_key_value(config)


async def matching_keys(kv: KeyValue, pattern: str) -> list[str]:
    """Keys matching a subject pattern (`tenant.*`, `a.b.>`), listed server-side, sorted."""
    watcher = await kv.watch(pattern, ignore_deletes=True, meta_only=True)
    keys = []
    try:
        async for entry in watcher:
            if entry is None:
                break
            keys.append(entry.key)
    finally:
        await watcher.stop()
    return sorted(keys)
