"""The embedded provider: renders a shot as stylised "AI footage" with no model at all.

The setting follows the shot's location and time of day, the characters stand in it drawn
from their looks, the camera performs the shot's move, and then the defects a video model
would leave (softness, flicker, a colour cast, identity drift, noise) are applied from the
take's seed. Same request, same bytes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from microdrama.domain.bible import CharacterLook
from microdrama.domain.shots import Shot
from microdrama.errors import InputError
from microdrama.generation.camera import MARGIN, view_matrix
from microdrama.generation.defects import DefectPlan, DefectProfile, plan_defects
from microdrama.generation.figure import Sprite, build_figure, look_palette
from microdrama.generation.provider import TAKE_ENCODE, ShotRequest
from microdrama.generation.setting import lighting_for, render_setting
from microdrama.logs import get_logger
from microdrama.media.video import EncodeSettings, VideoWriter

log = get_logger(__name__)

_MOUTHS = (0.0, 0.5, 1.0)  # mouth openings painted per figure; speech picks among them
_HEAD = 0.15  # head height as a share of the frame height, for a figure in front
_SYLLABLE_HZ = 3.8


@dataclass(frozen=True, eq=False)
class _Figure:
    character_id: str
    look: CharacterLook
    sprites: list[Sprite]  # one per mouth opening
    x: int  # head's top centre in world pixels
    y: int
    phase: float  # where its speech rhythm starts


def _slots(count: int) -> list[tuple[float, float]]:
    """(x as a share of the frame width, depth scale) for each character, left to right."""
    fixed = {1: [(0.5, 1.0)], 2: [(0.27, 0.84), (0.73, 0.94)], 3: [(0.19, 0.72), (0.5, 0.8), (0.81, 0.72)]}
    return fixed.get(count, [((i + 0.5) / count, 0.7) for i in range(count)])


def _mouth(shot: Shot, figure: _Figure, t: float) -> int:
    """Which mouth opening to show at episode time t: closed unless the character is speaking."""
    speaking = any(
        line.character_id == figure.character_id and line.start_s <= t < line.end_s for line in shot.dialogue
    )
    if not speaking:
        return 0
    syllable = 0.5 + 0.5 * np.sin(2 * np.pi * _SYLLABLE_HZ * t + figure.phase)
    phrase = 0.65 + 0.35 * np.sin(2 * np.pi * 0.9 * t + 2 * figure.phase)
    return min(len(_MOUTHS) - 1, int(syllable * phrase * len(_MOUTHS)))


class AnimaticProvider:
    """Renders takes locally; the default provider and the source of test footage."""

    name = "animatic"

    def __init__(self, defects: DefectProfile | None = None, encode: EncodeSettings = TAKE_ENCODE) -> None:
        self.defects = defects if defects is not None else DefectProfile()
        self.encode = encode
        # Shots in one location share a background, and a character's figure repeats across shots.
        self._setting = lru_cache(maxsize=4)(render_setting)
        self._figure = lru_cache(maxsize=6)(build_figure)

    def plan(self, request: ShotRequest) -> DefectPlan:
        """The defects this request's take gets (known exactly, for benchmarks and tests)."""
        frames = request.shot.frame_count(request.fps)
        return plan_defects(self.defects, request.seed, frames, conditioned=request.reference_frame is not None)

    def generate(self, request: ShotRequest, dest: Path) -> None:
        started = time.perf_counter()
        with VideoWriter(dest, request.width, request.height, request.fps, self.encode) as out:
            for frame in self.frames(request):
                out.write(frame)
        log.info(
            "take rendered",
            provider=self.name,
            shot=request.shot.id,
            take=request.take,
            frames=out.frames_written,
            seconds=round(time.perf_counter() - started, 2),
        )

    def frames(self, request: ShotRequest) -> Iterator[np.ndarray]:
        """The take's frames as uint8 RGB, defects applied."""
        shot, w, h = request.shot, request.width, request.height
        pad_x, pad_y = round(w * (MARGIN - 1) / 2), round(h * (MARGIN - 1) / 2)
        world = (w + 2 * pad_x, h + 2 * pad_y)
        lighting = lighting_for(shot.interior, shot.time_of_day)
        background = self._setting(shot.location, lighting, *world).copy()
        figures = self._place(request, world, (pad_x, pad_y))
        for figure in figures:
            if lighting.shadow > 0:
                figure.sprites[0].shadow(background, figure.x, figure.y, lighting.shadow)
        plan = self.plan(request)
        light = lighting.figure_light
        count = shot.frame_count(request.fps)
        for i in range(count):
            canvas = background.copy()
            t = shot.start_s + i / request.fps
            drift = plan.drift_at(i)
            for figure in figures:
                sprite = figure.sprites[_mouth(shot, figure, t)]
                sprite.paint(canvas, figure.x, figure.y, look_palette(figure.look, drift), light)
            matrix = view_matrix(shot.camera, i / max(1, count - 1), world, (w, h))
            view = cv2.warpAffine(
                canvas, matrix, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
            )
            yield plan.apply(view, i)

    def _place(self, request: ShotRequest, world: tuple[int, int], pad: tuple[int, int]) -> list[_Figure]:
        """Stand the shot's characters in the world, farthest first (the drawing order)."""
        shot, h = request.shot, request.height
        missing = [c for c in shot.characters if c not in request.characters]
        if missing:
            raise InputError(f"shot {shot.id}: no look for character(s) {', '.join(missing)}")
        rng = np.random.default_rng([request.seed, 1])
        figures = []
        for character_id, (share, depth) in zip(shot.characters, _slots(len(shot.characters)), strict=True):
            look = request.characters[character_id]
            head = round(_HEAD * h * depth)
            y = round(pad[1] + h * (0.15 + (1.0 - depth) * 0.3) - (look.height - 1.0) * head * 1.5)
            sprites = self._figure(look, head, world[1] - y + 2, _MOUTHS)
            x = round(pad[0] + share * request.width)
            figures.append((depth, _Figure(character_id, look, sprites, x, y, float(rng.uniform(0, 2 * np.pi)))))
        return [f for _, f in sorted(figures, key=lambda item: item[0])]
