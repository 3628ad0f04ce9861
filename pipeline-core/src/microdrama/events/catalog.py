"""Every subject, its protobuf payload type and its stream: the one place they are named."""

from __future__ import annotations

from google.protobuf.message import Message

from md.character.v1 import events_pb2 as character_v1
from md.episode.v1 import events_pb2 as episode_v1
from md.series.v1 import events_pb2 as series_v1
from md.shot.v1 import events_pb2 as shot_v1

SERIES_SUBMITTED = "md.series.v1.submitted"
CHARACTER_LOCKED = "md.character.v1.locked"
EPISODE_SUBMITTED = "md.episode.v1.submitted"
EPISODE_SCRIPTED = "md.episode.v1.scripted"
EPISODE_SHOTS_READY = "md.episode.v1.shots_ready"
EPISODE_FINISHED = "md.episode.v1.finished"
EPISODE_MIXED = "md.episode.v1.mixed"
EPISODE_QC_PASSED = "md.episode.v1.qc_passed"
EPISODE_QC_FAILED = "md.episode.v1.qc_failed"
EPISODE_DELIVERED = "md.episode.v1.delivered"
EPISODE_FAILED = "md.episode.v1.failed"
EPISODE_APPROVED = "md.episode.v1.approved"
SHOT_GENERATED = "md.shot.v1.generated"
SHOT_IDENTITY_CHECKED = "md.shot.v1.identity_checked"
SHOT_FINISHED = "md.shot.v1.finished"
SHOT_REGENERATE_REQUESTED = "md.shot.v1.regenerate_requested"

PAYLOADS: dict[str, type[Message]] = {
    SERIES_SUBMITTED: series_v1.SeriesSubmitted,
    CHARACTER_LOCKED: character_v1.CharacterLocked,
    EPISODE_SUBMITTED: episode_v1.EpisodeSubmitted,
    EPISODE_SCRIPTED: episode_v1.EpisodeScripted,
    EPISODE_SHOTS_READY: episode_v1.EpisodeShotsReady,
    EPISODE_FINISHED: episode_v1.EpisodeFinished,
    EPISODE_MIXED: episode_v1.EpisodeMixed,
    EPISODE_QC_PASSED: episode_v1.EpisodeQcPassed,
    EPISODE_QC_FAILED: episode_v1.EpisodeQcFailed,
    EPISODE_DELIVERED: episode_v1.EpisodeDelivered,
    EPISODE_FAILED: episode_v1.EpisodeFailed,
    EPISODE_APPROVED: episode_v1.EpisodeApproved,
    SHOT_GENERATED: shot_v1.ShotGenerated,
    SHOT_IDENTITY_CHECKED: shot_v1.ShotIdentityChecked,
    SHOT_FINISHED: shot_v1.ShotFinished,
    SHOT_REGENERATE_REQUESTED: shot_v1.ShotRegenerateRequested,
}

# One stream per aggregate so subjects never overlap; dead letters in their own.
STREAMS: dict[str, str] = {
    "MD_SERIES": "md.series.v1.>",
    "MD_CHARACTER": "md.character.v1.>",
    "MD_EPISODE": "md.episode.v1.>",
    "MD_SHOT": "md.shot.v1.>",
    "MD_DLQ": "md.dlq.>",
}


def stream_for(subject: str) -> str:
    for name, pattern in STREAMS.items():
        if subject.startswith(pattern[:-1]):
            return name
    raise KeyError(f"no stream holds subject {subject}")


def dead_letter_subject(service: str, subject: str) -> str:
    return f"md.dlq.{service}.{subject.removeprefix('md.')}"
