"""The vectorised daily AQI against a plain, loop-by-loop Fraction implementation written from
the rules (docs/standards/air-quality-rules.md §2, §3, §8–§10), on 20 real Beijing station-days."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from zhicheng.air import daily_aqi
from zhicheng.air.io import read_beijing

ROWS = [0, 50, 100, 150, 200, 300, 400, 500]
T2012 = {
    "so2": [0, 50, 150, 475, 800, 1600, 2100, 2620],
    "no2": [0, 40, 80, 180, 280, 565, 750, 940],
    "pm10": [0, 50, 150, 250, 350, 420, 500, 600],
    "co": [0, 2, 4, 14, 24, 36, 48, 60],
    "o3_1h": [0, 160, 200, 300, 400, 800, 1000, 1200],
    "o3_8h": [0, 100, 160, 215, 265, 800],
    "pm25": [0, 35, 75, 115, 150, 250, 350, 500],
}
COLS = {"so2": "SO2", "no2": "NO2", "co": "CO", "pm10": "PM10", "pm25": "PM2.5", "o3": "O3"}


def ref_iaqi(col: list[int], c: Fraction) -> int | None:
    if c > col[-1]:
        return None if len(col) < 8 else 500
    for i in range(len(col) - 1):
        if col[i] <= c <= col[i + 1]:
            return math.ceil(
                Fraction(ROWS[i + 1] - ROWS[i], col[i + 1] - col[i]) * (c - col[i]) + ROWS[i]
            )
    raise AssertionError


def ref_day(hours: dict[str, list[Fraction | None]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in ("so2", "no2", "co", "pm10", "pm25"):
        vals = [v for v in hours[p] if v is not None]
        if len(vals) >= 20:  # GB 3095 Table 4
            mean = sum(vals) / len(vals)
            out[p] = round(mean * 10) / 10 if p == "co" else Fraction(round(mean))  # half-even
    o3 = hours["o3"]
    present = [v for v in o3 if v is not None]
    if len(present) >= 20:
        out["o3_1h"] = Fraction(round(max(present)))
    windows = []
    for start in range(17):  # windows covering hours start … start+7, ending 08:00 … 24:00
        w = [v for v in o3[start : start + 8] if v is not None]
        if len(w) >= 6:
            windows.append(sum(w) / len(w))
    if windows:
        m = Fraction(round(max(windows)))
        if len(windows) >= 14 or m > 160:
            out["o3_8h"] = m
    iaqis = [ref_iaqi(T2012[k], v) for k, v in out.items() if isinstance(v, Fraction)]
    present_iaqi = [i for i in iaqis if i is not None]
    out["aqi"] = max(present_iaqi) if present_iaqi else None
    out["valid"] = len(out) == 8
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, list[Path]]:
    from tests.air.conftest import write_slice as beijing_slice

    tmp = tmp_path_factory.mktemp("ref")
    files = [
        beijing_slice(tmp, "Gucheng", first_line=9000),
        beijing_slice(tmp, "Wanliu", first_line=20000),
    ]
    return read_beijing(files), files


def test_daily_matches_reference(real: tuple[pd.DataFrame, list[Path]]) -> None:
    hourly, files = real
    ours = daily_aqi(hourly, standard="HJ633-2012", hour_label="start")
    checked = 0
    for path in files:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        raw["date"] = pd.to_datetime(raw[["year", "month", "day"]].astype(int))
        for date, g in raw.groupby("date"):
            hours: dict[str, list[Fraction | None]] = {p: [None] * 24 for p in COLS}
            for _, r in g.iterrows():
                for p, c in COLS.items():
                    if r[c] != "NA":
                        v = Fraction(r[c])
                        hours[p][int(r["hour"])] = v / 1000 if p == "co" else v
            ref = ref_day(hours)
            row = ours[(ours["station"] == g["station"].iloc[0]) & (ours["date"] == date)].iloc[0]
            for p, col in (
                ("so2", "so2_24h"),
                ("no2", "no2_24h"),
                ("co", "co_24h"),
                ("pm10", "pm10_24h"),
                ("pm25", "pm25_24h"),
                ("o3_1h", "o3_1h_max"),
                ("o3_8h", "o3_8h_max"),
            ):
                if p in ref:
                    assert row[col] == pytest.approx(float(ref[p]), abs=1e-9), (date, col)  # type: ignore[arg-type]
                else:
                    assert pd.isna(row[col]), (date, col)
            assert (None if pd.isna(row["aqi"]) else int(row["aqi"])) == ref["aqi"], date
            assert bool(row["valid"]) == ref["valid"], date
            checked += 1
    assert checked == 22  # 10 days of 240 rows not aligned to midnight: 11 (partial) days each
