"""A small time-bounded cache for the lookups every command repeats (who is talking, which project)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Callable, Hashable


class TTLCache:
    """Entries live `ttl` seconds at most, so changes made by another process show within that time;
    this process clears the cache itself whenever it changes what is cached."""

    def __init__(self, ttl: float = 30.0, size: int = 20000, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] < self.clock():
            del self._data[key]
            return None
        return entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        self._data[key] = (self.clock() + self.ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()
