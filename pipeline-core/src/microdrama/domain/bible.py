"""The series bible: what a studio hands us, validated at the boundary."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from microdrama.errors import InputError

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Voice(_Doc):
    """An offline TTS voice (espeak-ng voice name and variant, e.g. en-us+f3)."""

    voice: str = "en-us"
    rate: int = Field(165, ge=80, le=400, description="words per minute")
    pitch: int = Field(50, ge=0, le=99)


class CharacterLook(_Doc):
    """How the embedded renderer draws the character; colours as #rrggbb."""

    skin: str = "#c99a7a"
    hair: str = "#2a1b14"
    outfit: str = "#34507a"
    accent: str = "#e0c068"
    height: float = Field(1.0, ge=0.7, le=1.3)

    @field_validator("skin", "hair", "outfit", "accent")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError(f"{value!r} is not a #rrggbb colour")
        return value.lower()


class Character(_Doc):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=40, description="as written in the scripts")
    references: list[str] = Field(min_length=1, description="reference image paths, relative to the series dir")
    voice: Voice = Voice()
    look: CharacterLook = CharacterLook()


class Music(_Doc):
    mood: str = "tense"
    bpm: int = Field(84, ge=40, le=200)
    root: str = Field("A", pattern=r"^[A-G][#b]?$")
    minor: bool = True


class Look(_Doc):
    description: str = ""
    template: str | None = Field(None, description="finishing template YAML, relative to the series dir")


class Bible(_Doc):
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    logline: str = ""
    language: str = "en"
    characters: list[Character] = Field(min_length=1)
    look: Look = Look()
    music: Music = Music()
    profiles: list[str] = Field(default_factory=lambda: ["app-1080p-h264", "master-2160p-h264"], min_length=1)
    episodes: list[str] = Field(min_length=1, description="Fountain scripts, relative to the series dir")

    def character_by_name(self, name: str) -> Character | None:
        wanted = name.strip().upper()
        return next((c for c in self.characters if c.name.upper() == wanted), None)

    def character(self, character_id: str) -> Character:
        for c in self.characters:
            if c.id == character_id:
                return c
        raise KeyError(character_id)


def parse_bible(text: str, source: str = "bible.yaml") -> Bible:
    """Parse and validate a bible; errors name the file and the field at fault."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {exc}", file=source, line=mark.line + 1 if mark else None) from exc
    if not isinstance(data, dict):
        raise InputError("a bible is a YAML mapping", file=source)
    try:
        return Bible.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InputError(f"field {field}: {first['msg']}", file=source) from exc


def load_bible(series_dir: Path) -> Bible:
    """Load SERIES_DIR/bible.yaml and check every file it names exists."""
    path = series_dir / "bible.yaml"
    if not path.is_file():
        raise InputError("no bible.yaml in the series folder", file=str(path))
    bible = parse_bible(path.read_text(encoding="utf-8"), str(path))
    for c in bible.characters:
        for ref in c.references:
            if not (series_dir / ref).is_file():
                raise InputError(f"reference image of character {c.id!r} not found: {ref}", file=str(path))
    for ep in bible.episodes:
        if not (series_dir / ep).is_file():
            raise InputError(f"episode script not found: {ep}", file=str(path))
    if bible.look.template and not (series_dir / bible.look.template).is_file():
        raise InputError(f"finishing template not found: {bible.look.template}", file=str(path))
    return bible
