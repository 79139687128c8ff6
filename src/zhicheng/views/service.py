"""The cockpit's read models behind one cached service object.

:class:`ReportService` answers every read the cockpit makes. Answers are cached per
(read model, run, unit, lang …) and dropped as soon as the store's generation changes (a new or
deleted run, a new ingest batch), see :mod:`zhicheng.views.cache`.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from zhicheng.store.changes import counters
from zhicheng.views import drill, geo, live, overview, queries
from zhicheng.views.cache import Generation, ReadCache, store_generation
from zhicheng.views.context import (
    ReportNotFound,
    RunContext,
    check_lang,
    load_context,
    load_labels,
)
from zhicheng.views.labels import Labels, labels_for

T = TypeVar("T")
log = logging.getLogger(__name__)
#: Answers at least this big [bytes] are also kept gzip-compressed.
GZIP_FROM_BYTES = 1024
#: How long live answers (air, events, alerts) are reused [s]: a wall screen polls; the store is not.
LIVE_TTL_S = 10.0
#: Encoded answers (JSON bytes, plain and gzip) kept per server process [bytes]: every unit's
#: overview, unit, node and indicator answers of a 300-city run in both languages fit.
ENCODED_MAX_BYTES = 256 * 1024 * 1024
#: The generation of answers that do not depend on the store's generation (live, the map).
NO_GENERATION: Generation = (0, 0, 0, "")


def encode(value: Any) -> tuple[bytes, bytes | None]:
    """An answer as compact UTF-8 JSON, and gzip-compressed when it is worth it."""
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return body, (gzip.compress(body, compresslevel=5) if len(body) >= GZIP_FROM_BYTES else None)


class ReportService:
    """Cached read models of one store."""

    def __init__(self, engine: Engine, cache: ReadCache | None = None, air: live.AirSource | None = None,
                 event_labels: live.EventLabels | None = None) -> None:
        self.engine = engine
        self.cache = cache or ReadCache()
        #: The answers as sent (JSON bytes), apart from the read models they are made of, so that
        #: one page's many units do not push the shared parts (contexts, labels) out.
        self.encoded_cache = ReadCache(max_entries=16384, max_bytes=ENCODED_MAX_BYTES)
        #: Per language, the newest live answer and the change counters it was made at.
        self._live_last: dict[str, tuple[tuple[tuple[str, int], ...], dict[str, Any]]] = {}
        self._live_refreshing: set[str] = set()
        self._live_lock = threading.Lock()
        #: Per language, the newest live answer and its JSON bytes (sent as they are while it is current).
        self._live_encoded: dict[str, tuple[dict[str, Any], tuple[bytes, bytes | None]]] = {}
        #: Reader of the stations' current AQI (the sensing service's); no air panel without one.
        self.air = air
        #: Names of event services and departments (the events catalogue's); codes without them.
        self.event_labels = event_labels

    def _cached(self, key: Hashable, compute: Callable[[Connection, Generation], T]) -> T:
        """``compute(conn, generation)`` cached under ``key``: the generation is read once per call."""
        with self.engine.connect() as conn:
            generation = store_generation(conn)
            return self.cache.get(key, generation, lambda: compute(conn, generation))

    def _runs(self, conn: Connection, generation: Generation | None = None) -> list[dict[str, Any]]:
        generation = generation or store_generation(conn)
        return self.cache.get(("runs",), generation, lambda: queries.runs(conn))

    def _context(self, conn: Connection, run_id: int | None,
                 generation: Generation | None = None) -> RunContext | None:
        """The run ``run_id`` (the newest when None); None when the store has no run.

        ``generation`` is the store's, when the caller has just read it (saves the query).
        """
        generation = generation or store_generation(conn)
        runs = self._runs(conn, generation)
        if not runs:
            if run_id is not None:
                raise ReportNotFound(f"no evaluation run {run_id}")
            return None
        run = runs[0] if run_id is None else next((r for r in runs if r["id"] == run_id), None)
        if run is None:
            raise ReportNotFound(f"no evaluation run {run_id}")
        labels = self.cache.get(("labels", run["framework_version_id"]), generation,
                                lambda: load_labels(conn, run))
        return self.cache.get(("context", run["id"]), generation, lambda: load_context(conn, run, labels))

    def _require(self, conn: Connection, run_id: int | None, generation: Generation | None = None) -> RunContext:
        ctx = self._context(conn, run_id, generation)
        if ctx is None:
            raise ReportNotFound("no evaluation has been run yet")
        return ctx

    def runs(self) -> list[dict[str, Any]]:
        """Every evaluation run, newest first."""
        with self.engine.connect() as conn:
            return [dict(r) for r in self._runs(conn)]

    def overview(self, run_id: int | None = None, unit: str | None = None, lang: str = "zh") -> dict[str, Any]:
        """The overview page's data (an empty-state answer when nothing was evaluated yet)."""
        check_lang(lang)

        def compute(conn: Connection, generation: Generation) -> dict[str, Any]:
            ctx = self._context(conn, run_id, generation)
            if ctx is None:
                return overview.empty_overview(lang)
            base = self.cache.get(("overview-base", ctx.run_id, lang), generation,
                                  lambda: overview.overview_base(conn, ctx, lang, self._runs(conn, generation)))
            return overview.overview(ctx, base, unit, lang)

        return self._cached(("overview", run_id, unit, lang), compute)

    def ranking(self, run_id: int | None = None, code: str | None = None, lang: str = "zh") -> dict[str, Any]:
        """Every unit ranked on ``code`` (the index by default)."""
        check_lang(lang)
        return self._cached(
            ("ranking", run_id, code, lang),
            lambda conn, generation: overview.ranking(conn, self._require(conn, run_id, generation), code, lang),
        )

    def node(self, code: str, run_id: int | None = None, unit: str | None = None,
             lang: str = "zh") -> dict[str, Any]:
        """A domain, requirement or indicator of a run, for one unit and across units."""
        check_lang(lang)
        def compute(conn: Connection, generation: Generation) -> dict[str, Any]:
            ctx = self._require(conn, run_id, generation)
            across = self.cache.get(("node-across", ctx.run_id, code, lang), generation,
                                    lambda: drill.node_across(conn, ctx, code, lang))
            return drill.node_detail(conn, ctx, across, unit, lang)

        return self._cached(("node", run_id, code, unit, lang), compute)

    def unit(self, unit: str, run_id: int | None = None, lang: str = "zh") -> dict[str, Any]:
        """A unit's page: scores, strengths, weaknesses, gaps."""
        check_lang(lang)
        return self._cached(
            ("unit", run_id, unit, lang),
            lambda conn, generation: drill.unit_page(conn, self._require(conn, run_id, generation), unit, lang),
        )

    def indicator_values(self, indicator_id: str, run_id: int | None = None, unit: str | None = None,
                         period: str | None = None, lang: str = "zh") -> dict[str, Any]:
        """An indicator's values over time and across units, with sources and coverage."""
        check_lang(lang)

        def compute(conn: Connection, generation: Generation) -> dict[str, Any]:
            ctx = self._context(conn, run_id, generation)
            labels: Labels = ctx.labels if ctx else labels_for(None, None, None)
            common = self.cache.get(
                ("values-across", ctx.run_id if ctx else None, indicator_id, period), generation,
                lambda: drill.indicator_across(conn, ctx, labels, indicator_id, period),
            )
            return drill.indicator_values(conn, ctx, labels, common, unit, lang)

        return self._cached(("values", run_id, indicator_id, unit, period, lang), compute)

    def geojson(self, run_id: int | None = None) -> tuple[bytes, bytes]:
        """Boundaries of every unit at the run's levels (scored or not), plain and gzip-compressed.

        Units change only by ingest (each makes a batch), so the map is cached by the levels, the
        newest batch and the number of boundaries: a new evaluation run leaves it as it is.
        """
        with self.engine.connect() as conn:
            generation = store_generation(conn)
            ctx = self._context(conn, run_id, generation)
            found = sorted({u["level"] for u in ctx.units.values() if u.get("level")}) if ctx else []
            levels = found or None
            batch = generation[2]
            key = ("geojson", tuple(found), batch, queries.boundary_count(conn, levels))

            def compute() -> tuple[bytes, bytes]:
                rows = queries.boundaries(conn, levels)
                body = json.dumps(geo.feature_collection(rows), ensure_ascii=False,
                                  separators=(",", ":")).encode()
                return body, gzip.compress(body, compresslevel=6)

            return self.cache.get(key, NO_GENERATION, compute)

    def warm(self) -> None:
        """Compute the overview's default answers ahead of the first request (safe to call often).

        The live panel's answer too: its stations' real-time AQI is the slowest of the four.
        """
        self.encoded(self.overview)
        self.encoded(self.live)
        self.geojson()

    def live(self, lang: str = "zh") -> dict[str, Any]:
        """Live air quality, events and alerts, recounted every :data:`LIVE_TTL_S` seconds.

        A write to the sensing, alert or event tables makes the next answer fresh. Without one,
        the answer of the slot that just ended is sent while one thread recounts (so it is at most
        one slot and one recount old).
        """
        check_lang(lang)
        slot, moved = self._live_window()
        key = ("live", lang, slot, moved)

        def compute() -> dict[str, Any]:
            with self.engine.connect() as conn:
                value = live.live_summary(conn, lang, air=self.air, event_labels=self.event_labels)
            with self._live_lock:
                self._live_last[lang] = (moved, value)
            return value

        hit, found = self.cache.peek(key, NO_GENERATION)
        if hit:
            return found  # type: ignore[return-value]
        last = self._live_last.get(lang)
        if last is not None and last[0] == moved:
            # Nothing was written since the last answer, only its time slot ended: that answer is
            # sent while one thread makes the next (a wall screen never waits for the recount).
            self._refresh_live(lang, key, compute)
            return last[1]
        return self.cache.get(key, NO_GENERATION, compute)  # after a write: always fresh

    def _refresh_live(self, lang: str, key: Hashable, compute: Callable[[], dict[str, Any]]) -> None:
        with self._live_lock:
            if lang in self._live_refreshing:
                return
            self._live_refreshing.add(lang)

        def refresh() -> None:
            try:
                self.cache.get(key, NO_GENERATION, compute)
            except Exception:  # the next request that finds no answer reports the problem itself
                log.debug("live refresh failed", exc_info=True)
            finally:
                with self._live_lock:
                    self._live_refreshing.discard(lang)

        threading.Thread(target=refresh, name="zhicheng-live-refresh", daemon=True).start()

    def _live_window(self) -> tuple[int, tuple[tuple[str, int], ...]]:
        """The live answers' cache window: the time slot and the store's change counters.

        A write to the sensing, alert or event tables (by any process) moves a counter, so the
        next read after it is fresh; without writes an answer is reused for the slot.
        """
        with self.engine.connect() as conn:
            moved = tuple(sorted(counters(conn).items()))
        return int(time.monotonic() // LIVE_TTL_S), moved

    def encoded(self, read: Callable[..., Any], *args: Any) -> tuple[bytes, bytes | None]:
        """``read(*args)`` (a read model of this service) as JSON bytes, cached like the answer."""
        if getattr(read, "__name__", None) == "live":
            return self._encoded_live(*args)
        with self.engine.connect() as conn:
            generation = store_generation(conn)
        key = ("encoded", getattr(read, "__name__", repr(read)), args)
        return self.encoded_cache.get(key, generation, lambda: encode(read(*args)))

    def _encoded_live(self, lang: str = "zh") -> tuple[bytes, bytes | None]:
        """The live answer's JSON bytes, encoded once per answer (the answer decides when it is new)."""
        value = self.live(lang)
        with self._live_lock:
            found = self._live_encoded.get(lang)
        if found is not None and found[0] is value:
            return found[1]
        answer = encode(value)
        with self._live_lock:
            self._live_encoded[lang] = (value, answer)
        return answer

    def encoded_if_cached(self, read: Callable[..., Any], *args: Any) -> tuple[bytes, bytes | None] | None:
        """The cached JSON bytes of ``read(*args)`` when current, else None (one small query, no work)."""
        if getattr(read, "__name__", None) == "live":
            lang = args[0] if args else "zh"
            slot, moved = self._live_window()
            hit, value = self.cache.peek(("live", lang, slot, moved), NO_GENERATION)
            with self._live_lock:
                found = self._live_encoded.get(lang)
            return found[1] if hit and found is not None and found[0] is value else None
        with self.engine.connect() as conn:
            generation = store_generation(conn)
        hit, value = self.encoded_cache.peek(("encoded", read.__name__, args), generation)
        return value if hit else None  # type: ignore[return-value]
