"""Every episode and shot event -> the episode's status document (compare-and-set in the KV bucket)."""

from __future__ import annotations

from microdrama.events.envelope import Event
from microdrama.runtime.service import Deps
from microdrama.status import apply_event, status_key


def project_status(event: Event, deps: Deps) -> list[Event]:
    if deps.status is None:
        raise RuntimeError("the studio service needs the status store")
    ref = event.payload.episode
    deps.status.update(status_key(ref.tenant_id, ref.series_id, ref.episode_id), lambda doc: apply_event(doc, event))
    return []
