"""Answers kept by bytes: the data of a release never changes, so neither do they.

One cache belongs to one release in one process (a new release gets a new,
empty one). Only complete successful answers are kept, each at most an eighth
of the budget, least recently used first out.

The budget counts keys as well as answers: a key holds the whole query text
(up to the query size limit, 64 KiB), so thousands of distinct large queries
with tiny answers would otherwise grow a process without bound (issue 12: 48 to
279 MiB for 4,000 of them, a budget that would bind only near 13 GB). The
number of entries is capped too, for the per-entry overhead of Python objects.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

# Python's own cost of one entry (the tuple, the dict slot, object headers), roughly
ENTRY_OVERHEAD = 256


def key_bytes(key: object) -> int:
    """About what ``key`` costs in memory: its strings and bytes, whatever holds them."""
    if isinstance(key, str):
        # CPython stores 1, 2 or 4 bytes a character; len() * 4 would overcount ASCII
        return len(key) if key.isascii() else 4 * len(key)
    if isinstance(key, bytes):
        return len(key)
    if isinstance(key, tuple | list | frozenset):
        return 8 * len(key) + sum(key_bytes(part) for part in key)
    return 16


class AnswerCache:
    def __init__(self, max_bytes: int, max_entries: int = 4096) -> None:
        self.max_bytes = max(0, max_bytes)
        self.max_entries = max(0, max_entries)
        self._items: OrderedDict[Hashable, tuple[str, bytes, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return bool(self.max_bytes and self.max_entries)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        """What the kept keys and answers are counted at."""
        return self._bytes

    def get(self, key: Hashable) -> tuple[str, bytes] | None:
        if not self.enabled:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0], found[1]

    def put(self, key: Hashable, content_type: str, body: bytes) -> None:
        size = len(body) + key_bytes(key) + len(content_type) + ENTRY_OVERHEAD
        if not self.enabled or size > self.max_bytes // 8:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._items[key] = (content_type, body, size)
            self._bytes += size
            while self._items and (self._bytes > self.max_bytes
                                   or len(self._items) > self.max_entries):
                _, (_, _, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
