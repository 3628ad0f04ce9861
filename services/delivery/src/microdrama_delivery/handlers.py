"""episode.qc_passed or episode.approved -> one package per target profile -> episode.delivered."""

from __future__ import annotations

import tempfile
from pathlib import Path

from md.episode.v1.events_pb2 import DeliveredPackage, EpisodeApproved, EpisodeDelivered, EpisodeQcPassed
from microdrama.delivery.package import package_episode
from microdrama.delivery.profiles import get_profile
from microdrama.documents import load_bible, load_shot_list
from microdrama.domain.shots import ShotList
from microdrama.events.catalog import EPISODE_DELIVERED
from microdrama.events.envelope import Event, new_event
from microdrama.layout import bible_key, episode_prefix
from microdrama.media.audio import read_wav
from microdrama.runtime.service import Deps


def poster_time(shots: ShotList) -> float:
    """The middle of the first shot with two or more characters: a face-off sells an episode."""
    for shot in shots.shots:
        if len(shot.characters) >= 2:
            return shot.start_s + shot.duration_s / 2
    first = shots.shots[0]
    return first.start_s + first.duration_s / 2


def deliver_episode(event: Event, deps: Deps) -> list[Event]:
    msg: EpisodeQcPassed | EpisodeApproved = event.payload
    ref, media = msg.episode, msg.media
    bible = load_bible(deps.store, bible_key(ref.tenant_id, ref.series_id))
    profiles = [get_profile(name) for name in bible.profiles]
    shots = load_shot_list(deps.store, media.shot_list_key)
    srt = deps.store.get_bytes(media.subtitles_srt_key).decode("utf-8")
    vtt = deps.store.get_bytes(media.subtitles_vtt_key).decode("utf-8")
    # "warn" passes QC too; the manifest records which it was.
    verdict = deps.store.get_json(msg.report_key)["verdict"]
    packages = []
    with (
        deps.store.local_path(media.master_key, ".mp4") as master,
        deps.store.local_path(media.mix_key, ".wav") as wav,
    ):
        samples, rate = read_wav(wav)
        for profile in profiles:
            prefix = episode_prefix(ref, "delivery", media.template_hash[:12], profile.name)
            manifest_key = f"{prefix}/manifest.json"
            if not deps.store.exists(manifest_key):
                with tempfile.TemporaryDirectory(prefix="md-deliver-") as tmp:
                    out = Path(tmp)
                    package_episode(
                        master,
                        samples,
                        rate,
                        srt,
                        vtt,
                        profile,
                        out,
                        episode={"tenant": ref.tenant_id, "series": ref.series_id, "episode": ref.episode_id},
                        qc_verdict=verdict,
                        template_hash=media.template_hash,
                        poster_time_s=poster_time(shots),
                    )
                    # The manifest goes last: its presence means the package is complete.
                    for path in sorted(out.iterdir(), key=lambda p: p.name == "manifest.json"):
                        deps.store.put_file(f"{prefix}/{path.name}", path)
            manifest = deps.store.get_json(manifest_key)
            video = next(f["name"] for f in manifest["files"] if f["name"].endswith(".mp4"))
            packages.append(
                DeliveredPackage(profile=profile.name, manifest_key=manifest_key, video_key=f"{prefix}/{video}")
            )
    delivered = EpisodeDelivered(episode=ref, packages=packages)
    return [new_event(EPISODE_DELIVERED, delivered, tenant=event.tenant, cause=event)]
