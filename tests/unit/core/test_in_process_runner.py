"""The in-process runner: shots of a stage side by side in threads, in order, one setup per instance."""

import threading
from dataclasses import dataclass, field

import pytest

from microdrama.runtime.stages import InProcessRunner, Resources


@dataclass
class Recorder:
    """A stage that records its setups and the threads its items ran on; item < 0 fails."""

    log: list[tuple[str, int, str]]
    meet: threading.Barrier | None = None
    resources: Resources = field(default_factory=Resources)
    name: str = "recorder"

    def setup(self) -> None:
        self.log.append(("setup", id(self), threading.current_thread().name))

    def process(self, item: int) -> int:
        if item < 0:
            raise ValueError(f"bad item {item}")
        if self.meet is not None and item < self.meet.parties:
            self.meet.wait()  # times out (BrokenBarrierError) unless the first items run at the same time
        self.log.append(("item", item, threading.current_thread().name))
        return item * 10


def test_workers_take_items_side_by_side_and_results_keep_item_order() -> None:
    log: list[tuple[str, int, str]] = []
    meet = threading.Barrier(3, timeout=30)
    progress: list[tuple[int, int]] = []
    results = InProcessRunner(workers=3).map(
        lambda: Recorder(log, meet), list(range(8)), lambda done, total: progress.append((done, total))
    )
    assert results == [k * 10 for k in range(8)]
    setups = [entry for entry in log if entry[0] == "setup"]
    assert len(setups) == 3 and len({instance for _, instance, _ in setups}) == 3
    assert len({thread for kind, _, thread in log if kind == "item"}) == 3
    assert progress == [(k, 8) for k in range(1, 9)]


def test_an_error_stops_new_items_and_is_raised() -> None:
    log: list[tuple[str, int, str]] = []
    with pytest.raises(ValueError, match="bad item -1"):
        InProcessRunner(workers=1).map(lambda: Recorder(log), [0, 1, -1, 3, 4])
    assert [item for kind, item, _ in log if kind == "item"] == [0, 1]


def test_a_gpu_stage_runs_as_one_instance_and_few_items_need_few_instances() -> None:
    gpu: list[tuple[str, int, str]] = []
    InProcessRunner(workers=4).map(lambda: Recorder(gpu, resources=Resources(num_gpus=1.0)), list(range(5)))
    assert sum(kind == "setup" for kind, _, _ in gpu) == 1
    few: list[tuple[str, int, str]] = []
    InProcessRunner(workers=4).map(lambda: Recorder(few), [1, 2])
    assert sum(kind == "setup" for kind, _, _ in few) == 2
    assert InProcessRunner(workers=4).map(lambda: Recorder(few), []) == []
    with pytest.raises(ValueError, match="workers must be at least 1"):
        InProcessRunner(workers=0)
