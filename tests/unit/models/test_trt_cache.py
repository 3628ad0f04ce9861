"""The TensorRT engine cache: keys, validation, rebuild of bad entries, kept build logs.

The cache logic needs no GPU: a builder is any function returning the engine bytes (or
None) and its log. Building and running real engines is tested where a GPU is present.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from microdrama.models.trt_cache import (
    BuildResult,
    EngineBuildError,
    EngineKey,
    Entry,
    Profile,
    get_or_build,
    validate,
)

KEY = EngineKey("ab" * 32, "fp16", Profile.fixed((1, 3, 540, 960)), "10.13.0", "NVIDIA H200")


class Builds:
    """Counts builds; each build yields distinct bytes so a rebuilt engine is visible."""

    def __init__(self, fail: bool = False) -> None:
        self.count, self.fail = 0, fail

    def __call__(self) -> BuildResult:
        self.count += 1
        if self.fail:
            return BuildResult(None, "[ERROR] no implementation for Conv_3 in fp16")
        return BuildResult(f"engine #{self.count}".encode(), "[INFO] built")


def test_every_key_field_changes_the_digest_and_equal_keys_agree() -> None:
    variants = [
        dataclasses.replace(KEY, onnx_sha256="cd" * 32),
        dataclasses.replace(KEY, precision="fp32"),
        dataclasses.replace(KEY, profile=Profile.fixed((1, 3, 1080, 1920))),
        dataclasses.replace(KEY, trt_version="10.14.1"),
        dataclasses.replace(KEY, gpu_name="NVIDIA H100 80GB HBM3"),
    ]
    digests = {KEY.digest(), *(v.digest() for v in variants)}
    assert len(digests) == 6
    assert EngineKey(**{**dataclasses.asdict(KEY), "profile": Profile.fixed((1, 3, 540, 960))}).digest() == KEY.digest()


def test_profile_covers_only_shapes_within_its_bounds() -> None:
    profile = Profile((1, 3, 256, 256), (4, 3, 540, 960), (8, 3, 1080, 1920))
    assert profile.covers((4, 3, 540, 960)) and not profile.covers((4, 3, 2160, 960))


def test_an_engine_is_built_once_then_served_from_the_cache(tmp_path: Path) -> None:
    builds = Builds()
    first = get_or_build(tmp_path, KEY, builds)
    second = get_or_build(tmp_path, KEY, builds)
    assert first == second and builds.count == 1
    assert first.read_bytes() == b"engine #1"
    record = json.loads(Entry.of(tmp_path, KEY).record.read_text())
    assert record["key"]["gpu_name"] == "NVIDIA H200" and record["key"]["profile"]["opt"] == [1, 3, 540, 960]


def test_a_corrupt_engine_is_rebuilt_never_returned(tmp_path: Path) -> None:
    builds = Builds()
    path = get_or_build(tmp_path, KEY, builds)
    path.write_bytes(b"engine #1 but truncat")
    assert validate(Entry.of(tmp_path, KEY), KEY) == "engine bytes do not match the record's sha256"
    assert get_or_build(tmp_path, KEY, builds).read_bytes() == b"engine #2"


def test_a_record_for_another_key_or_unreadable_is_rebuilt(tmp_path: Path) -> None:
    builds = Builds()
    entry = Entry.of(tmp_path, KEY)
    get_or_build(tmp_path, KEY, builds)
    record = json.loads(entry.record.read_text())
    record["key"]["trt_version"] = "8.6.1"
    entry.record.write_text(json.dumps(record))
    assert validate(entry, KEY) == "record is for another key"
    assert get_or_build(tmp_path, KEY, builds).read_bytes() == b"engine #2"
    entry.record.write_text("{not json")
    assert validate(entry, KEY).startswith("unreadable record")
    assert get_or_build(tmp_path, KEY, builds).read_bytes() == b"engine #3"


def test_a_failed_build_keeps_its_log_and_caches_nothing(tmp_path: Path) -> None:
    with pytest.raises(EngineBuildError) as err:
        get_or_build(tmp_path, KEY, Builds(fail=True))
    entry = Entry.of(tmp_path, KEY)
    assert err.value.log_path == entry.log and str(entry.log) in str(err.value)
    assert "no implementation for Conv_3" in entry.log.read_text()
    assert not entry.engine.exists() and not entry.record.exists()
    # A later successful build clears the stale log.
    get_or_build(tmp_path, KEY, Builds())
    assert not entry.log.exists()
