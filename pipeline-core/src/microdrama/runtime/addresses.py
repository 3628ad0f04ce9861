"""host:port strings from settings."""

from __future__ import annotations

from microdrama.errors import InputError


def split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise InputError(f"not a host:port address: {address!r}")
    return host.strip("[]") or "0.0.0.0", int(port)
