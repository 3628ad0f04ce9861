"""Tenants and their API keys, in a JetStream key-value bucket; only a hash of each key is kept."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from microdrama.errors import Conflict, InputError
from microdrama.keys import KeyError_, check_segment
from microdrama.kv import open_bucket

BUCKET = "md_tenants"
KEY_PREFIX = "md_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _fingerprint(api_key: str) -> str:
    # Keys are 256-bit random tokens: a plain SHA-256 cannot be reversed or guessed.
    return hashlib.sha256(api_key.encode()).hexdigest()


def check_tenant_name(name: str) -> str:
    try:
        check_segment(name)
    except KeyError_ as exc:
        raise InputError(f"tenant name {name!r} is not a plain name: {exc}") from exc
    return name


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class TenantStore:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, replicas: int = 1) -> TenantStore:
        return cls(await open_bucket(js, BUCKET, replicas=replicas))

    async def create(self, name: str, api_key: str | None = None) -> str:
        """A new tenant and its API key (given, or made here); an existing name is a conflict."""
        check_tenant_name(name)
        api_key = api_key or new_api_key()
        try:
            await self.kv.create(f"tenant.{name}", json.dumps({"name": name}).encode())
        except KeyWrongLastSequenceError as exc:
            raise Conflict(f"tenant {name!r} exists already") from exc
        await self.kv.put(f"key.{_fingerprint(api_key)}", name.encode())
        return api_key

    async def ensure(self, name: str, api_key: str) -> None:
        """The tenant exists and this key is one of its keys (the bootstrap tenant of a fresh install)."""
        check_tenant_name(name)
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self.kv.create(f"tenant.{name}", json.dumps({"name": name}).encode())
        await self.kv.put(f"key.{_fingerprint(api_key)}", name.encode())

    async def resolve(self, api_key: str) -> str | None:
        try:
            entry = await self.kv.get(f"key.{_fingerprint(api_key)}")
        except KeyNotFoundError:
            return None
        return (entry.value or b"").decode() or None
