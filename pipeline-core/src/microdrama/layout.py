"""Where each stage keeps its objects: every well-known key is built here, from ids and content hashes."""

from __future__ import annotations

from md.common.v1.refs_pb2 import EpisodeRef
from microdrama.keys import episode_key, series_key


def bible_key(tenant: str, series: str) -> str:
    return series_key(tenant, series, "bible.yaml")


def reference_key(tenant: str, series: str, character_id: str, index: int, suffix: str) -> str:
    return series_key(tenant, series, "characters", character_id, "references", f"{index:02d}{suffix}")


def identity_key(tenant: str, series: str, character_id: str) -> str:
    return series_key(tenant, series, "characters", character_id, "identity.json")


def script_key(ref: EpisodeRef) -> str:
    return episode_key(ref.tenant_id, ref.series_id, ref.episode_id, "script.fountain")


def upload_take_key(ref: EpisodeRef, shot_id: str, suffix: str) -> str:
    return episode_key(ref.tenant_id, ref.series_id, ref.episode_id, "uploads", f"{shot_id}{suffix}")


def episode_prefix(ref: EpisodeRef, *parts: str) -> str:
    return episode_key(ref.tenant_id, ref.series_id, ref.episode_id, *parts)


def identity_report_key(ref: EpisodeRef, shot_id: str) -> str:
    return episode_key(ref.tenant_id, ref.series_id, ref.episode_id, "shots", shot_id, "identity.json")


def template_key(tenant: str, series: str) -> str:
    return series_key(tenant, series, "finishing-template.yaml")
