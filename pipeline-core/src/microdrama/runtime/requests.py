"""Idempotent calls: the first response to a request id is kept, and a repeat gets it back unchanged."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from microdrama.errors import InputError
from microdrama.kv import open_bucket

BUCKET = "md_requests"
# A client retries within minutes; a week covers a partner's batch job that resumes the next day.
KEEP_S = 7 * 24 * 3600.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
M = TypeVar("M", bound=Message)


class RequestLog:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, replicas: int = 1) -> RequestLog:
        return cls(await open_bucket(js, BUCKET, replicas=replicas, ttl_s=KEEP_S))

    async def once(self, scope: str, request_id: str, response: type[M], compute: Callable[[], Awaitable[M]]) -> M:
        """`compute()` unless this scope (tenant and method) has answered this request id before.

        Two identical calls racing may both compute; the work is keyed by content, so they do the
        same thing, and both answer with the response that was stored first.
        """
        if not _REQUEST_ID.match(request_id or ""):
            raise InputError("request_id is required: 1-128 letters, digits, '.', '_', ':' or '-'")
        key = "r." + hashlib.sha256(f"{scope}\0{request_id}".encode()).hexdigest()
        try:
            return response.FromString((await self.kv.get(key)).value or b"")
        except KeyNotFoundError:
            pass
        result = await compute()
        try:
            await self.kv.create(key, result.SerializeToString())
        except KeyWrongLastSequenceError:
            return response.FromString((await self.kv.get(key)).value or b"")
        return result
