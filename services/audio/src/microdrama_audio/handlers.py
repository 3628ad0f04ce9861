"""episode.scripted -> the mix and subtitles (ahead of time); episode.finished -> episode.mixed."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from md.common.v1.refs_pb2 import EpisodeMedia, EpisodeRef
from md.episode.v1.events_pb2 import EpisodeFinished, EpisodeMixed, EpisodeScripted
from microdrama.audio.loudness import integrated_lufs, true_peak_dbtp
from microdrama.audio.mix import mix_episode
from microdrama.audio.subtitles import cues_from_lines, to_srt, to_vtt
from microdrama.documents import content_hash, load_bible, load_shot_list
from microdrama.events.catalog import EPISODE_MIXED
from microdrama.events.envelope import Event, derived_id, new_event
from microdrama.layout import bible_key, episode_prefix
from microdrama.media.audio import SAMPLE_RATE, write_wav
from microdrama.runtime.service import Deps

# Bumped when the mix changes for the same script, so stored mixes are not reused across versions.
MIX_VERSION = "1"


@dataclass(frozen=True)
class MixKeys:
    mix: str
    srt: str
    vtt: str
    report: str


def ensure_mix(deps: Deps, ref: EpisodeRef, shot_list_key: str) -> MixKeys:
    """Mix and subtitles keyed by the script and bible content: computed once, whoever asks first."""
    shots = load_shot_list(deps.store, shot_list_key)
    bible = load_bible(deps.store, bible_key(ref.tenant_id, ref.series_id))
    digest = content_hash(shots, bible, MIX_VERSION)
    prefix = episode_prefix(ref, "audio", digest)
    keys = MixKeys(f"{prefix}/mix.wav", f"{prefix}/subtitles.srt", f"{prefix}/subtitles.vtt", f"{prefix}/audio.json")
    if deps.store.exists(keys.report):
        return keys
    seed = int(derived_id(ref.series_id, ref.episode_id, "music"), 16) % (2**31)
    mix = mix_episode(shots, bible, deps.tts, seed=seed)
    cues = cues_from_lines(mix.lines)
    with tempfile.TemporaryDirectory(prefix="md-audio-") as tmp:
        wav = Path(tmp) / "mix.wav"
        write_wav(wav, mix.samples, SAMPLE_RATE)
        deps.store.put_file(keys.mix, wav)
    deps.store.put_bytes(keys.srt, to_srt(cues).encode("utf-8"))
    deps.store.put_bytes(keys.vtt, to_vtt(cues).encode("utf-8"))
    # The report is written last: its presence means the whole set is there.
    deps.store.put_json(
        keys.report,
        {
            "integrated_lufs": round(integrated_lufs(mix.samples, SAMPLE_RATE), 2),
            "true_peak_dbtp": round(true_peak_dbtp(mix.samples, SAMPLE_RATE), 2),
            "duration_s": round(len(mix.samples) / SAMPLE_RATE, 3),
            "lines": [
                {"character": ln.character_id, "text": ln.text, "start_s": ln.start_s, "end_s": ln.end_s}
                for ln in mix.lines
            ],
        },
    )
    return keys


def prepare_mix(event: Event, deps: Deps) -> list[Event]:
    msg: EpisodeScripted = event.payload
    ensure_mix(deps, msg.episode, msg.shot_list_key)
    return []


def mix_episode_media(event: Event, deps: Deps) -> list[Event]:
    msg: EpisodeFinished = event.payload
    keys = ensure_mix(deps, msg.episode, msg.media.shot_list_key)
    media = EpisodeMedia()
    media.CopyFrom(msg.media)
    media.mix_key, media.subtitles_srt_key, media.subtitles_vtt_key = keys.mix, keys.srt, keys.vtt
    media.audio_report_key = keys.report
    return [new_event(EPISODE_MIXED, EpisodeMixed(episode=msg.episode, media=media), tenant=event.tenant, cause=event)]
