"""The HJ 663 chain as SQL, generated once for two engines (DuckDB and Spark SQL).

hourly (long: station, pollutant, local day number, hour, value) → daily statistics with
validity (24 h means, O3 1 h maximum, O3 MDA8 of the 17 windows) → IAQI, AQI, primary and
exceeding pollutants, level, day validity → annual statistics (means, HJ 663 percentiles,
year validity, good-air days and their share, exceedance days, grade II comparison).

Everything is decided on exact integers, as the pure core :mod:`zhicheng.air` does: an hourly
value becomes ``round_half_even(x · 1e6)`` (a BIGINT), means are integer sums divided with
GB/T 8170 half-to-even rounding (:func:`half_even`), 8 h means compare on the common denominator
168, percentiles interpolate on integers. Only the final division by 10 (CO tenths) is a float
operation, the same one numpy does. The engines differ only in a few spellings
(:class:`Dialect`): integer division, half-even rounding of a float, day number to date.

References
----------
HJ 663-2013 §5, §6 and Annex A; HJ 633-2012 / HJ 633-2026 Eq. (1), (2), §4.3, §5.3.1, Table 1–3;
GB 3095-2012 / GB 3095-2026 Table 1 and Table 4; GB/T 8170-2008 §3.2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from zhicheng.air.annual import (
    ANNUAL_MEANS,
    EXCEEDANCE,
    MIN_DAYS_FEBRUARY,
    MIN_DAYS_MONTH,
    MIN_DAYS_YEAR,
    PERCENTILES,
)
from zhicheng.air.breakpoints import (
    HJ633_2012,
    HJ633_2026,
    HJ_DECIMALS,
    HJ_LEVELS,
    POLLUTANTS,
    SWITCH_DATE,
    grade2_limits,
    hj_iaqi_rows,
)
from zhicheng.air.daily import (
    DAILY_ITEMS,
    EDITION_ITEMS,
    ITEM_NAMES,
    LCM_8H,
    MDA8_LIMIT,
    MIN_HOURS_8H,
    MIN_HOURS_24H,
)
from zhicheng.air.rounding import SCALE

EPOCH = dt.date(1970, 1, 1)
SWITCH_DAY = (SWITCH_DATE - EPOCH).days
FINAL_DAY = (dt.date(2031, 1, 1) - EPOCH).days


@dataclass(frozen=True)
class Dialect:
    """The spellings that differ between the engines."""

    name: str
    div: str  # integer division operator of BIGINTs
    round_even: str  # half-even rounding of a DOUBLE to an integer-valued DOUBLE: format with {x}
    to_date: str  # a day number (days since 1970-01-01) as a DATE: format with {d}

    def idiv(self, a: str, b: str) -> str:
        """``a`` divided by ``b``, floored (both non-negative BIGINTs)."""
        return f"(({a}) {self.div} ({b}))"


DUCKDB = Dialect("duckdb", "//", "round_even({x}, 0)", "(DATE '1970-01-01' + CAST({d} AS INTEGER))")
SPARK = Dialect("spark", "div", "bround({x}, 0)", "date_add(DATE '1970-01-01', CAST({d} AS INT))")


def half_even(d: Dialect, num: str, den: str) -> str:
    """SQL of ``num / den`` rounded half to even, exactly (non-negative BIGINTs, ``den > 0``).

    References
    ----------
    GB/T 8170-2008 §3.2.4; the same rule as :func:`zhicheng.air.rounding.ratio_half_even`.
    """
    q = d.idiv(num, den)
    r = f"(({num}) - {q} * ({den}))"
    return (f"({q} + CASE WHEN 2 * {r} > ({den}) OR (2 * {r} = ({den}) AND {q} % 2 = 1) "
            f"THEN 1 ELSE 0 END)")


def _iaqi_case(d: Dialect, c: str, column: tuple[int, ...], scale: int, above: str) -> str:
    """IAQI of the rounded concentration ``c`` by Eq. (1), rounded up (HJ 633 §4.2.6)."""
    bps = [b * scale for b in column]
    rows = hj_iaqi_rows(len(column))
    parts = [f"CASE WHEN {c} IS NULL THEN NULL"]
    for i in range(len(bps) - 1):
        lo, hi, ilo, ihi = bps[i], bps[i + 1], rows[i], rows[i + 1]
        test = f"{c} < {hi}" if i < len(bps) - 2 else f"{c} <= {hi}"
        num = f"{ihi - ilo} * ({c} - {lo}) + {hi - lo - 1}"
        parts.append(f"WHEN {test} THEN {ilo} + {d.idiv(num, str(hi - lo))}")
    parts.append(f"ELSE {above} END")
    return " ".join(parts)


def _above(pollutant: str, period: str, edition: str) -> str:
    if pollutant == "so2" and period == "1h":
        return "200" if edition == "HJ633-2026" else "NULL"
    if pollutant == "o3" and period == "8h":
        return "300" if edition == "HJ633-2026" else "NULL"
    return "500"


def iaqi_sql(d: Dialect, c: str, pollutant: str, period: str, edition: str) -> str:
    """SQL of the HJ 633 IAQI of an item of ``edition`` (``c``: the rounded integer value)."""
    table = HJ633_2026 if edition == "HJ633-2026" else HJ633_2012
    return _iaqi_case(d, c, table[(pollutant, period)], 10 ** HJ_DECIMALS[pollutant],
                      _above(pollutant, period, edition))


def _units_per_digit(pollutant: str) -> int:
    return SCALE // 10 ** HJ_DECIMALS[pollutant]


def daily_sql(d: Dialect, hourly: str, streams: str) -> str:
    """SQL of the daily table from the views ``hourly`` and ``streams``.

    ``hourly`` has ``datastream_id``, ``dn`` (the local day number, days since 1970-01-01),
    ``hour`` (0–23, the start of the hour) and ``value`` in [µg/m³] (CO [mg/m³]), NULL where a
    row has no value; ``streams`` gives each Datastream's ``station`` and ``pollutant``. Rows are
    first reduced per Datastream and day (sum, count, maximum and the 24 hours as columns, so the
    17 MDA8 windows are column arithmetic, not a join), then per station and day. The columns are
    those of :func:`zhicheng.air.editions.daily_aqi` (text columns as text), with ``dn``.
    """
    u = f"CAST({d.round_even.format(x='value * 1000000.0')} AS BIGINT)"
    o3w = "o3_windows"
    by = "station, dn"
    hours = ", ".join(f"MAX(CASE WHEN hour = {h} THEN u END) AS h{h}" for h in range(24))
    means = ",\n".join(
        f"SUM(CASE WHEN st.pollutant = '{p}' THEN ps.s END) AS {p}_sum, "
        f"COALESCE(SUM(CASE WHEN st.pollutant = '{p}' THEN ps.n END), 0) AS {p}_hours"
        for p in POLLUTANTS
    )
    o3_hours = ", ".join(f"MAX(CASE WHEN st.pollutant = 'o3' THEN ps.h{h} END) AS o3_h{h}" for h in range(24))
    s8 = ", ".join(
        " + ".join(f"COALESCE(o3_h{h}, 0)" for h in range(w, w + 8)) + f" AS s8_{w}" for w in range(17)
    )
    n8 = ", ".join(
        " + ".join(f"CASE WHEN o3_h{h} IS NULL THEN 0 ELSE 1 END" for h in range(w, w + 8)) + f" AS n8_{w}"
        for w in range(17)
    )
    window_means = ", ".join(
        f"CASE WHEN n8_{w} >= {MIN_HOURS_8H} THEN s8_{w} * {d.idiv(str(LCM_8H), f'GREATEST(n8_{w}, 1)')} END"
        for w in range(17)
    )
    windows = " + ".join(f"CASE WHEN n8_{w} >= {MIN_HOURS_8H} THEN 1 ELSE 0 END" for w in range(17))
    stats = [f"{by}"]
    for col, p, _ in DAILY_ITEMS:
        if col == "o3_1h_max":
            value = half_even(d, "GREATEST(COALESCE(o3_top, 0), 0)", str(SCALE))
            valid = f"o3_hours >= {MIN_HOURS_24H}"
        elif col == "o3_8h_max":
            value = half_even(d, "COALESCE(o3_best, 0)", str(LCM_8H * SCALE))
            valid = f"(o3_windows >= 14 OR (o3_windows > 0 AND {value} > {MDA8_LIMIT}))"
        else:
            value = half_even(d, f"COALESCE({p}_sum, 0)",
                              f"GREATEST({p}_hours, 1) * {_units_per_digit(p)}")
            valid = f"{p}_hours >= {MIN_HOURS_24H}"
        stats.append(f"CASE WHEN {valid} THEN {value} END AS {col}_int")
        stats.append(f"({valid}) AS {col}_valid")
    stats += [f"{p}_hours" for p in POLLUTANTS]
    iaqis: dict[str, str] = {}
    for col, p, period in DAILY_ITEMS:
        cases = []
        for edition in ("HJ633-2026", "HJ633-2012"):
            if col not in EDITION_ITEMS[edition]:
                cases.append("NULL")
            else:
                cases.append(iaqi_sql(d, f"{col}_int", p, period, edition))
        iaqis[col] = f"CASE WHEN dn >= {SWITCH_DAY} THEN {cases[0]} ELSE {cases[1]} END"
    missing_2026 = " OR ".join(f"NOT {c}_valid" for c in EDITION_ITEMS["HJ633-2026"])
    missing_2012 = " OR ".join(f"NOT {c}_valid" for c in EDITION_ITEMS["HJ633-2012"])
    items = [c for c, _, _ in DAILY_ITEMS]
    raw_max = f"GREATEST({', '.join(f'iaqi_{c}' for c in items)})"
    aqi = (f"CASE WHEN dn >= {SWITCH_DAY} AND ({missing_2026}) AND NOT COALESCE({raw_max} > 100, FALSE) "
           f"THEN NULL ELSE {raw_max} END")

    def joined(cond: str) -> str:
        parts = ", ".join(f"CASE WHEN {cond.format(c=c)} THEN '{ITEM_NAMES[c]}' END" for c in items)
        return f"NULLIF(concat_ws(';', {parts}), '')"

    def level(attr: str) -> str:
        whens = " ".join(f"WHEN aqi <= {lv.upper} THEN '{getattr(lv, attr)}'" for lv in HJ_LEVELS[:-1])
        return f"CASE WHEN aqi IS NULL THEN NULL {whens} ELSE '{getattr(HJ_LEVELS[-1], attr)}' END"

    missing_items = ", ".join(
        f"CASE WHEN {edition_test} AND NOT {c}_valid THEN '{ITEM_NAMES[c]}' END"
        for c in items
        for edition_test in [("TRUE" if c in EDITION_ITEMS["HJ633-2026"] else f"dn < {SWITCH_DAY}")]
    )
    scaled = ",\n  ".join(
        f"CAST({c}_int AS DOUBLE) / {10 ** HJ_DECIMALS[p]} AS {c}, {c}_valid" for c, p, _ in DAILY_ITEMS
    )
    return f"""
