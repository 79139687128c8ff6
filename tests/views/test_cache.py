"""The read-model cache: entries by generation, a byte budget for encoded answers, single flight."""

from __future__ import annotations

import pytest

from zhicheng.views.cache import ReadCache

G1 = (1, 1, 1, "0@None")
G2 = (2, 2, 1, "0@None")


def test_encoded_answers_stay_within_the_byte_budget_oldest_first() -> None:
    cache = ReadCache(max_entries=100, max_bytes=1000)
    for i in range(5):
        cache.get(i, G1, lambda: (b"x" * 300, None))
    assert len(cache) == 3 and cache.bytes == 900
    assert cache.peek(4, G1)[0] and cache.peek(2, G1)[0] and not cache.peek(1, G1)[0]
    cache.get(4, G2, lambda: (b"y" * 100, b"z" * 50))  # a new generation replaces the entry
    assert cache.bytes == 2 * 300 + 150 and not cache.peek(4, G1)[0]
    cache.get("model", G1, lambda: {"not": "bytes"})  # read models count as entries, not bytes
    assert cache.bytes == 750
    cache.clear()
    assert len(cache) == 0 and cache.bytes == 0


def test_a_failed_computation_lets_the_next_request_try_again() -> None:
    cache = ReadCache()

    def fail() -> bytes:
        raise RuntimeError("store away")

    with pytest.raises(RuntimeError):
        cache.get("k", G1, fail)
    assert cache.get("k", G1, lambda: b"ok") == b"ok" and cache.misses == 1
