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