WITH units AS (
  SELECT datastream_id, dn, hour, {u} AS u FROM {hourly}
),
per_stream AS (
  SELECT datastream_id, dn, SUM(u) AS s, COUNT(u) AS n, MAX(u) AS top, {hours}
  FROM units GROUP BY datastream_id, dn
),
per_day AS (
  SELECT st.station AS station, ps.dn AS dn,
  {means},
  MAX(CASE WHEN st.pollutant = 'o3' THEN ps.top END) AS o3_top, {o3_hours}
  FROM per_stream ps JOIN {streams} st ON ps.datastream_id = st.datastream_id
  WHERE st.pollutant IS NOT NULL
  GROUP BY st.station, ps.dn
),
w8 AS (
  SELECT per_day.*, {s8}, {n8} FROM per_day
),
mda8 AS (
  SELECT w8.*, GREATEST({window_means}) AS o3_best_raw, {windows} AS {o3w} FROM w8
),
joined AS (
  SELECT mda8.*, COALESCE(o3_best_raw, 0) AS o3_best FROM mda8
),
stats AS (
  SELECT {", ".join(stats)} FROM joined
),
indexed AS (
  SELECT stats.*, {", ".join(f"{iaqis[c]} AS iaqi_{c}" for c in items)} FROM stats
),
aqi AS (
  SELECT indexed.*, {aqi} AS aqi FROM indexed
)
SELECT {d.to_date.format(d='dn')} AS date, dn, station,
  CASE WHEN dn >= {SWITCH_DAY} THEN 'HJ633-2026' ELSE 'HJ633-2012' END AS standard,
  {scaled},
  {", ".join(f"{p}_hours" for p in POLLUTANTS)},
  {", ".join(f"iaqi_{c}" for c in items)},
  aqi,
  CASE WHEN aqi > 50 THEN {joined("iaqi_{c} = aqi")} END AS primary_pollutant,
  CASE WHEN dn < {SWITCH_DAY} THEN {joined("iaqi_{c} > 100")} END AS exceeding,
  {level("name_zh")} AS level, {level("name_en")} AS level_en, {level("grade_zh")} AS grade,
  {level("hex")} AS colour,
  NOT (CASE WHEN dn >= {SWITCH_DAY} THEN ({missing_2026}) ELSE ({missing_2012}) END) AS valid,
  NULLIF(concat_ws(';', {missing_items}), '') AS missing
