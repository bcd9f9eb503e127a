"""The caches of rendered feeds are shared by a worker's threads; cachetools does not lock.

A control run on a bare ``cachetools.LRUCache`` must break (evictions racing each other,
even lookups reorder the entries), so that the run on the locked cache proves something.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from cachetools import LRUCache

from roadshow.calendar.rendering import SharedLRUCache

THREADS = 8
ROUNDS = 20_000


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def hammer(get: Callable[[int], object], put: Callable[[int, bytes], None]) -> list[str]:
    """Threads putting values of different sizes into a cache too small for them, and
    looking others up; the errors they met."""
    errors: list[str] = []

    def work(number: int) -> None:
        try:
            for round_ in range(ROUNDS):
                key = (number * 7 + round_) % 64
                put(key, b"x" * (1 + key % 5))
                get((key + 3) % 64)
        except Exception as error:  # any error is the finding
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_a_bare_lru_cache_breaks_under_threads():
    cache: LRUCache[int, bytes] = LRUCache(maxsize=40, getsizeof=len)
    assert hammer(cache.get, cache.__setitem__)


def test_the_shared_cache_stays_whole_under_threads():
    cache: SharedLRUCache[int, bytes] = SharedLRUCache(maxsize=40, getsizeof=len)
    assert hammer(cache.get, cache.put) == []
    sizes = [len(value) for key in range(64) if (value := cache.get(key)) is not None]
    assert 0 < sum(sizes) <= 40


def test_a_value_larger_than_the_whole_cache_is_not_kept():
    cache: SharedLRUCache[str, bytes] = SharedLRUCache(maxsize=10, getsizeof=len)
    cache.put("small", b"12345")
    cache.put("large", b"x" * 11)
    assert cache.get("large") is None
    assert cache.get("small") == b"12345"
