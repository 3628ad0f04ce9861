"""Configuration from the environment (MD_*), read once by the composition root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from microdrama.errors import InputError
from microdrama.media.probe import MediaLimits


class Settings(BaseSettings):
    """Every MD_* variable; secrets may instead be files named like the variable in MD_SECRETS_DIR."""

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
    # A service process: its gRPC server, metrics and how it stops.
    grpc_listen: str = "0.0.0.0:50051"
    # Plaintext health only, for kubelet probes, which cannot present client certificates (mutual TLS).
    health_listen: str | None = None
    # JetStream replicas of the streams and buckets the services create (3 on a 3-server cluster).
    stream_replicas: int = Field(1, ge=1, le=5)
    grpc_reflection: bool = False
    grpc_max_message_bytes: int = Field(4 * 1024**2, ge=64 * 1024, le=64 * 1024**2)
    grpc_max_concurrent_calls: int = Field(64, ge=1)
    metrics_listen: str | None = "0.0.0.0:9464"
    drain_timeout_s: float = Field(60.0, ge=0)
    # TLS by file paths; with a CA file, peers must present a certificate it signed (mutual TLS).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_ca_file: Path | None = None
    # The gateway: partners' S3 host for presigned URLs, the admin key, a tenant created at start.
    s3_public_endpoint: str | None = None
    admin_key: SecretStr | None = None
    bootstrap_tenant: str | None = None
    bootstrap_api_key: SecretStr | None = None
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


def load_settings() -> Settings:
    """Settings for a process: the environment, then secret files (Kubernetes mounts them as files)."""
    secrets_dir = os.environ.get("MD_SECRETS_DIR")
    if secrets_dir and not Path(secrets_dir).is_dir():
        raise InputError("MD_SECRETS_DIR is not a directory", file=secrets_dir)
    return Settings(_secrets_dir=secrets_dir)
