"""A small read-model cache, invalidated when the store's evaluations or data change.

Every entry remembers the store *generation* it was computed at: the newest run id, the number of
runs, the newest ingest batch id and the stored rank intervals (their count and newest time).
Reading the generation is one query on small tables, so each page load checks it and a new run
(or a deleted one, a new ingest, a new uncertainty analysis) makes every older entry stale at once,
without any explicit call from the services that write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.store.schema import evaluation_runs, ingest_batches
from zhicheng.store.schema_uncertainty import evaluation_uncertainty

T = TypeVar("T")
Generation = tuple[int, int, int, str]


def _generation_query() -> sa.Select[Any]:
    r, b, u = evaluation_runs, ingest_batches, evaluation_uncertainty
    newest = sa.select(sa.func.coalesce(sa.func.max(r.c.id), 0)).scalar_subquery()
    count = sa.select(sa.func.count()).select_from(r).scalar_subquery()
    batch = sa.select(sa.func.coalesce(sa.func.max(b.c.id), 0)).scalar_subquery()
    intervals = sa.select(sa.func.count()).select_from(u).scalar_subquery()
    made = sa.select(sa.func.max(u.c.created_at)).scalar_subquery()
    return sa.select(newest, count, batch, intervals, made)


#: Built once: every read asks it, and building the statement costs more than running it.
_GENERATION = _generation_query()


def store_generation(conn: Connection) -> Generation:
    """The generation of the store: (newest run id, run count, newest batch id, rank intervals), in one query."""
    row = conn.execute(_GENERATION).one()
    return int(row[0]), int(row[1]), int(row[2]), f"{int(row[3])}@{row[4]}"


def _size(value: object) -> int:
    """Bytes an entry holds when it is encoded JSON (bytes, or a tuple of bytes and None), else 0."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, tuple):
        return sum(len(v) for v in value if isinstance(v, bytes))
    return 0


class ReadCache:
    """A thread-safe LRU of read models keyed by (kind, run, unit, lang …) and generation.

    At most ``max_entries`` entries and, with ``max_bytes``, at most that many bytes of encoded
    answers (bytes values): the oldest go first.
    """

    def __init__(self, max_entries: int = 512, max_bytes: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[Generation, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def peek(self, key: Hashable, generation: Generation) -> tuple[bool, object]:
        """(True, value) when ``key`` is cached at ``generation``, else (False, None); never computes."""
        return self._lookup(key, generation)

    def _lookup(self, key: Hashable, generation: Generation) -> tuple[bool, object]:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == generation:
                self._entries.move_to_end(key)
                self.hits += 1
                return True, found[1]
            return False, None

    def get(self, key: Hashable, generation: Generation, compute: Callable[[], T]) -> T:
        """The cached value for ``key`` at ``generation``; computed (and stored) when absent.

        Concurrent requests for one missing key compute it once: the others wait for it.
        """
        hit, value = self._lookup(key, generation)
        if hit:
            return value  # type: ignore[return-value]
        with self._lock:
            flight = self._computing.setdefault(key, threading.Lock())
        with flight:
            hit, value = self._lookup(key, generation)
            if hit:
                return value  # type: ignore[return-value]
            try:
                computed = compute()
            except BaseException:
                with self._lock:
                    self._computing.pop(key, None)
                raise
            with self._lock:
                self._computing.pop(key, None)  # after the entry is stored (below, same lock)
                self.misses += 1
                old = self._entries.pop(key, None)
                if old is not None:
                    self.bytes -= _size(old[1])
                self._entries[key] = (generation, computed)
                self.bytes += _size(computed)
                while len(self._entries) > self.max_entries or (
                        self.max_bytes is not None and self.bytes > self.max_bytes and len(self._entries) > 1):
                    _, (_, gone) = self._entries.popitem(last=False)
                    self.bytes -= _size(gone)
        return computed

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
