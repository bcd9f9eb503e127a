"""A small thread-safe LRU cache with a size budget, for rendered calendar data.

Keys hold the values that the cached bytes were made from (never only ids or timestamps),
so a hit is exactly what a fresh rendering would give. Each worker process keeps its own;
no other process needs it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """At most ``budget`` units (bytes, say) of values, the least recently used leaving."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V, cost: int) -> None:
        if cost > self.budget:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            self._items[key] = (value, cost)
            self._used += cost
            while self._used > self.budget:
                _key, (_value, freed) = self._items.popitem(last=False)
                self._used -= freed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0

    def __len__(self) -> int:
        return len(self._items)
