"""episode.shots_ready -> finish every shot with the series' locked template -> shot.finished, episode.finished."""

from __future__ import annotations

from md.common.v1.refs_pb2 import EpisodeMedia
from md.episode.v1.events_pb2 import EpisodeFinished, EpisodeShotsReady
from md.shot.v1.events_pb2 import ShotFinished
from microdrama.documents import load_series_template
from microdrama.events.catalog import EPISODE_FINISHED, SHOT_FINISHED
from microdrama.events.envelope import Event, new_event
from microdrama.finishing.pipeline import finish_episode
from microdrama.layout import episode_prefix
from microdrama.runtime.service import Deps


def finish_shots(event: Event, deps: Deps) -> list[Event]:
    msg: EpisodeShotsReady = event.payload
    ref = msg.episode
    template = load_series_template(deps.store, ref.tenant_id, ref.series_id)
    result = finish_episode(
        [(t.shot_id, t.object_key) for t in msg.takes],
        template,
        runner=deps.runner,
        store_factory=deps.store_factory,
        prefix=episode_prefix(ref, "finishing"),
    )
    report_key = f"{result.master_key.rsplit('/', 1)[0]}/finishing.json"
    deps.store.put_json(report_key, result.report)
    events = [
        new_event(
            SHOT_FINISHED,
            ShotFinished(episode=ref, shot_id=shot_id, object_key=key, template_hash=result.template_hash),
            tenant=event.tenant,
            cause=event,
            key=shot_id,
        )
        for shot_id, key in result.shot_keys.items()
    ]
    media = EpisodeMedia(
        master_key=result.master_key,
        template_hash=result.template_hash,
        shot_list_key=msg.shot_list_key,
        finishing_report_key=report_key,
    )
    events.append(
        new_event(EPISODE_FINISHED, EpisodeFinished(episode=ref, media=media), tenant=event.tenant, cause=event)
    )
    return events
