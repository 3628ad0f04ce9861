"""Small shots and the sample series' looks, for tests that render takes."""

from __future__ import annotations

from pathlib import Path

from microdrama.domain.bible import CharacterLook, parse_bible
from microdrama.domain.shots import CameraMove, DialogueLine, Shot
from microdrama.generation.provider import ShotRequest

SERIES = Path(__file__).resolve().parents[3] / "examples" / "the-last-heir"


def sample_looks() -> dict[str, CharacterLook]:
    bible = parse_bible((SERIES / "bible.yaml").read_text(encoding="utf-8"))
    return {c.id: c.look for c in bible.characters}


def make_shot(
    characters: list[str],
    *,
    location: str = "MANOR - BEDROOM",
    interior: bool = True,
    time_of_day: str = "NIGHT",
    camera: CameraMove = "static",
    frames: int = 12,
    speaker: str | None = None,
) -> Shot:
    duration = frames / 24
    dialogue = (
        [
            DialogueLine(
                character_id=speaker,
                character_name=speaker.upper(),
                text="Who else knows?",
                start_s=0.0,
                end_s=duration,
                source_line=3,
            )
        ]
        if speaker
        else []
    )
    return Shot(
        id="s01",
        index=0,
        scene=f"INT. {location} - {time_of_day}",
        location=location,
        interior=interior,
        time_of_day=time_of_day,
        action="She waits.",
        characters=characters,
        dialogue=dialogue,
        start_s=0.0,
        duration_s=duration,
        camera=camera,
        source_line=1,
    )


def make_request(
    shot: Shot, *, seed: int = 11, take: int = 1, reference: Path | None = None, size: tuple[int, int] = (540, 960)
) -> ShotRequest:
    looks = sample_looks()
    return ShotRequest(
        shot=shot,
        fps=24,
        width=size[0],
        height=size[1],
        characters={c: looks[c] for c in shot.characters},
        seed=seed,
        take=take,
        reference_frame=reference,
    )
