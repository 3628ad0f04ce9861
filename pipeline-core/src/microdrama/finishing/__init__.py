"""Finishing: a locked template, classical stages (analysis, judder repair and frame-rate conversion,
reframing, deflicker, grade match, detail-matched upscale and encode) and the episode pipeline that
runs them across all shots through a StageRunner."""

from microdrama.finishing.pipeline import FinishResult, finish_episode
from microdrama.finishing.template import (
    FinishingTemplate,
    default_template,
    load_template,
    lock_template,
    parse_template,
    template_hash,
    template_to_yaml,
)

__all__ = [
    "FinishResult",
    "FinishingTemplate",
    "default_template",
    "finish_episode",
    "load_template",
    "lock_template",
    "parse_template",
    "template_hash",
    "template_to_yaml",
]
