"""Run a series through the embedded stack: submit, follow its status, export what was delivered."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microdrama.runtime.discovery import load_services
from microdrama.runtime.embedded import EmbeddedStack
from microdrama.settings import Settings
from microdrama.status import TERMINAL, StatusStore, status_key
from microdrama.store.base import ObjectStore
from microdrama.submission import Submission, submit_series
from microdrama.telemetry import event_span

Doc = dict[str, Any]
OnStatus = Callable[[list[Doc]], None]


@dataclass
class EpisodeOutcome:
    episode: str
    state: str
    reason: str = ""
    failed_rules: list[str] = field(default_factory=list)
    files: dict[str, list[Path]] = field(default_factory=dict)
    qc_report: Path | None = None


async def wait_for(
    status: StatusStore, submission: Submission, on_status: OnStatus | None, timeout_s: float, poll_s: float = 0.3
) -> list[Doc]:
    """Poll the status view until every episode of this submission is delivered, rejected or failed."""
    wanted = {
        status_key(r.tenant_id, r.series_id, r.episode_id): e.id
        for r, e in zip(submission.refs, submission.episodes, strict=True)
    }
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        docs = [await status.get(k) or {} for k in wanted]
        mine = [d if d.get("submission") == wanted[k] else {} for k, d in zip(wanted, docs, strict=True)]
        if on_status:
            on_status(mine)
        if all(d.get("state") in TERMINAL for d in mine):
            return mine
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"episodes not done after {timeout_s:.0f}s: {[d.get('state') for d in mine]}")
        await asyncio.sleep(poll_s)


def export(store: ObjectStore, doc: Doc, out: Path) -> EpisodeOutcome:
    """Copy an episode's packages and QC report out of the store into OUT/<episode>/..."""
    episode = doc["episode"]
    outcome = EpisodeOutcome(episode, doc["state"], failed_rules=list(doc.get("failed_rules", [])))
    if doc.get("error"):
        outcome.reason = f"{doc['error']['stage']}: {doc['error']['reason']}"
    target = out / episode
    if doc.get("qc_report_key"):
        prefix = doc["qc_report_key"].rsplit("/", 1)[0]
        outcome.qc_report = _copy_prefix(store, prefix, target / "qc")[0].parent / "report.html"
    for package in doc.get("deliverables", []):
        prefix = package["manifest_key"].rsplit("/", 1)[0]
        outcome.files[package["profile"]] = _copy_prefix(store, prefix, target / package["profile"])
    return outcome


def _copy_prefix(store: ObjectStore, prefix: str, dest: Path) -> list[Path]:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copied = []
    for key in store.list(prefix + "/"):
        path = dest / key[len(prefix) + 1 :]
        path.parent.mkdir(parents=True, exist_ok=True)
        store.download(key, path)
        copied.append(path)
    return copied


async def run_series(
    series_dir: Path,
    out: Path,
    settings: Settings,
    *,
    tenant: str = "local",
    episodes: list[str] | None = None,
    on_status: OnStatus | None = None,
    timeout_s: float = 3600.0,
) -> list[EpisodeOutcome]:
    async with EmbeddedStack(settings, out / "state", load_services()) as stack:
        assert stack.deps is not None and stack.status is not None
        submission = submit_series(stack.deps.store, series_dir, tenant, episodes)
        # One root span per run: every stage's span joins its trace through the event headers.
        with event_span("submit series", None, series=submission.bible.id) as traceparent:
            for event in [submission.series, *submission.episodes]:
                await stack.publish(dataclasses.replace(event, traceparent=traceparent))
        docs = await wait_for(stack.status, submission, on_status, timeout_s)
        return [export(stack.deps.store, doc, out) for doc in docs]
