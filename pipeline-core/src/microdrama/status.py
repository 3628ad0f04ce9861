"""Episode status: a view built from events, kept in a JetStream key-value bucket with compare-and-set."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from google.protobuf.json_format import MessageToDict
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from microdrama.events import catalog as c
from microdrama.events.envelope import Event
from microdrama.kv import matching_keys, open_bucket

BUCKET = "md_episode_status"
TERMINAL = ("delivered", "qc_failed", "failed")
# Events from different streams can arrive out of order: the state only moves forward.
_RANK = {
    "submitted": 0,
    "scripted": 1,
    "shots_ready": 2,
    "finished": 3,
    "mixed": 4,
    "qc_passed": 5,
    "qc_failed": 6,
    "approved": 7,
    "delivered": 8,
    "failed": 9,
}
_STATE_OF = {
    c.EPISODE_SUBMITTED: "submitted",
    c.EPISODE_SCRIPTED: "scripted",
    c.EPISODE_SHOTS_READY: "shots_ready",
    c.EPISODE_FINISHED: "finished",
    c.EPISODE_MIXED: "mixed",
    c.EPISODE_QC_PASSED: "qc_passed",
    c.EPISODE_QC_FAILED: "qc_failed",
    c.EPISODE_APPROVED: "approved",
    c.EPISODE_DELIVERED: "delivered",
    c.EPISODE_FAILED: "failed",
}

Doc = dict[str, Any]


def status_key(tenant: str, series: str, episode: str) -> str:
    return f"{tenant}.{series}.{episode}"


def apply_event(doc: Doc | None, event: Event) -> Doc:
    """Fold one event into an episode's status document; idempotent under redelivery."""
    ref = event.payload.episode
    out: Doc = dict(doc or {})
    out.setdefault("tenant", ref.tenant_id)
    out.setdefault("series", ref.series_id)
    out.setdefault("episode", ref.episode_id)
    out.setdefault("state", "submitted")
    out.setdefault("shots_total", 0)
    for field in ("generated", "identity_checked", "finished_shots"):
        out.setdefault(field, [])
    p = event.payload
    s = event.subject
    if s == c.EPISODE_SUBMITTED and out.get("submission") != event.id:
        # A new submission of the episode starts its status afresh.
        out = {k: out[k] for k in ("tenant", "series", "episode")}
        out.update(submission=event.id, state="submitted", shots_total=0, generated=[], identity_checked=[])
        out["finished_shots"] = []
    if s == c.EPISODE_SCRIPTED:
        out["shots_total"] = p.shot_count
        out["duration_s"] = round(p.duration_seconds, 3)
    elif s == c.SHOT_GENERATED:
        out["generated"] = sorted({*out["generated"], p.take.shot_id})
    elif s == c.SHOT_IDENTITY_CHECKED:
        out["identity_checked"] = sorted({*out["identity_checked"], p.shot_id})
    elif s == c.SHOT_FINISHED:
        out["finished_shots"] = sorted({*out["finished_shots"], p.shot_id})
    elif s in (c.EPISODE_QC_PASSED, c.EPISODE_QC_FAILED):
        out["qc_report_key"] = p.report_key
        if s == c.EPISODE_QC_FAILED:
            out["failed_rules"] = list(p.failed_rules)
            # Kept so a person's approval can send the episode on to delivery.
            out["media"] = MessageToDict(p.media, preserving_proto_field_name=True)
    elif s == c.EPISODE_APPROVED:
        out["approval"] = {"note": p.note, "event": event.id}
    elif s == c.EPISODE_DELIVERED:
        out["deliverables"] = [
            {"profile": k.profile, "manifest_key": k.manifest_key, "video_key": k.video_key} for k in p.packages
        ]
    elif s == c.EPISODE_FAILED:
        out["error"] = {"stage": p.stage, "reason": p.reason}
    state = _STATE_OF.get(s)
    if state and _RANK[state] >= _RANK[out["state"]]:
        out["state"] = state
    return out


class StatusStore:
    """Compare-and-set updates of status documents; callable from handler threads."""

    def __init__(self, kv: KeyValue, loop: asyncio.AbstractEventLoop) -> None:
        self.kv = kv
        self.loop = loop

    @classmethod
    async def open(cls, js: JetStreamContext, replicas: int = 1) -> StatusStore:
        kv = await open_bucket(js, BUCKET, replicas=replicas, history=5)
        return cls(kv, asyncio.get_running_loop())

    async def aupdate(self, key: str, change: Callable[[Doc | None], Doc]) -> Doc:
        while True:
            try:
                entry = await self.kv.get(key)
            except KeyNotFoundError:
                doc = change(None)
                try:
                    await self.kv.create(key, json.dumps(doc, sort_keys=True).encode())
                    return doc
                except KeyWrongLastSequenceError:
                    continue
            current = json.loads(entry.value or b"{}")
            doc = change(current)
            try:
                await self.kv.update(key, json.dumps(doc, sort_keys=True).encode(), last=entry.revision)
                return doc
            except KeyWrongLastSequenceError:
                continue  # someone else updated it first: re-read and re-apply

    def update(self, key: str, change: Callable[[Doc | None], Doc]) -> Doc:
        return asyncio.run_coroutine_threadsafe(self.aupdate(key, change), self.loop).result()

    async def get(self, key: str) -> Doc | None:
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return None
        return dict(json.loads(entry.value or b"{}"))

    async def all(self, pattern: str = ">") -> list[Doc]:
        """Documents whose keys match a subject pattern, e.g. `tenant.series.>`, in key order."""
        docs = [await self.get(k) for k in await matching_keys(self.kv, pattern)]
        return [d for d in docs if d is not None]

    async def changes(self, key: str, poll_s: float = 15.0) -> AsyncIterator[Doc]:
        """The document now (if any) and after every change, until the caller stops iterating."""
        watcher = await self.kv.watch(key)
        try:
            while True:
                try:
                    entry = await watcher.updates(timeout=poll_s)
                except NatsTimeoutError:
                    continue
                if entry is not None and entry.value:
                    yield dict(json.loads(entry.value))
        finally:
            await watcher.stop()
