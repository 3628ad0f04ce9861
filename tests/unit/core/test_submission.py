"""Submitting a series checks everything first; a bad file is named and nothing is stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from microdrama.errors import InputError
from microdrama.store.local import LocalStore
from microdrama.submission import submit_series
from tests.conftest import REPO


@pytest.fixture
def series(tmp_path: Path) -> Path:
    dest = tmp_path / "series"
    shutil.copytree(REPO / "examples" / "the-last-heir", dest)
    return dest


def test_example_series_submits_its_bible_references_and_scripts(series: Path, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    submission = submit_series(store, series, "acme")
    assert [r.episode_id for r in submission.refs] == ["ep01", "ep02"]
    keys = store.list("tenants/acme/")
    assert "tenants/acme/series/the-last-heir/bible.yaml" in keys
    assert "tenants/acme/series/the-last-heir/characters/mara/references/00.png" in keys
    assert "tenants/acme/series/the-last-heir/episodes/ep02/script.fountain" in keys
    # Same content, same event ids: a resubmission inside JetStream's window is a no-op.
    again = submit_series(store, series, "acme")
    assert [e.id for e in again.episodes] == [e.id for e in submission.episodes]


def test_unreadable_reference_is_named_and_nothing_is_stored(series: Path, tmp_path: Path) -> None:
    (series / "references" / "julian.png").write_text("not an image")
    store = LocalStore(tmp_path / "store")
    with pytest.raises(InputError, match=r"julian\.png: reference image of character 'julian' is not a readable"):
        submit_series(store, series, "acme")
    assert store.list("tenants/") == []


def test_episode_file_name_must_be_a_plain_id(series: Path, tmp_path: Path) -> None:
    bible = series / "bible.yaml"
    (series / "episodes" / "ep01.fountain").rename(series / "episodes" / "ep 01.fountain")
    bible.write_text(bible.read_text().replace("episodes/ep01.fountain", "episodes/ep 01.fountain"))
    with pytest.raises(InputError, match="episode id 'ep 01'"):
        submit_series(LocalStore(tmp_path / "store"), series, "acme")
