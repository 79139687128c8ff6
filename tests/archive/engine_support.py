"""What the engine tests share: the Beijing archive and a column-by-column comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from zhicheng.air import annual_evaluation, daily_aqi
from zhicheng.air.io import read_beijing
from zhicheng.archive import layout
from zhicheng.archive.location import Location

BEIJING = Path(__file__).resolve().parents[2] / "data" / "air_quality" / "beijing_multisite"


def beijing(stations: int | None = None, year: int | None = None) -> pd.DataFrame:
    """The Beijing hourly files (local time, hour-start labels), optionally fewer or one year."""
    files = sorted(BEIJING.glob("PRSA_Data_*.csv*"))[:stations]
    frame = read_beijing(files).drop(columns=["file", "row"])
    if year is not None:
        frame = frame[pd.to_datetime(frame["time"]).dt.year == year].reset_index(drop=True)
    return frame


def pure_chain(hourly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pure cores' daily table and annual evaluation, sorted as the engines return them."""
    daily = daily_aqi(hourly)
    annual = annual_evaluation(daily)
    return (daily.sort_values(["station", "date"]).reset_index(drop=True),
            annual.sort_values(["station", "year"]).reset_index(drop=True))


def archive_of(hourly: pd.DataFrame, root: Path) -> Location:
    """The frame written as an archive (UTC+8 local times, as the Beijing stations report)."""
    loc = Location.open(str(root))
    layout.write_hourly(loc, hourly, utc_offset_hours=8, label="beijing")
    return loc


def _cells(column: pd.Series) -> list[object]:
    if column.dtype.kind == "M":
        return list(column.to_numpy(dtype="datetime64[D]").astype(str))
    values = column.astype(object).to_numpy()
    return [None if pd.isna(v) else v for v in values]


def assert_same_table(expected: pd.DataFrame, got: pd.DataFrame, what: str) -> None:
    """Every column of ``expected`` in ``got``, row for row: floats within 1e-9 relative, the
    rest (integers, flags, text, levels) identical; NA where ``expected`` has NA."""
    assert len(got) == len(expected), f"{what}: {len(got)} rows, expected {len(expected)}"
    missing = [c for c in expected.columns if c not in got.columns]
    assert not missing, f"{what}: columns missing {missing}"
    for col in expected.columns:
        a, b = _cells(expected[col]), _cells(got[col])
        if expected[col].dtype.kind == "f":
            x = np.array([np.nan if v is None else v for v in a], dtype=float)
            y = np.array([np.nan if v is None else v for v in b], dtype=float)
            same = (np.isnan(x) == np.isnan(y)) & (np.isnan(x) | (np.abs(x - y) <= 1e-9 * np.abs(x)))
            bad = np.flatnonzero(~same)
        else:
            bad = np.array([i for i, (u, v) in enumerate(zip(a, b, strict=True))
                            if not (u == v or (u is None and v is None))], dtype=int)
        assert bad.size == 0, (f"{what}.{col}: {bad.size} rows differ, e.g. row {bad[0]}: "
                               f"{a[bad[0]]!r} != {b[bad[0]]!r}")


#: Synthetic meters (test data, labelled so): datastream id → kind.
METERS = {1: "cumulative", 2: "cumulative", 3: "cumulative", 4: "interval", 5: "interval"}
#: The same as the engines take them: ``datastream_id, kind``.
METER_KINDS = pd.DataFrame({"datastream_id": list(METERS), "kind": list(METERS.values())})


def synthetic_meters(seed: int = 7) -> pd.DataFrame:
    """Synthetic energy-meter readings (``datastream_id, time_us, value``; SYNTHETIC test data).

    Cumulative registers read every ~15 min with jitter over 40 days, one with two resets (a
    meter exchange and a rollover), one starting late and stopping early, one read exactly at
    the day boundaries; interval meters with whole empty days.
    """
    rng = np.random.default_rng(seed)
    start = int(pd.Timestamp("2026-01-01T00:00:00Z").value // 1000)
    quarter = 15 * 60 * 1_000_000
    parts = []
    for ds, kind in METERS.items():
        n = 40 * 96
        t = start + np.arange(n, dtype=np.int64) * quarter
        if ds != 3:
            t = t + rng.integers(-300, 300, n) * 1_000_000  # jitter [s]: readings fall between boundaries
        use = rng.gamma(2.0, 1.5, n)  # kWh per reading
        if ds == 2:
            t, use = t[500:3000], use[500:3000]  # starts late, stops early
        if kind == "cumulative":
            value = 12_345.6 + np.cumsum(use)
            if ds == 1:
                value[1200:] -= value[1200] - 3.0  # meter exchanged: the new register starts at 3
                value[2500:] -= 9_000.0  # a further step down
        else:
            value = use.copy()
            value[(t >= start + 10 * 96 * quarter) & (t < start + 13 * 96 * quarter)] = np.nan  # no data
        keep = ~np.isnan(value)
        parts.append(pd.DataFrame({"datastream_id": ds, "time_us": t[keep], "value": value[keep]}))
    return pd.concat(parts, ignore_index=True)


def meter_edges(days: int = 40) -> np.ndarray:
    """Day boundaries in Asia/Shanghai (UTC+8) over the readings and a day beyond [µs]."""
    first = int(pd.Timestamp("2025-12-31T16:00:00Z").value // 1000)
    return first + np.arange(days + 2, dtype=np.int64) * 86_400_000_000


def pure_consumption(readings: pd.DataFrame, edges: np.ndarray) -> pd.DataFrame:
    """The carbon service's in-memory core on each meter: ``datastream_id, period, consumption``."""
    from zhicheng.carbon.meters import consumption

    rows = []
    for ds, kind in METERS.items():
        part = readings[readings["datastream_id"] == ds].sort_values("time_us")
        values, _ = consumption(part["time_us"].to_numpy(), part["value"].to_numpy(), edges, kind=kind)
        rows.append(pd.DataFrame({"datastream_id": ds, "period": np.arange(len(values)), "consumption": values}))
    return pd.concat(rows, ignore_index=True)


def meter_archive(readings: pd.DataFrame, root: Path) -> Location:
    """The synthetic readings written as an archive."""
    loc = Location.open(str(root))
    layout.write_readings(loc, readings, {i: f"synthetic meter {i}" for i in METERS}, "kWh",
                          label="meters", note="SYNTHETIC meter readings (tests)")
    return loc


def assert_same_consumption(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    """Same meters and periods; consumption equal within 1e-9 relative, NULL where NaN."""
    assert list(zip(got["datastream_id"], got["period"], strict=True)) == list(
        zip(expected["datastream_id"], expected["period"], strict=True))
    np.testing.assert_allclose(got["consumption"].to_numpy(dtype=float), expected["consumption"].to_numpy(dtype=float),
                               rtol=1e-9, atol=1e-9, equal_nan=True)
