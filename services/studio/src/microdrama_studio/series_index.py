"""Which series each tenant has, in a key-value bucket, so listing never scans the object store."""

from __future__ import annotations

import json

from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from microdrama.kv import matching_keys, open_bucket

BUCKET = "md_series"


class SeriesIndex:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, replicas: int = 1) -> SeriesIndex:
        return cls(await open_bucket(js, BUCKET, replicas=replicas))

    async def put(self, tenant: str, series_id: str, title: str) -> None:
        await self.kv.put(f"{tenant}.{series_id}", json.dumps({"title": title}).encode())

    async def list(self, tenant: str) -> list[str]:
        return [key.split(".", 1)[1] for key in await matching_keys(self.kv, f"{tenant}.*")]
