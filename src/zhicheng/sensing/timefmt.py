"""ISO 8601 times to and from integer microseconds since the Unix epoch (UTC).

OGC 18-088 §8.2 (TM_Instant, TM_Period): instants are ISO 8601 strings with a time zone,
periods are ``start/end``. The store keeps microseconds since 1970-01-01T00:00:00Z.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from zhicheng.sensing.errors import bad

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_instant(text: object, column: str = "time") -> int:
    """Microseconds [µs since epoch, UTC] of an ISO 8601 instant (no zone means UTC)."""
    if not isinstance(text, str):
        raise bad(f"{column} must be an ISO 8601 time string, not {type(text).__name__}", column)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise bad(f"{column}: {text!r} is not an ISO 8601 time", column) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_time(text: object, column: str = "time") -> tuple[int, int | None]:
    """An instant ``t`` as ``(t, None)`` or a period ``a/b`` as ``(a, b)`` [µs since epoch]."""
    if isinstance(text, str) and "/" in text:
        first, _, second = text.partition("/")
        start, end = parse_instant(first, column), parse_instant(second, column)
        if end < start:
            raise bad(f"{column}: period {text!r} ends before it starts", column)
        return start, end
    return parse_instant(text, column), None


def format_instant(micros: int | None) -> str | None:
    """ISO 8601 text (UTC, ``Z``) of microseconds since the epoch; None stays None."""
    if micros is None:
        return None
    m = EPOCH + timedelta(microseconds=int(micros))
    # Formatted by hand: several times faster than strftime, and every answer formats times.
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    if m.microsecond:
        text += f".{m.microsecond:06d}".rstrip("0")
    return text + "Z"


def format_time(start: int | None, end: int | None) -> str | None:
    """An instant, or a period ``start/end`` when ``end`` is set."""
    if start is None:
        return None
    if end is None:
        return format_instant(start)
    return f"{format_instant(start)}/{format_instant(end)}"


def now_micros() -> int:
    """The current time [µs since epoch, UTC]."""
    return parse_instant(datetime.now(UTC).isoformat())


def parse_instants(values: list[object], column: str) -> npt.NDArray[np.int64]:
    """Vectorised :func:`parse_instant` over a column of ISO 8601 strings [µs since epoch]."""
    series = pd.Series(values, dtype=object)
    nonstring = ~series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if nonstring.any():
        row = int(np.flatnonzero(nonstring)[0])
        raise bad(f"row {row}: {column} must be an ISO 8601 time string", column)
    try:
        stamps = pd.to_datetime(series, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise bad(f"{column}: unreadable ISO 8601 time ({exc})", column) from None
    return stamps.to_numpy(dtype="datetime64[us]").astype(np.int64)
