"""Screenplay -> shot list: one shot per action paragraph or line of dialogue, frame-exact timing.

Timing rules (all durations are estimates the later stages replace with real audio):
- dialogue: spoken time = words / (voice rate / 60) plus 0.6 s breathing room, at least 1.5 s;
- action: 1.5 s + 0.25 s a word, clamped to [2.0, 5.0] s.
Every duration is rounded to whole frames and start times are accumulated in frames, so
each shot starts exactly on a frame boundary and the shots sum to the episode length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby

from microdrama.domain.bible import Bible, Character
from microdrama.domain.shots import CameraMove, DialogueLine, Shot, ShotList
from microdrama.errors import InputError
from microdrama.logs import get_logger
from microdrama.script.fountain import Element, Kind, Scene, Screenplay, parse_heading

_WORD = re.compile(r"[\w']+")
_OFF_SCREEN = ("V.O.", "O.S.", "O.C.")
# Heading times that mean "same as the scene before": the renderer needs a real light level.
_CARRIED_TIMES = ("CONTINUOUS", "LATER", "MOMENTS LATER", "SAME", "SAME TIME")
_LINE_LEAD_IN_S = 0.25
_BREATH_S = 0.6
_MIN_DIALOGUE_S = 1.5
_ACTION_BASE_S, _ACTION_PER_WORD_S, _ACTION_MIN_S, _ACTION_MAX_S = 1.5, 0.25, 2.0, 5.0

log = get_logger(__name__)


@dataclass(frozen=True)
class _Beat:
    """A shot before timing: what is seen, who is in it, and the line spoken, if any."""

    scene: Scene
    action: str
    characters: list[str]
    line: int
    speaker: Character | None = None
    speech: str = ""
    parenthetical: str = ""
    speech_line: int = 0


def build_shot_list(
    play: Screenplay,
    bible: Bible,
    *,
    series_id: str,
    episode_id: str,
    source: str,
    fps: int = 24,
    width: int = 540,
    height: int = 960,
) -> ShotList:
    """Turn a parsed screenplay into a timed shot list; unknown speakers raise InputError.

    Transitions and centered text make no shots. A heading timed CONTINUOUS, LATER or SAME
    takes the time of day of the scene before it.
    """
    beats = [beat for scene in play.scenes for beat in _scene_beats(scene, bible, source)]
    if not beats:
        raise InputError("the script has no action or dialogue to shoot", file=source)
    shots: list[Shot] = []
    frame = 0
    time_of_day = "DAY"
    for index, beat in enumerate(beats):
        frames = max(1, round(_estimate_s(beat) * fps))
        start_s, end_s = frame / fps, (frame + frames) / fps
        is_last = index == len(beats) - 1
        opens_scene = index == 0 or beats[index - 1].scene is not beat.scene
        interior, location, heading_time = parse_heading(beat.scene.heading.text)
        time_of_day = time_of_day if heading_time in _CARRIED_TIMES else heading_time
        shots.append(
            Shot(
                id=f"s{index + 1:02d}",
                index=index,
                scene=beat.scene.heading.text,
                location=location,
                interior=interior,
                time_of_day=time_of_day,
                action=beat.action,
                characters=beat.characters,
                dialogue=_dialogue(beat, start_s, end_s),
                start_s=start_s,
                duration_s=frames / fps,
                camera=_camera(beat, first_in_scene=opens_scene, last=is_last),
                cliffhanger=is_last,
                source_line=beat.line,
            )
        )
        frame += frames
    shot_list = ShotList(
        series_id=series_id,
        episode_id=episode_id,
        title=play.title,
        fps=fps,
        width=width,
        height=height,
        shots=shots,
    )
    log.info("shot list built", episode=episode_id, shots=len(shots), duration_s=shot_list.duration_s)
    return shot_list


def _scene_beats(scene: Scene, bible: Bible, source: str) -> list[_Beat]:
    """Who is present: everyone named or speaking in the scene so far, plus everyone speaking in
    the current exchange (so a two-hander that opens on dialogue still has both people in it)."""
    beats: list[_Beat] = []
    present: list[Character] = []
    for is_action, group in groupby(scene.elements, key=lambda el: el.kind is Kind.ACTION):
        if is_action:
            for el in group:
                named = _named_in(el.text, bible)
                present += [c for c in named if c not in present]
                beats.append(_Beat(scene, el.text, [c.id for c in named], el.line))
        else:
            exchange = list(group)
            speakers = [_speaker(el, bible, source) for el in exchange if el.kind is Kind.CHARACTER]
            present += [c for c in speakers if c not in present]
            beats += _exchange_beats(scene, exchange, present, bible, source)
    return beats


def _exchange_beats(
    scene: Scene, exchange: list[Element], present: list[Character], bible: Bible, source: str
) -> list[_Beat]:
    """One beat per line of dialogue: the speaker (unless off screen) plus everyone else present."""
    beats: list[_Beat] = []
    speaker: tuple[Character, Element] | None = None
    parenthetical = ""
    for el in exchange:
        if el.kind is Kind.CHARACTER:
            speaker, parenthetical = (_speaker(el, bible, source), el), ""
        elif el.kind is Kind.PARENTHETICAL:
            parenthetical = el.text.strip("()").strip()
        elif el.kind is Kind.DIALOGUE and speaker is not None:
            character, cue = speaker
            on_screen = [character.id] if cue.extension.upper().strip("()") not in _OFF_SCREEN else []
            listeners = [c for c in present if c.id != character.id]
            beats.append(
                _Beat(
                    scene,
                    _dialogue_action(character, listeners, parenthetical),
                    on_screen + [c.id for c in listeners],
                    cue.line,
                    character,
                    el.text,
                    parenthetical,
                    el.line,
                )
            )
            parenthetical = ""
    return beats


def _speaker(cue: Element, bible: Bible, source: str) -> Character:
    character = bible.character_by_name(cue.text)
    if character is None:
        known = ", ".join(c.name for c in bible.characters)
        raise InputError(f"character {cue.text!r} is not in the bible (known: {known})", file=source, line=cue.line)
    return character


def _named_in(text: str, bible: Bible) -> list[Character]:
    """Bible characters whose name appears in the text as a whole word, any case, in order."""
    found = []
    for c in bible.characters:
        match = re.search(rf"(?<!\w){re.escape(c.name)}(?!\w)", text, re.IGNORECASE)
        if match:
            found.append((match.start(), c))
    return [c for _, c in sorted(found, key=lambda pair: pair[0])]


def _dialogue_action(speaker: Character, listeners: list[Character], parenthetical: str) -> str:
    to = f" to {', '.join(c.name for c in listeners)}" if listeners else ""
    how = f" ({parenthetical})" if parenthetical else ""
    return f"{speaker.name} speaks{to}{how}"


def _spoken_s(speech: str, speaker: Character) -> float:
    return _words(speech) / (speaker.voice.rate / 60)


def _estimate_s(beat: _Beat) -> float:
    if beat.speaker is not None:
        return max(_MIN_DIALOGUE_S, _spoken_s(beat.speech, beat.speaker) + _BREATH_S)
    return min(_ACTION_MAX_S, max(_ACTION_MIN_S, _ACTION_BASE_S + _ACTION_PER_WORD_S * _words(beat.action)))


def _dialogue(beat: _Beat, shot_start_s: float, shot_end_s: float) -> list[DialogueLine]:
    if beat.speaker is None:
        return []
    start_s = shot_start_s + _LINE_LEAD_IN_S
    return [
        DialogueLine(
            character_id=beat.speaker.id,
            character_name=beat.speaker.name,
            text=beat.speech,
            parenthetical=beat.parenthetical,
            start_s=start_s,
            end_s=min(shot_end_s, start_s + _spoken_s(beat.speech, beat.speaker)),
            source_line=beat.speech_line,
        )
    ]


def _camera(beat: _Beat, *, first_in_scene: bool, last: bool) -> CameraMove:
    """Deterministic from content: the last shot pushes in on the cliffhanger; a scene opens by
    panning across an empty place or pulling out from its people; emphatic lines ('!') push in,
    other lines hold still; mid-scene action pans across a group, pushes in on one person."""
    if last:
        return "push_in"
    if first_in_scene:
        return "pull_out" if beat.characters else "pan_right"
    if beat.speaker is not None:
        return "push_in" if beat.speech.rstrip().endswith("!") else "static"
    if len(beat.characters) > 1:
        return "pan_left"
    return "push_in" if beat.characters else "static"


def _words(text: str) -> int:
    return len(_WORD.findall(text))
