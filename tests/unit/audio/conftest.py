"""Shared fixtures for the audio stage: one TTS engine per test session, the sample bible."""

from __future__ import annotations

from pathlib import Path

import pytest

from microdrama.audio.tts import EspeakTTS
from microdrama.domain.bible import Bible, parse_bible

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def tts() -> EspeakTTS:
    return EspeakTTS()


@pytest.fixture(scope="session")
def bible() -> Bible:
    # Only the voices and music matter here, so the reference images need not exist.
    return parse_bible((REPO / "examples" / "the-last-heir" / "bible.yaml").read_text(encoding="utf-8"))
