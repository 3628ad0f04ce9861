"""The music bed: exact length, deterministic, soft (no harsh highs), a beat at the bible's tempo, a closing riser."""

from __future__ import annotations

import numpy as np
import pytest

from microdrama.audio.loudness import integrated_lufs
from microdrama.audio.music import BED_LUFS, music_bed
from microdrama.domain.bible import Music

from .signals import SR, band_fraction_db, bandpass, energy_db, span

DURATION = 10.0


@pytest.fixture(scope="module")
def bed() -> np.ndarray:
    return music_bed(DURATION, Music(bpm=90, root="D", minor=True), seed=5)


def test_bed_is_stereo_of_exact_length_at_its_loudness(bed: np.ndarray) -> None:
    assert bed.shape == (round(DURATION * SR), 2) and bed.dtype == np.float32
    assert integrated_lufs(bed, SR) == pytest.approx(BED_LUFS, abs=0.1)
    assert music_bed(2.345, Music(), seed=1, sample_rate=44_100).shape == (round(2.345 * 44_100), 2)


def test_bed_is_deterministic_per_seed(bed: np.ndarray) -> None:
    assert np.array_equal(bed, music_bed(DURATION, Music(bpm=90, root="D", minor=True), seed=5))
    assert not np.array_equal(bed, music_bed(DURATION, Music(bpm=90, root="D", minor=True), seed=6))


def test_bed_is_soft_and_wide_but_mono_compatible(bed: np.ndarray) -> None:
    body = span(bed, 0.0, DURATION - 3.0)  # before the riser
    assert band_fraction_db(body, 4000.0, SR / 2) < -30.0
    correlation = np.corrcoef(body[:, 0], body[:, 1])[0, 1]
    assert 0.2 < correlation < 0.95


def test_bed_pulses_on_the_beat(bed: np.ndarray) -> None:
    beat = 60.0 / 90
    low = bandpass(bed, 0.0, 120.0)
    on = [energy_db(span(low, k * beat, (k + 0.12) * beat)) for k in range(2, 10)]
    off = [energy_db(span(low, (k + 0.6) * beat, (k + 0.9) * beat)) for k in range(2, 10)]
    assert np.mean(on) > np.mean(off) + 6.0


def test_bed_rises_into_the_cliffhanger(bed: np.ndarray) -> None:
    middle = energy_db(bandpass(span(bed, 4.0, 5.0), 1000.0, 6000.0))
    last = energy_db(bandpass(span(bed, DURATION - 0.8, DURATION - 0.05), 1000.0, 6000.0))
    assert last > middle + 10.0
