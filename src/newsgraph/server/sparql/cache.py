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

from collections.abc import Hashable

from newsgraph.server.lru import ENTRY_OVERHEAD, LRU, key_bytes

__all__ = ["ENTRY_OVERHEAD", "AnswerCache", "key_bytes"]


def _answer_size(key: Hashable, answer: tuple[str, bytes]) -> int:
    content_type, body = answer
    return len(body) + key_bytes(key) + len(content_type) + ENTRY_OVERHEAD


class AnswerCache(LRU[tuple[str, bytes]]):
    """(content type, body) of complete answers, by request key: the one LRU
    (newsgraph.server.lru) with a byte budget that counts keys too."""

    def __init__(self, max_bytes: int, max_entries: int = 4096) -> None:
        super().__init__(max_entries, max_bytes, _answer_size, largest_share=8)

    def keep(self, key: Hashable, content_type: str, body: bytes) -> bool:
        return self.put(key, (content_type, body))
