"""The one adapter that runs any stage on Ray: actors keep the stage set up between items."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from typing import Any

import ray

from microdrama.runtime.stages import Progress, StageFactory

# Restarts of one stage actor (and retries of the item it held) before the stage fails.
ACTOR_RESTARTS = 3


class _StageActor:
    def __init__(self, factory: StageFactory) -> None:
        self.stage = factory()
        self.stage.setup()

    def ready(self) -> None:
        """Answers once the actor has started and its stage is set up."""

    def process(self, item: Any) -> Any:
        return self.stage.process(item)


class RayRunner:
    """Maps a stage over items on a pool of Ray actors sized to the cluster."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None, max_actors: int | None = None) -> None:
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            # ray.init replaces SIGINT/SIGTERM handlers; the application embedding Ray owns them.
            main = threading.current_thread() is threading.main_thread()
            saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        self.max_actors = max_actors

    def close(self) -> None:
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()

    def map(self, factory: StageFactory, items: Sequence[Any], progress: Progress | None = None) -> list[Any]:
        if not items:
            return []
        probe = factory()
        res = probe.resources
        total_cpus = float(ray.cluster_resources().get("CPU", 1.0))
        total_gpus = float(ray.cluster_resources().get("GPU", 0.0))
        # GPU stages get GPU actors only where the cluster has GPUs; otherwise they run on CPU.
        num_gpus = res.num_gpus if total_gpus >= res.num_gpus > 0 else 0.0
        by_cpu = res.fit(total_cpus)
        by_gpu = int(total_gpus // num_gpus) if num_gpus else len(items)
        count = max(1, min(len(items), by_cpu, by_gpu, self.max_actors or len(items)))
        # A lost actor (its worker or node died) is started again, set up afresh, and the item it had is
        # retried on it; stages write outputs keyed by their inputs, so a redone item gives the same bytes.
        actor_cls: Any = ray.remote(
            num_cpus=res.num_cpus, num_gpus=num_gpus, max_restarts=ACTOR_RESTARTS, max_task_retries=ACTOR_RESTARTS
        )(_StageActor)
        actors = [actor_cls.remote(factory) for _ in range(count)]
        try:
            # Items go only to actors that have started: an actor the cluster cannot place yet (another job
            # holds its CPUs) must not hold an item that a started actor could take, or two jobs sharing a
            # full cluster would each wait on an actor that only the other's end can place.
            starting = {actor.ready.remote(): actor for actor in actors}
            pending: dict[Any, tuple[int, Any]] = {}
            results: list[Any] = [None] * len(items)
            queue = list(enumerate(items))
            idle: list[Any] = []
            done = 0
            while queue or pending:
                while queue and idle:
                    index, item = queue.pop(0)
                    actor = idle.pop()
                    pending[actor.process.remote(item)] = (index, actor)
                ready, _ = ray.wait([*pending, *(starting if queue else ())], num_returns=1)
                ref = ready[0]
                if ref in starting:
                    ray.get(ref)  # raises the stage's setup error
                    idle.append(starting.pop(ref))
                    continue
                index, actor = pending.pop(ref)
                results[index] = ray.get(ref)
                idle.append(actor)
                done += 1
                if progress:
                    progress(done, len(items))
            return results
        finally:
            for actor in actors:
                ray.kill(actor)
