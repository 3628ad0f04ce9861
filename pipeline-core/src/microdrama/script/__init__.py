"""Script stage: Fountain screenplays in, timed shot lists out."""

from microdrama.script.fountain import Element, Kind, Scene, Screenplay, parse_fountain, parse_heading
from microdrama.script.shotlist import build_shot_list

__all__ = ["Element", "Kind", "Scene", "Screenplay", "build_shot_list", "parse_fountain", "parse_heading"]