FROM aqi
"""


def _limit_by_day(key: str) -> str:
    values = [grade2_limits(x)[key] for x in (dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2031, 1, 1))]
    return (f"CASE WHEN dn < {SWITCH_DAY} THEN {values[0]!r} WHEN dn < {FINAL_DAY} THEN {values[1]!r} "
            f"ELSE {values[2]!r} END")


def _limit_by_year(key: str) -> str:
    values = [grade2_limits(dt.date(y, 12, 31))[key] for y in (2025, 2026, 2031)]
    return (f"CASE WHEN year < 2026 THEN {values[0]!r} WHEN year < 2031 THEN {values[1]!r} "
            f"ELSE {values[2]!r} END")


def annual_sql(d: Dialect, daily: str) -> str:
    """SQL of the annual evaluation from the daily view ``daily`` (:func:`daily_sql`'s columns).

    The columns are those of :func:`zhicheng.air.annual.annual_evaluation`.
    """
    ints = ", ".join(
        f"CAST({d.round_even.format(x=f'{c} * {10 ** HJ_DECIMALS[p]}')} AS BIGINT) AS {c}_i"
        for c, p, _ in DAILY_ITEMS
    )
    pct_cols = sorted({col for _, col, _, _, _ in PERCENTILES})
    ranks = ", ".join(
        f"ROW_NUMBER() OVER (PARTITION BY station, year, {c}_i IS NULL ORDER BY {c}_i) AS {c}_rn" for c in pct_cols
    )
    month_counts = []
    for c, _, _ in DAILY_ITEMS:
        for m in range(1, 13):
            month_counts.append(f"COUNT(CASE WHEN month = {m} THEN {c}_i END) AS {c}_m{m}")
    aggregates = [
        "COUNT(*) AS days",
        "COUNT(CASE WHEN valid THEN 1 END) AS valid_days",
        "COUNT(CASE WHEN valid AND aqi <= 100 THEN 1 END) AS good_days",
    ]
    for c, _, _ in DAILY_ITEMS:
        aggregates.append(f"COUNT({c}_i) AS {c}_n")
        aggregates.append(f"SUM({c}_i) AS {c}_sum")
    for _name, col, _p, pct, _ in PERCENTILES:
        aggregates.append(f"MAX(CASE WHEN {col}_i IS NOT NULL THEN {col}_rn END) AS {col}_count_{pct}")
    for col, key in EXCEEDANCE:
        aggregates.append(f"COUNT(CASE WHEN {col} > {_limit_by_day(key)} THEN 1 END) AS {col}_exceed_days")
    aggregates += month_counts

    def year_valid(c: str) -> str:
        months = " AND ".join(
            f"{c}_m{m} >= {MIN_DAYS_FEBRUARY if m == 2 else MIN_DAYS_MONTH}" for m in range(1, 13)
        )
        return f"({c}_n >= {MIN_DAYS_YEAR} AND {months})"

    picks = []
    for _name, col, _p, pct, _ in PERCENTILES:
        # k = 1 + (n − 1)·p/100 (HJ 663 Annex A): X(s) and X(s+1) by rank.
        s = d.idiv(f"({col}_count_{pct} - 1) * {pct}", "100")
        picks.append(f"MAX(CASE WHEN {col}_rn = {s} + 1 THEN {col}_i END) AS {col}_lo_{pct}")
        picks.append(
            f"MAX(CASE WHEN {col}_rn = LEAST({s} + 2, {col}_count_{pct}) THEN {col}_i END) AS {col}_hi_{pct}")
    values = ["a.station AS station", "a.year AS year", "days", "valid_days", "good_days",
              f"CASE WHEN valid_days > 0 THEN CAST({half_even(d, 'good_days * 1000', 'GREATEST(valid_days, 1)')} "
              "AS DOUBLE) / 10 END AS good_day_share"]
    out = ["station", "year", "days", "valid_days", "good_days", "good_day_share"]
    checks = []
    for col, p in ANNUAL_MEANS:
        mean = f"CASE WHEN {col}_n > 0 THEN CAST({half_even(d, f'{col}_sum', f'GREATEST({col}_n, 1)')} AS DOUBLE) END"
        values += [f"{mean} AS {p}_annual", f"{col}_n AS {p}_days", f"{year_valid(col)} AS {p}_year_valid"]
        meets = (f"CASE WHEN {p}_year_valid AND {p}_annual IS NOT NULL THEN "
                 f"{p}_annual <= {_limit_by_year(f'{p}_annual')} END")
        out += [f"{p}_annual", f"{p}_days", f"{p}_year_valid", f"{meets} AS {p}_annual_meets_grade2"]
        checks.append(f"{p}_annual_meets_grade2")
    for name, col, p, pct, key in PERCENTILES:
        k100 = f"({col}_count_{pct} - 1) * {pct}"
        frac = f"({k100} % 100)"
        num = f"100 * {col}_lo_{pct} + ({col}_hi_{pct} - {col}_lo_{pct}) * {frac}"
        value = (f"CASE WHEN {col}_count_{pct} > 0 THEN CAST({half_even(d, num, '100')} AS DOUBLE) / "
                 f"{10 ** HJ_DECIMALS[p]} END")
        values += [f"{value} AS {name}", f"{year_valid(col)} AS {name}_year_valid"]
        meets = f"CASE WHEN {name}_year_valid AND {name} IS NOT NULL THEN {name} <= {_limit_by_year(key)} END"
        out += [name, f"{name}_year_valid", f"{meets} AS {name}_meets_grade2"]
        checks.append(f"{name}_meets_grade2")
    values += [f"{col}_exceed_days" for col, _ in EXCEEDANCE]
    out += [f"{col}_exceed_days" for col, _ in EXCEEDANCE]
    all_known = " AND ".join(f"{c} IS NOT NULL" for c in checks)
    return f"""
WITH d AS (
  SELECT daily.*, year(date) AS year, month(date) AS month, {ints} FROM {daily} daily
),
r AS (
  SELECT d.*, {ranks} FROM d
),
a AS (
  SELECT station, year, {", ".join(aggregates)} FROM r GROUP BY station, year
),
p AS (
  SELECT r.station, r.year, {", ".join(picks)}
  FROM r JOIN a ON r.station = a.station AND r.year = a.year GROUP BY r.station, r.year
),
v AS (
  SELECT {", ".join(values)}
  FROM a JOIN p ON a.station = p.station AND a.year = p.year
),
m AS (
  SELECT {", ".join(out)} FROM v
)
SELECT m.*, CASE WHEN {all_known} THEN {" AND ".join(checks)} END AS meets_grade2
FROM m
ORDER BY station, year
"""


def steps(sql: str) -> list[tuple[str, str]]:
    """The named steps of a generated ``WITH`` query, the last one named ``result``.

    Spark's optimiser inlines every step into the next (collapsing projections), which turns
    the AQI's references to the IAQIs into very large expressions; running the steps one by one
    (each materialised) keeps them as small as DuckDB sees them.
    """
    lines = sql.strip().splitlines()
    out: list[tuple[str, str]] = []
    name: str | None = None
    body: list[str] = []
    for i, line in enumerate(lines):
        head = line[5:] if i == 0 and line.startswith("WITH ") else line
        if name is None and head.endswith(" AS (") and head[:-5].isidentifier():
            name, body = head[:-5], []
        elif name is not None and line in ("),", ")"):
            out.append((name, "\n".join(body)))
            name = None
        elif name is not None:
            body.append(line)
        else:
            out.append(("result", "\n".join(lines[i:])))
            break
    return out
