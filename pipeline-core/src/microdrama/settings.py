"""Configuration from the environment (MD_*), read once by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from microdrama.media.probe import MediaLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MD_", extra="ignore")

    nats_url: str | None = Field(None, description="NATS server; None starts an embedded nats-server")
    store: Literal["local", "s3"] = "local"
    store_root: Path = Path("out/store")
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "microdrama"
    s3_secure: bool = True
    ray_address: str | None = Field(None, description="Ray cluster; None starts a local Ray")
    ray_num_cpus: int | None = None
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "info"
    otlp_endpoint: str | None = None
    # Bounds for untrusted media, checked before a full decode.
    max_media_bytes: int = 4 * 1024**3
    max_media_duration_s: float = 1200.0
    max_media_width: int = 8192
    max_media_height: int = 8192
    max_media_frames: int = 144_000
    max_deliver: int = 5
    ack_wait_s: float = 60.0
    # Caps every consumer's ack wait, the longer ones of slow handlers too (heartbeats keep their messages):
    # how long the message of a crashed worker waits before it is redelivered.
    ack_wait_max_s: float | None = None

    def media_limits(self) -> MediaLimits:
        return MediaLimits(
            max_bytes=self.max_media_bytes,
            max_duration_s=self.max_media_duration_s,
            max_width=self.max_media_width,
            max_height=self.max_media_height,
            max_frames=self.max_media_frames,
        )
