"""The event envelope: payload plus the headers every event carries."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from google.protobuf.message import Message

from microdrama.events.catalog import PAYLOADS

H_ID = "Nats-Msg-Id"
H_EVENT = "md-event-id"
H_TENANT = "md-tenant"
H_SCHEMA = "md-schema"
H_TRACEPARENT = "traceparent"
H_ERROR = "md-error"


class EnvelopeError(ValueError):
    """A message that is not one of our events (unknown subject, wrong schema)."""


@dataclass(frozen=True)
class Event:
    subject: str
    payload: Message
    id: str
    tenant: str
    traceparent: str | None = None


def derived_id(*parts: str) -> str:
    """Deterministic event id: a handler redelivered emits the same ids, so JetStream drops the repeats."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def new_event(subject: str, payload: Message, *, tenant: str, cause: Event | None = None, key: str = "") -> Event:
    """An event caused by another inherits its trace and gets an id derived from the cause."""
    if subject not in PAYLOADS or not isinstance(payload, PAYLOADS[subject]):
        raise EnvelopeError(f"{type(payload).__name__} is not the payload of {subject}")
    if cause is not None:
        return Event(subject, payload, derived_id(cause.id, subject, key), tenant, cause.traceparent)
    content = payload.SerializeToString(deterministic=True).hex()
    ident = derived_id(tenant, subject, key, content) if key else uuid.uuid4().hex
    return Event(subject, payload, ident, tenant, None)


def encode(event: Event) -> tuple[bytes, dict[str, str]]:
    headers = {
        H_ID: event.id,
        H_EVENT: event.id,
        H_TENANT: event.tenant,
        H_SCHEMA: event.payload.DESCRIPTOR.full_name,
    }
    if event.traceparent:
        headers[H_TRACEPARENT] = event.traceparent
    return event.payload.SerializeToString(deterministic=True), headers


def decode(subject: str, data: bytes, headers: dict[str, str] | None) -> Event:
    headers = headers or {}
    kind = PAYLOADS.get(subject)
    if kind is None:
        raise EnvelopeError(f"unknown subject {subject}")
    schema = headers.get(H_SCHEMA)
    if schema != kind.DESCRIPTOR.full_name:
        raise EnvelopeError(f"{subject}: schema header {schema!r}, expected {kind.DESCRIPTOR.full_name}")
    payload = kind()
    payload.ParseFromString(data)
    return Event(
        subject=subject,
        payload=payload,
        id=headers.get(H_EVENT) or headers.get(H_ID) or "",
        tenant=headers.get(H_TENANT, ""),
        traceparent=headers.get(H_TRACEPARENT),
    )
