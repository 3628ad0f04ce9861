"""The identity lock tells the same character from a drifted one, another one, and nobody."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microdrama.character.identity import IdentityDescriptor, describe, score_frames
from microdrama.character.portrait import render_portrait
from microdrama.errors import InputError
from microdrama.generation.animatic import AnimaticProvider
from microdrama.generation.defects import DefectProfile
from tests.unit.generation.scenes import make_request, make_shot, sample_looks

UNDRIFTED = DefectProfile(identity_drift=0.0)  # every other defect at its default
DRIFTED = DefectProfile(identity_drift=35.0)
SETTINGS = [
    {"location": "MANOR - STUDY", "interior": True, "time_of_day": "NIGHT"},
    {"location": "CITY STREET", "interior": False, "time_of_day": "DAY"},
]


@pytest.fixture(scope="module")
def descriptors() -> dict[str, IdentityDescriptor]:
    return {cid: describe(cid, [render_portrait(look)]) for cid, look in sample_looks().items()}


def _last_frame(characters: list[str], profile: DefectProfile, setting: dict[str, object]) -> np.ndarray:
    shot = make_shot(characters, frames=8, **setting)  # type: ignore[arg-type]
    return list(AnimaticProvider(profile).frames(make_request(shot)))[-1]


@pytest.mark.parametrize("setting", SETTINGS, ids=["interior-night", "exterior-day"])
def test_scores_separate_same_drifted_other_and_absent(
    descriptors: dict[str, IdentityDescriptor], setting: dict[str, object]
) -> None:
    mara = descriptors["mara"]
    same = score_frames(mara, [_last_frame(["mara"], UNDRIFTED, setting)])
    drifted = score_frames(mara, [_last_frame(["mara"], DRIFTED, setting)])
    other = score_frames(mara, [_last_frame(["vivienne"], UNDRIFTED, setting)])
    absent = score_frames(mara, [_last_frame([], UNDRIFTED, setting)])
    assert same.found and same.score > 0.8
    assert drifted.score < same.score - 0.15
    assert other.score < 0.5 and not other.found
    assert absent.score < 0.5 and not absent.found


def test_finds_the_character_among_others(descriptors: dict[str, IdentityDescriptor]) -> None:
    frame = _last_frame(["julian", "vivienne"], UNDRIFTED, SETTINGS[1])
    match = score_frames(descriptors["vivienne"], [np.zeros_like(frame), frame])
    assert match.found and match.best_frame == 1 and match.box is not None
    x, _, w, _ = match.box
    assert x + w / 2 > frame.shape[1] / 2  # vivienne stands on the right of a two-shot


def test_descriptor_round_trips_through_json(descriptors: dict[str, IdentityDescriptor]) -> None:
    original = descriptors["julian"]
    restored = IdentityDescriptor.from_json(original.to_json())
    frame = _last_frame(["julian"], UNDRIFTED, SETTINGS[1])
    assert abs(score_frames(restored, [frame]).score - score_frames(original, [frame]).score) < 0.01


def test_bad_descriptor_and_reference_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="julian"):
        IdentityDescriptor.from_json({"version": 99, "character_id": "julian", "parts": []})
    blank = np.full((768, 512, 3), 128, np.uint8)
    with pytest.raises(InputError, match="mara"):
        describe("mara", [blank])
