"""One watcher of the store's change counters per server, shared by every live stream.

A single task reads the counters (:mod:`zhicheng.store.changes`) once a second, whatever the number
of open streams, and wakes the streams when they move. On PostgreSQL it also listens on the
``zhicheng_changes`` channel, which every writing transaction notifies at commit, and reads the
counters at once when told (the poll stays as the safety net).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from zhicheng.store.changes import CHANNEL, counters

log = logging.getLogger(__name__)

#: How often the counters are read when nothing wakes the watcher earlier [s].
POLL_S = 1.0


def _read(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return counters(conn)


class ChangeWatcher:
    """The latest counters and a way to wait until they move."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.latest: dict[str, int] | None = None
        #: Moves by one with every change seen; 0 until the counters were first read.
        self.version = 0
        self._moved = asyncio.Condition()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start watching (in the running event loop); idempotent."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._poll()))
        if self.engine.dialect.name == "postgresql":
            self._tasks.append(asyncio.create_task(self._listen()))

    async def stop(self) -> None:
        """Stop watching."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _poll(self) -> None:
        while True:
            now: dict[str, int] | None
            try:
                now = await run_in_threadpool(_read, self.engine)
            except Exception:  # the store is away for a moment: try again on the next round
                log.debug("reading the change counters failed", exc_info=True)
                now = self.latest
            if now is not None and now != self.latest:
                async with self._moved:
                    self.latest = now
                    self.version += 1
                    self._moved.notify_all()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_S)

    async def _listen(self) -> None:
        """PostgreSQL: wake the poll as soon as a transaction that wrote live data commits."""
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # no listener for now: the poll goes on; try again later
                log.debug("LISTEN %s failed", CHANNEL, exc_info=True)
                await asyncio.sleep(5 * POLL_S)

    async def wait(self, seen: int, timeout: float) -> tuple[int, dict[str, int] | None]:
        """The counters once their version is past ``seen`` (or the same after ``timeout`` s)."""
        self.start()
        async with self._moved:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait_for(lambda: self.version > seen), timeout)
            return self.version, self.latest


def watcher(app: Any) -> ChangeWatcher:
    """The app's watcher (made on first use, in the server's event loop)."""
    found: ChangeWatcher | None = getattr(app.state, "change_watcher", None)
    if found is None:
        found = ChangeWatcher(app.state.engine)
        app.state.change_watcher = found
    return found
