"""Stages and the runners that execute them.

A stage is plain Python that never imports Ray: `setup()` loads what it needs once,
`process(item)` does the work for one item, and `resources` declares what one
instance needs. A runner maps a stage over a batch: in-process for tests and small
runs, or as Ray actors (runtime.ray_runner) that keep the stage loaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class Resources:
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    gpu_memory_gb: float = 0.0

    def fit(self, cpus: float) -> int:
        """How many instances needing these resources `cpus` CPUs hold."""
        return int(cpus // max(self.num_cpus, 0.01))


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which a container or taskset narrows)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Stage(Protocol):
    name: str
    resources: Resources

    def setup(self) -> None: ...

    def process(self, item: Any) -> Any: ...


# A picklable callable building a stage inside whichever worker runs it.
StageFactory = Callable[[], Stage]
Progress = Callable[[int, int], None]


class StageRunner(Protocol):
    def map(self, factory: StageFactory, items: Sequence[Any], progress: Progress | None = None) -> list[Any]:
        """Run the stage over every item and return results in item order."""
        ...


class InProcessRunner:
    """Runs a stage in the calling process: same code path as on Ray, no cluster.

    `workers` CPU slots: as many instances of the stage as its declared CPUs fit (one for a stage that
    needs a GPU: the process drives one device), each set up once in a thread of its own, take the items
    in turn. Decoding, OpenCV and the encoder release the GIL, so the shots of a stage use the machine's
    cores side by side. Results come back in item order; after an error no further item is started, and
    the first error is raised once the items in hand are done.
    """

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers

    def map(self, factory: StageFactory, items: Sequence[Any], progress: Progress | None = None) -> list[Any]:
        if not items:
            return []
        first = factory()
        slots = 1 if first.resources.num_gpus > 0 else first.resources.fit(self.workers)
        stages = [first, *(factory() for _ in range(min(len(items), slots) - 1))]
        results: list[Any] = [None] * len(items)
        feed = iter(range(len(items)))
        lock = threading.Lock()
        failed = threading.Event()
        done = 0

        def work(stage: Stage) -> None:
            nonlocal done
            stage.setup()
            while not failed.is_set():
                with lock:
                    index = next(feed, None)
                if index is None:
                    return
                try:
                    results[index] = stage.process(items[index])
                except BaseException:
                    failed.set()
                    raise
                with lock:
                    done += 1
                    if progress:
                        progress(done, len(items))

        if len(stages) == 1:
            work(first)
            return results
        with ThreadPoolExecutor(len(stages), thread_name_prefix="md-stage") as pool:
            futures = [pool.submit(work, stage) for stage in stages]
        for future in futures:
            future.result()
        return results
