"""What a service declares: its name and the handlers it runs on which subjects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from microdrama.events.envelope import Event
from microdrama.runtime.stages import StageRunner
from microdrama.settings import Settings
from microdrama.store.base import ObjectStore

if TYPE_CHECKING:
    from microdrama.audio.tts import EspeakTTS
    from microdrama.runtime.bus import Bus
    from microdrama.runtime.calls import Authenticator
    from microdrama.runtime.grpc_server import Registration
    from microdrama.status import StatusStore


@dataclass
class Deps:
    """What handlers may use besides the event: stores and long-lived resources, built once."""

    store: ObjectStore
    settings: Settings
    store_factory: Callable[[], ObjectStore]
    runner_factory: Callable[[], StageRunner]
    tts_factory: Callable[[], EspeakTTS]
    status: StatusStore | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def runner(self) -> StageRunner:
        # Built on first use: starting Ray costs seconds and only finishing needs it.
        if "runner" not in self._cache:
            self._cache["runner"] = self.runner_factory()
        runner: StageRunner = self._cache["runner"]
        return runner

    @property
    def tts(self) -> EspeakTTS:
        if "tts" not in self._cache:
            self._cache["tts"] = self.tts_factory()
        tts: EspeakTTS = self._cache["tts"]
        return tts

    def close(self) -> None:
        runner = self._cache.pop("runner", None)
        close = getattr(runner, "close", None)
        if close is not None:
            close()


Handler = Callable[[Event, Deps], list[Event]]


@dataclass(frozen=True)
class Subscription:
    subject: str
    handler: Handler
    # Long steps (finishing) get a longer ack wait; heartbeats keep the message while it runs.
    ack_wait_s: float | None = None
    # Handlers that wait for other stages (NotReady) need more deliveries than the default.
    max_deliver: int | None = None


@dataclass(frozen=True)
class Api:
    """What a service serves over gRPC besides health: its servicers and who may call them."""

    registrations: list[Registration]
    auth: Authenticator | None = None
    # Partners hold API keys, not client certificates: their port is TLS without client auth.
    partner_facing: bool = False


@dataclass
class ApiContext:
    """What servicers get: the handlers' deps, plus publishing and the bus's key-value buckets."""

    deps: Deps
    bus: Bus


ApiFactory = Callable[[ApiContext], Awaitable[Api]]


@dataclass(frozen=True)
class Service:
    name: str
    subscriptions: tuple[Subscription, ...]
    # A stage's handlers can also be called directly (md.stage.v1.StageService); the gateway is not a stage.
    stage: bool = True
    api: ApiFactory | None = None

    def durable(self, sub: Subscription) -> str:
        # <service>-<aggregate>-<event>, e.g. finishing-episode-shots_ready; a wildcard reads "all".
        _, aggregate, _, event = sub.subject.split(".")
        return f"{self.name}-{aggregate}-{'all' if event == '>' else event}"
