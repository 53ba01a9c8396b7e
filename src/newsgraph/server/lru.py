"""The one cache of the server: least recently used out first, within a number
of entries and, where a value's size is known, a number of bytes.

A release's data never changes, so nothing here expires: a new release gets
new, empty caches. Used for descriptions and pages (``store.OpenRelease``,
entries only) and for SPARQL answers (``sparql.cache.AnswerCache``, entries and
bytes, keys counted too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
T = TypeVar("T")

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


class LRU(Generic[V]):
    """A thread-safe LRU within ``max_entries`` and, given ``size`` (what one
    entry costs, key included), ``max_bytes``; a value larger than
    ``max_bytes // largest_share`` is never kept (it would push out the rest).
    A budget of 0 turns the cache off."""

    def __init__(self, max_entries: int, max_bytes: int | None = None,
                 size: Callable[[Hashable, V], int] | None = None,
                 largest_share: int = 1) -> None:
        if max_bytes is not None and size is None:
            raise ValueError("a byte budget needs a size for each entry")
        self.max_entries = max(0, max_entries)
        self.max_bytes = None if max_bytes is None else max(0, max_bytes)
        self._size = size
        self._largest = (None if self.max_bytes is None
                         else self.max_bytes // max(1, largest_share))
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return bool(self.max_entries) and self.max_bytes != 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        """What the kept entries are counted at (0 without a byte budget)."""
        return self._bytes

    def get(self, key: Hashable) -> V | None:
        if not self.enabled:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, value: V) -> bool:
        """Keep ``value``; whether it was kept."""
        if not self.enabled:
            return False
        size = self._size(key, value) if self._size is not None else 0
        if self._largest is not None and size > self._largest:
            return False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._items and (len(self._items) > self.max_entries or (
                    self.max_bytes is not None and self._bytes > self.max_bytes)):
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
        return True

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept value of ``key``, else ``compute()`` kept. ``compute`` runs
        outside the lock: two threads may compute once each, harmlessly."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found[0]  # type: ignore[return-value]
            self.misses += 1
        value = compute()
        self.put(key, value)  # type: ignore[arg-type]
        return value
