"""SQL for ``$filter``'s date, math and string functions, written once per dialect.

Times are stored as integer microseconds since 1970-01-01T00:00:00Z [µs]; the calendar parts
(``year`` … ``second``) are read in UTC, the time zone every time is answered in.

References
----------
OGC 18-088 §9.3.3.5.2, Table 12 (built-in query functions); OData 4.01 URL conventions
§5.1.1.5 (string), §5.1.1.8 (date and time), §5.1.1.9 (arithmetic), §5.1.1.2.5 (``mod``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from zhicheng.sensing.timefmt import parse_instant

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND
#: ``mindatetime()`` and ``maxdatetime()``: the first and last instants of the calendar [µs].
MIN_MICROS = parse_instant("0001-01-01T00:00:00Z")
MAX_MICROS = parse_instant("9999-12-31T23:59:59.999999Z")
_SQLITE_PARTS = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S"}


def _floor_div(t: ColumnElement[Any], unit: int) -> ColumnElement[Any]:
    """``floor(t / unit)`` in integer arithmetic (both dialects truncate toward zero)."""
    return (t - _mod(t, unit)) // unit


def _mod(t: ColumnElement[Any], unit: int) -> ColumnElement[Any]:
    """``t mod unit`` in ``[0, unit)`` for negative ``t`` too."""
    return ((t % unit) + unit) % unit


def DayNumber(t: ColumnElement[Any]) -> ColumnElement[Any]:  # noqa: N802 - reads as a SQL function
    """Days since 1970-01-01 of time ``t`` [µs] (``date()``)."""
    return _floor_div(sa.cast(t, sa.BigInteger), MICROS_PER_DAY)


def TimeOfDay(t: ColumnElement[Any]) -> ColumnElement[Any]:  # noqa: N802
    """Microseconds since midnight (UTC) of time ``t`` [µs] (``time()``)."""
    return _mod(sa.cast(t, sa.BigInteger), MICROS_PER_DAY)


def FractionalSeconds(t: ColumnElement[Any]) -> ColumnElement[Any]:  # noqa: N802
    """The fraction of the second of time ``t`` [s] (``fractionalseconds()``)."""
    return sa.cast(_mod(sa.cast(t, sa.BigInteger), MICROS_PER_SECOND), sa.Float) / MICROS_PER_SECOND


class DatePart(FunctionElement[Any]):
    """``year(t)`` … ``second(t)`` of a time stored in µs, in UTC (one subclass per part)."""

    inherit_cache = True
    name = "zc_date_part"
    type = sa.Integer()
    part = "year"


def variant(base: type[Any], attr: str, value: str) -> type[Any]:
    """A subclass of ``base`` with ``attr = value``, made once.

    The class is part of SQLAlchemy's statement cache key, so each variant compiles (and caches)
    its own SQL.
    """
    key = (base, attr, value)
    made = _VARIANTS.get(key)
    if made is None:
        made = type(f"{base.__name__}_{value}", (base,), {attr: value, "inherit_cache": True})
        _VARIANTS[key] = made
    return made


_VARIANTS: dict[tuple[type[Any], str, str], type[Any]] = {}


def date_part(part: str, t: ColumnElement[Any]) -> ColumnElement[Any]:
    """``part(t)`` for ``part`` in year, month, day, hour, minute, second."""
    result: ColumnElement[Any] = variant(DatePart, "part", part)(t)
    return result


@compiles(DatePart)
def _part_sqlite(element: DatePart, compiler: Any, **kw: Any) -> str:
    (t,) = element.clauses
    seconds = compiler.process(_floor_div(sa.cast(t, sa.BigInteger), MICROS_PER_SECOND), **kw)
    return f"CAST(strftime('{_SQLITE_PARTS[element.part]}', {seconds}, 'unixepoch') AS INTEGER)"


@compiles(DatePart, "postgresql")
def _part_pg(element: DatePart, compiler: Any, **kw: Any) -> str:
    (t,) = element.clauses
    col = compiler.process(t, **kw)
    return (
        f"CAST(FLOOR(EXTRACT({element.part.upper()} FROM "
        f"(to_timestamp(({col}) / 1000000.0) AT TIME ZONE 'UTC'))) AS INTEGER)"
    )


class Rounded(FunctionElement[Any]):
    """``round`` (half away from zero), ``floor`` and ``ceiling`` of a number."""

    inherit_cache = True
    name = "zc_round"
    type = sa.Float()
    how = "round"


def rounded(how: str, x: ColumnElement[Any]) -> ColumnElement[Any]:
    """``how(x)`` for ``how`` in round, floor, ceiling."""
    result: ColumnElement[Any] = variant(Rounded, "how", how)(x)
    return result


@compiles(Rounded)
def _round_sqlite(element: Rounded, compiler: Any, **kw: Any) -> str:
    (x,) = element.clauses
    v = compiler.process(x, **kw)
    if element.how == "round":
        return f"round({v})"
    if element.how == "floor":
        return f"(CAST({v} AS INTEGER) - (({v}) < CAST({v} AS INTEGER)))"
    return f"(CAST({v} AS INTEGER) + (({v}) > CAST({v} AS INTEGER)))"


@compiles(Rounded, "postgresql")
def _round_pg(element: Rounded, compiler: Any, **kw: Any) -> str:
    (x,) = element.clauses
    v = compiler.process(x, **kw)
    if element.how == "round":
        return f"CAST(round(CAST({v} AS NUMERIC)) AS DOUBLE PRECISION)"
    return f"{element.how}({v})"


class IndexOf(FunctionElement[Any]):
    """``indexof(text, part)``: zero-based position of ``part`` in ``text``, -1 when absent."""

    inherit_cache = True
    name = "zc_indexof"
    type = sa.Integer()


@compiles(IndexOf)
def _indexof_sqlite(element: IndexOf, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"(instr({a}, {b}) - 1)"


@compiles(IndexOf, "postgresql")
def _indexof_pg(element: IndexOf, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"(strpos(CAST({a} AS TEXT), CAST({b} AS TEXT)) - 1)"


class Modulo(FunctionElement[Any]):
    """``a mod b``: the remainder with the sign of ``a`` (OData §5.1.1.2.5), for decimals too."""

    inherit_cache = True
    name = "zc_mod"
    type = sa.Float()


@compiles(Modulo)
def _mod_sqlite(element: Modulo, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({a}) - ({b}) * CAST(({a}) / NULLIF({b}, 0) AS INTEGER))"


@compiles(Modulo, "postgresql")
def _mod_pg(element: Modulo, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(mod(CAST({a} AS NUMERIC), NULLIF(CAST({b} AS NUMERIC), 0)) AS DOUBLE PRECISION)"
