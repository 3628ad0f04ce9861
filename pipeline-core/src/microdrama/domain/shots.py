"""Shot lists: the script stage's output, the timeline every later stage follows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CameraMove = Literal["static", "push_in", "pull_out", "pan_left", "pan_right", "tilt_up"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DialogueLine(_Doc):
    character_id: str
    character_name: str
    text: str
    parenthetical: str = ""
    # Episode-relative seconds: the subtitle and the TTS slot.
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    source_line: int = Field(ge=1)


class Shot(_Doc):
    id: str = Field(pattern=r"^s[0-9]{2,3}$")
    index: int = Field(ge=0)
    scene: str
    location: str
    interior: bool
    time_of_day: str
    action: str
    characters: list[str]
    dialogue: list[DialogueLine] = []
    start_s: float = Field(ge=0)
    duration_s: float = Field(gt=0)
    camera: CameraMove = "static"
    cliffhanger: bool = False
    source_line: int = Field(ge=1)

    def frame_count(self, fps: int) -> int:
        return max(1, round(self.duration_s * fps))


class ShotList(_Doc):
    series_id: str
    episode_id: str
    title: str
    fps: int = 24
    width: int = 540
    height: int = 960
    shots: list[Shot] = Field(min_length=1)

    @property
    def duration_s(self) -> float:
        return sum(s.frame_count(self.fps) for s in self.shots) / self.fps

    def shot(self, shot_id: str) -> Shot:
        for s in self.shots:
            if s.id == shot_id:
                return s
        raise KeyError(shot_id)

    @property
    def dialogue(self) -> list[DialogueLine]:
        return [line for s in self.shots for line in s.dialogue]
