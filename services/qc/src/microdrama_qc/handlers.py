"""episode.mixed -> measurements, rules and the report -> episode.qc_passed or episode.qc_failed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from md.episode.v1.events_pb2 import EpisodeMixed, EpisodeQcFailed, EpisodeQcPassed
from microdrama.documents import content_hash, load_series_template, load_shot_list
from microdrama.errors import NotReady
from microdrama.events.catalog import EPISODE_QC_FAILED, EPISODE_QC_PASSED
from microdrama.events.envelope import Event, new_event
from microdrama.layout import episode_prefix, identity_report_key
from microdrama.media.audio import read_wav
from microdrama.qc.report import write_report
from microdrama.qc.run import run_qc
from microdrama.runtime.service import Deps


def check_episode(event: Event, deps: Deps) -> list[Event]:
    msg: EpisodeMixed = event.payload
    ref, media = msg.episode, msg.media
    shots = load_shot_list(deps.store, media.shot_list_key)
    identity: dict[str, dict[str, float]] = {}
    for shot in shots.shots:
        key = identity_report_key(ref, shot.id)
        if not deps.store.exists(key):
            raise NotReady(f"identity check of {shot.id} not done yet")
        report = deps.store.get_json(key)
        identity[shot.id] = {cid: s["score"] for cid, s in report["scores"].items()}
    template = load_series_template(deps.store, ref.tenant_id, ref.series_id)
    srt = deps.store.get_bytes(media.subtitles_srt_key).decode("utf-8")
    with deps.store.local_path(media.master_key, ".mp4") as master, deps.store.local_path(media.mix_key, ".wav") as wav:
        samples, rate = read_wav(wav)
        report = run_qc(
            master,
            samples,
            rate,
            srt,
            shots,
            expected_width=template.upscale.width,
            expected_height=template.upscale.height,
            identity=identity,
        )
    prefix = episode_prefix(ref, "qc", content_hash(media.master_key, media.mix_key, media.subtitles_srt_key))
    with tempfile.TemporaryDirectory(prefix="md-qc-") as tmp:
        for path in write_report(report, Path(tmp)):
            deps.store.put_file(f"{prefix}/{path.relative_to(tmp).as_posix()}", path)
    report_key = f"{prefix}/report.json"
    if report.verdict != "fail":
        passed = EpisodeQcPassed(episode=ref, media=media, report_key=report_key)
        return [new_event(EPISODE_QC_PASSED, passed, tenant=event.tenant, cause=event)]
    failed = EpisodeQcFailed(
        episode=ref, media=media, report_key=report_key, failed_rules=[r.id for r in report.failed_rules]
    )
    return [new_event(EPISODE_QC_FAILED, failed, tenant=event.tenant, cause=event)]
