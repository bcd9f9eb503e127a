"""The caches of rendered feeds: shared by a worker's threads (cachetools does not lock),
and kept with keys the garbage collector can forget.

A control run on a bare ``cachetools.LRUCache`` must break (evictions racing each other,
even lookups reorder the entries), so that the run on the locked cache proves something.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from cachetools import LRUCache

from roadshow.calendar.rendering import FeedEntry, SharedLRUCache, plain_tuples
from roadshow.calendar.values import CalendarEvent, CalendarVenue

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


def test_keys_are_kept_as_plain_tuples_that_named_ones_find():
    moment = datetime(2031, 3, 10, 17, tzinfo=UTC)
    venue = CalendarVenue("Stadthalle", "Marktplatz 1", "82362", "Weilheim", None, None)
    value = CalendarEvent(
        uid="plain@roadshow",
        sequence=0,
        slug="plain",
        title="Titel",
        description="",
        starts_at=moment,
        ends_at=moment,
        timezone="Europe/Berlin",
        cancelled=False,
        content_changed_at=None,
        venue=venue,
    )
    key = ("https://roadshow.example", "", FeedEntry(value, changed_at=moment))
    plain = plain_tuples(key)
    assert plain == key and hash(plain) == hash(key)
    assert {type(plain[2]), type(plain[2][0]), type(plain[2][0][-1])} == {tuple}

    cache: SharedLRUCache[tuple[object, ...], bytes] = SharedLRUCache(maxsize=10, getsizeof=len)
    cache.put(plain, b"VEVENT")
    assert cache.get(key) == b"VEVENT"
    for _ in range(4):  # the collector lets go of one level of nesting per collection
        gc.collect()
    assert gc.is_tracked(key[2]) and not gc.is_tracked(plain)
