"""Answers kept by bytes: the data of a release never changes, so neither do they.

One cache belongs to one release in one process (a new release gets a new,
empty one). Only complete successful answers are kept, each at most an eighth
of the budget, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class AnswerCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._items: OrderedDict[Hashable, tuple[str, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> tuple[str, bytes] | None:
        if not self.max_bytes:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, content_type: str, body: bytes) -> None:
        size = len(body) + 256
        if not self.max_bytes or size > self.max_bytes // 8:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1]) + 256
            self._items[key] = (content_type, body)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped) + 256
