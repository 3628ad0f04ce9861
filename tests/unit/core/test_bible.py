from pathlib import Path

import pytest

from microdrama.domain.bible import load_bible, parse_bible
from microdrama.errors import InputError

MINIMAL = """
id: s
title: T
characters:
  - {id: mara, name: MARA, references: [refs/mara.png]}
episodes: [episodes/ep01.fountain]
"""


def test_unknown_field_is_named() -> None:
    with pytest.raises(InputError, match=r"bible.yaml: field characters.0.voice.speed: Extra inputs"):
        parse_bible(MINIMAL.replace("{id: mara,", "{voice: {speed: 3}, id: mara,"), "bible.yaml")


def test_bad_colour_and_yaml_line_are_named() -> None:
    with pytest.raises(InputError, match=r"look\.outfit"):
        parse_bible(MINIMAL.replace("{id: mara,", "{look: {outfit: red}, id: mara,"), "b.yaml")
    with pytest.raises(InputError, match=r"b.yaml:3"):
        parse_bible("id: s\ntitle: T\ncharacters: [a, : b]\n", "b.yaml")


def test_missing_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "bible.yaml").write_text(MINIMAL)
    with pytest.raises(InputError, match=r"reference image of character 'mara' not found: refs/mara.png"):
        load_bible(tmp_path)
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "mara.png").write_bytes(b"x")
    with pytest.raises(InputError, match=r"episode script not found: episodes/ep01\.fountain"):
        load_bible(tmp_path)
