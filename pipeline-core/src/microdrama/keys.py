"""Object keys: every key is built here, tenant-scoped, and nothing from a client becomes a path."""

from __future__ import annotations

import re

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class KeyError_(ValueError):
    """A key segment that could escape its tenant's prefix or is not a plain name."""


def check_segment(segment: str) -> str:
    """One plain id (tenant, series, episode, shot): what every key segment must be."""
    if not isinstance(segment, str) or not _SEGMENT.match(segment) or ".." in segment:
        raise KeyError_(f"invalid key segment {segment!r}: letters, digits, '.', '_', '-' only, no '..'")
    return segment


def tenant_key(tenant: str, *parts: str) -> str:
    return "/".join(["tenants", check_segment(tenant), *(check_segment(p) for p in parts)])


def series_key(tenant: str, series: str, *parts: str) -> str:
    return tenant_key(tenant, "series", series, *parts)


def episode_key(tenant: str, series: str, episode: str, *parts: str) -> str:
    return series_key(tenant, series, "episodes", episode, *parts)


def check_key(key: str) -> str:
    """Validate a complete key read from an event or a request."""
    parts = key.split("/")
    if len(parts) < 3 or parts[0] != "tenants":
        raise KeyError_(f"invalid object key {key!r}: must start with tenants/<tenant>/")
    for p in parts[1:]:
        check_segment(p)
    return key
