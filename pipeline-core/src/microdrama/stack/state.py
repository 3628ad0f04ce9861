"""What a running stack is: stack.json (processes, ports, commands) and stack.env (addresses and keys).

Both files hold credentials, so they are written readable by the owner only.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import BaseModel

from microdrama.stack.detached import Launched

STATE_FILE = "stack.json"
ENV_FILE = "stack.env"
Kind = Literal["nats", "s3", "ray", "service"]


class StackError(Exception):
    """The stack could not be started or found; the message says what and where to look."""


class ProcessRecord(BaseModel):
    name: str
    kind: Kind
    args: list[str]
    # Set on top of the caller's environment, from which every MD_* and RAY_* variable is removed first.
    env: dict[str, str]
    ports: dict[str, int]
    log: str
    # How long a SIGTERM may take (a service drains its handlers) before SIGKILL.
    stop_timeout_s: float
    # (stream, durable) pairs a service's consumers create: they exist once it is ready.
    consumers: list[tuple[str, str]] = []
    pid: int = 0
    started: int = 0

    @property
    def launched(self) -> Launched:
        return Launched(self.pid, self.started)


class StackState(BaseModel):
    root: str
    gateway: str
    nats_url: str
    nats_monitor: str
    s3_endpoint: str
    s3_bucket: str
    # "" when no service needs Ray (finishing is its one client).
    ray_address: str
    # In start order; stopped in reverse kind order (services first, NATS last).
    processes: dict[str, ProcessRecord]


@dataclass(frozen=True)
class StackSecrets:
    api_key: str
    admin_key: str
    s3_access_key: str
    s3_secret_key: str
    ray_token: str

    @classmethod
    def load_or_create(cls, env_file: Path) -> StackSecrets:
        """The keys of an earlier `up` of this folder (its S3 data and tenants use them), else new ones."""
        old = dotenv_values(env_file) if env_file.is_file() else {}
        return cls(
            api_key=old.get("MD_API_KEY") or secrets.token_urlsafe(32),
            admin_key=old.get("MD_ADMIN_KEY") or secrets.token_urlsafe(32),
            s3_access_key=old.get("MD_S3_ACCESS_KEY") or "md" + secrets.token_hex(8),
            s3_secret_key=old.get("MD_S3_SECRET_KEY") or secrets.token_urlsafe(32),
            # Ray's own token format: 64 hex characters.
            ray_token=old.get("RAY_AUTH_TOKEN") or secrets.token_hex(32),
        )


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def write_state(root: Path, state: StackState) -> None:
    _write_private(root / STATE_FILE, state.model_dump_json(indent=2) + "\n")


def read_state(root: Path) -> StackState | None:
    path = root / STATE_FILE
    if not path.is_file():
        return None
    return StackState.model_validate_json(path.read_text(encoding="utf-8"))


def env_lines(state: StackState, keys: StackSecrets) -> dict[str, str]:
    """What a partner CLI, an operator or a hand-started `microdrama serve` needs to reach this stack."""
    return {
        "MD_GATEWAY": state.gateway,
        "MD_API_KEY": keys.api_key,
        "MD_ADMIN_KEY": keys.admin_key,
        "MD_NATS_URL": state.nats_url,
        "MD_STORE": "s3",
        "MD_S3_ENDPOINT": state.s3_endpoint,
        "MD_S3_SECURE": "false",
        "MD_S3_BUCKET": state.s3_bucket,
        "MD_S3_ACCESS_KEY": keys.s3_access_key,
        "MD_S3_SECRET_KEY": keys.s3_secret_key,
        **({"MD_RAY_ADDRESS": state.ray_address} if state.ray_address else {}),
        # Kept even without a Ray head: a later `up` of this folder reuses every key.
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": keys.ray_token,
    }


def write_env(root: Path, values: dict[str, str]) -> None:
    _write_private(root / ENV_FILE, "".join(f"{key}={value}\n" for key, value in values.items()))
