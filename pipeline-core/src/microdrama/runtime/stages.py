"""Stages and the runners that execute them.

A stage is plain Python that never imports Ray: `setup()` loads what it needs once,
`process(item)` does the work for one item, and `resources` declares what one
instance needs. A runner maps a stage over a batch: in-process for tests and small
runs, or as Ray actors (runtime.ray_runner) that keep the stage loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class Resources:
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    gpu_memory_gb: float = 0.0


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
    """Runs a stage in the calling process: same code path as on Ray, no cluster."""

    def map(self, factory: StageFactory, items: Sequence[Any], progress: Progress | None = None) -> list[Any]:
        stage = factory()
        stage.setup()
        results = []
        for done, item in enumerate(items, start=1):
            results.append(stage.process(item))
            if progress:
                progress(done, len(items))
        return results
