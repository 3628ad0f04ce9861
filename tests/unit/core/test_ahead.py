import threading
from collections.abc import Iterator

import pytest

from microdrama.media.ahead import ahead


def test_items_come_in_order_from_another_thread() -> None:
    threads: set[str] = set()

    def produce() -> Iterator[int]:
        for i in range(50):
            threads.add(threading.current_thread().name)
            yield i

    assert list(ahead(produce, depth=3)) == list(range(50))
    assert threads == {"md-ahead"}


def test_a_failure_is_raised_where_it_happened() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("frame 3 is corrupt")

    got = []
    with pytest.raises(ValueError, match="frame 3 is corrupt"):
        for item in ahead(produce):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_closes_the_producer() -> None:
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    items = ahead(produce, depth=2)
    assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()
    assert closed.is_set()


def test_a_producer_that_fails_to_start_is_raised_not_waited_for() -> None:
    def produce() -> Iterator[int]:  # not a generator: it fails when called, before any item
        raise FileNotFoundError("take.mp4")

    raised: list[BaseException] = []

    def consume() -> None:
        try:
            next(ahead(produce))
        except BaseException as exc:
            raised.append(exc)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(timeout=10)  # a consumer left waiting would hang the suite: fail instead
    assert not consumer.is_alive(), "the consumer is still waiting for an item"
    assert isinstance(raised[0], FileNotFoundError) and "take.mp4" in str(raised[0])
