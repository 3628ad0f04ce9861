"""Episode status: a view built from events, kept in a JetStream key-value bucket with compare-and-set."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from microdrama.events import catalog as c
from microdrama.events.envelope import Event

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
    "delivered": 6,
    "failed": 7,
}
_STATE_OF = {
    c.EPISODE_SUBMITTED: "submitted",
    c.EPISODE_SCRIPTED: "scripted",
    c.EPISODE_SHOTS_READY: "shots_ready",
    c.EPISODE_FINISHED: "finished",
    c.EPISODE_MIXED: "mixed",
    c.EPISODE_QC_PASSED: "qc_passed",
    c.EPISODE_QC_FAILED: "qc_failed",
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
        try:
            kv = await js.key_value(BUCKET)
        except Exception:
            kv = await js.create_key_value(
                KeyValueConfig(bucket=BUCKET, history=5, storage=StorageType.FILE, replicas=replicas)
            )
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

    async def all(self) -> list[Doc]:
        try:
            keys = await self.kv.keys()
        except Exception:  # nats-py raises NoKeysError on an empty bucket
            return []
        docs = [await self.get(k) for k in sorted(keys)]
        return [d for d in docs if d is not None]
