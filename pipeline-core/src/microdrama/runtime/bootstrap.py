"""The composition root: builds the stores and resources handlers get, from settings, once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from microdrama.runtime.service import Deps
from microdrama.runtime.stages import StageRunner
from microdrama.settings import Settings
from microdrama.status import StatusStore
from microdrama.store.base import ObjectStore
from microdrama.store.factory import make_store

if TYPE_CHECKING:
    from microdrama.audio.tts import EspeakTTS


def _ray_runner(settings: Settings) -> StageRunner:
    from microdrama.runtime.ray_runner import RayRunner

    return RayRunner(settings.ray_address, settings.ray_num_cpus)


def _tts() -> EspeakTTS:
    # Imported here: only the audio service loads the espeak-ng library.
    from microdrama.audio.tts import EspeakTTS

    return EspeakTTS()


def build_deps(
    settings: Settings, status: StatusStore | None = None, runner_factory: Callable[[], StageRunner] | None = None
) -> Deps:
    # The factory is a picklable partial: Ray actors rebuild the store from settings on their side.
    store_factory: Callable[[], ObjectStore] = functools.partial(make_store, settings)
    return Deps(
        store=store_factory(),
        settings=settings,
        store_factory=store_factory,
        runner_factory=runner_factory or functools.partial(_ray_runner, settings),
        tts_factory=_tts,
        status=status,
    )
