"""Shared test fixtures: real data location, temporary stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (or MD_SHARED_DATA); tests that need it skip, saying so, where it is absent."""
    root = Path(os.environ.get("MD_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not (root / "clips").is_dir():
        pytest.skip(f"shared data not found at {root} (set MD_SHARED_DATA); real-clip test skipped")
    return root


@pytest.fixture(scope="session")
def spans() -> object:
    """Real tracing with an in-memory exporter, installed once (OpenTelemetry allows one provider)."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from microdrama.telemetry import configure_tracing

    exporter = InMemorySpanExporter()
    configure_tracing("microdrama-tests", None, exporter=exporter)
    return exporter
