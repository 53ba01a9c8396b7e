"""The answer cache's budget binds on what it holds: keys (whole queries) as
well as answers, and the number of entries (issue 12)."""

from __future__ import annotations

from newsgraph.server.sparql.cache import AnswerCache, key_bytes


def test_keys_count_against_the_byte_budget():
    cache = AnswerCache(max_bytes=8 * 1024 * 1024, max_entries=100_000)
    pad = "x" * (60 * 1024)
    for i in range(4_000):  # 4,000 distinct 60 KiB queries with tiny answers
        cache.keep((f"ASK {{}} # {i} {pad}", (), (), None, "application/json"),
                  "application/json", b'{"boolean":true}')
    assert cache.bytes <= 8 * 1024 * 1024
    # about 8 MiB / 60 KiB of them stay, the most recent
    assert 100 < len(cache) < 140
    assert cache.get((f"ASK {{}} # 3999 {pad}", (), (), None, "application/json")) is not None
    assert cache.get((f"ASK {{}} # 0 {pad}", (), (), None, "application/json")) is None


def test_the_number_of_entries_is_capped():
    cache = AnswerCache(max_bytes=64 * 1024 * 1024, max_entries=10)
    for i in range(50):
        cache.keep(("q", i), "text/csv", b"x\n")
    assert len(cache) == 10
    assert cache.get(("q", 49)) is not None and cache.get(("q", 39)) is None


def test_a_key_larger_than_an_eighth_of_the_budget_is_not_kept():
    cache = AnswerCache(max_bytes=80 * 1024, max_entries=100)
    cache.keep(("x" * 20 * 1024,), "text/csv", b"tiny")
    assert len(cache) == 0


def test_key_bytes_counts_every_string_of_a_key():
    assert key_bytes(("abc", ("d", "e"), None)) >= 5
    assert key_bytes("é" * 10) == 40  # non-ASCII text takes more per character
    cache = AnswerCache(max_bytes=0)
    cache.keep("k", "text/csv", b"x")
    assert cache.get("k") is None  # 0 turns the cache off
