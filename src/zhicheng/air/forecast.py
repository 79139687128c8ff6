"""Pollution-episode forecasts: a station's daily PM2.5 and its AQI level 1–3 days ahead.

Each station is forecast from its own history and the weather columns the Beijing multi-site
files carry (TEMP, PRES, DEWP, RAIN, wd, WSPM), observed up to the forecast origin: no weather
forecast is used, so the model knows only what had been measured when it is issued. One
scikit-learn ``HistGradientBoostingRegressor`` per station and horizon predicts the log of the
day's mean PM2.5; the level is that of the PM2.5 sub-index (IAQI, HJ 633-2012 24-h breakpoints),
which is what makes Beijing's heavy-pollution days. Baselines: persistence (the origin day's
value) and a seasonal one (the training years' mean of the target's calendar month).

A heavy-pollution warning is a forecast of level ≥ 5 (重度污染, IAQI > 200, i.e. a 24-h PM2.5
mean above 150 µg/m³). Scores: MAE [µg/m³], hit rate (warned days among the level ≥ 5 days) and
false-alarm ratio (level < 5 days among the warned ones).

References
----------
HJ 633-2012 Table 1 (PM2.5 24-h IAQI breakpoints) and Table 2 (levels); HJ 663-2013 §4.1
(a valid daily mean needs ≥ 20 hourly values); L. J. Tashman, "Out-of-sample tests of forecasting
accuracy", Int. J. Forecasting 16 (2000) 437–450 (rolling-origin evaluation); WMO/WWRP Joint
Working Group on Forecast Verification, hit rate (probability of detection) and false-alarm ratio.
Data: Zhang et al. (2017), Proc. R. Soc. A 473: 20170457 (Beijing multi-site air quality).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

WEATHER = ("TEMP", "PRES", "DEWP", "RAIN", "WSPM")
#: Compass points of ``wd`` [degrees, direction the wind blows from].
WIND_DEGREES = {d: i * 22.5 for i, d in enumerate(
    ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"))}
#: A valid daily mean needs this many hourly values (HJ 663-2013 §4.1).
MIN_HOURS = 20
#: Level index (0 = level 1 优) from which a warning is issued: 4 = level 5 重度污染.
HEAVY_LEVEL_INDEX = 4
HORIZONS_DAYS = (1, 2, 3)
METHODS = ("model", "persistence", "seasonal")


def read_station_days(path: str | Path) -> pd.DataFrame:
    """Daily means of one Beijing multi-site file (local days): PM2.5 [µg/m³] and the weather.

    Columns: station, date, pm25 (NaN when fewer than 20 hourly values), TEMP [°C], PRES [hPa],
    DEWP [°C], RAIN [mm, daily sum], WSPM [m/s], wind_u, wind_v (WSPM-weighted mean of the unit
    vectors the wind blows towards).
    """
    raw = pd.read_csv(path, usecols=["year", "month", "day", "hour", "PM2.5", *WEATHER, "wd", "station"])
    return daily_from_hourly(raw)


def daily_from_hourly(raw: pd.DataFrame) -> pd.DataFrame:
    """Daily means (see :func:`read_station_days`) of hourly rows in the multi-site layout."""
    frame = raw.copy()
    frame["date"] = pd.to_datetime(frame[["year", "month", "day"]])
    rad = np.radians(frame["wd"].map(WIND_DEGREES).astype(float))
    speed = pd.to_numeric(frame["WSPM"], errors="coerce")
    frame["wind_u"], frame["wind_v"] = -np.sin(rad) * speed, -np.cos(rad) * speed
    frame["pm25"] = pd.to_numeric(frame["PM2.5"], errors="coerce")
    g = frame.groupby(["station", "date"], sort=True)
    out = g[["pm25", "TEMP", "PRES", "DEWP", "WSPM", "wind_u", "wind_v"]].mean()
    out["RAIN"] = g["RAIN"].sum(min_count=1)
    out.loc[g["pm25"].count() < MIN_HOURS, "pm25"] = np.nan
    return out.reset_index()


def pm25_level_index(pm25: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Level index 0–5 (level 1 优 … 6 严重污染; -1 missing) of 24-h PM2.5 means [µg/m³].

    References
    ----------
    HJ 633-2012 Table 1 (IAQI of the PM2.5 24-h mean) and Table 2 (AQI levels).
    """
    from zhicheng.air.aqi import level_index
    from zhicheng.air.iaqi import iaqi

    values = np.asarray(pm25, dtype=float)
    return level_index(iaqi("pm25", values, "24h", "HJ633-2012"), "HJ633-2012")


def features(days: pd.DataFrame) -> pd.DataFrame:
    """Predictors known at the end of each day of one station (index: the origin date).

    PM2.5 of the day and the 1, 2 and 6 days before, its 7-day mean, the day's weather and its
    change since the day before, and the season (day of year as sine and cosine).
    """
    d = days.set_index("date").asfreq("D")
    log_pm = np.log1p(d["pm25"])
    x = pd.DataFrame(index=d.index)
    x["pm0"] = log_pm
    for lag in (1, 2, 6):
        x[f"pm{lag}"] = log_pm.shift(lag)
    x["pm_7d"] = np.log1p(d["pm25"].rolling(7, min_periods=4).mean())
    for col in (*WEATHER, "wind_u", "wind_v"):
        x[col] = d[col]
    for col in ("PRES", "DEWP", "TEMP"):
        x[f"d_{col}"] = d[col] - d[col].shift(1)
    doy = 2 * np.pi * pd.DatetimeIndex(d.index).day_of_year.to_numpy() / 365.25
    x["season_sin"], x["season_cos"] = np.sin(doy), np.cos(doy)
    return x


@dataclass(frozen=True)
class Fold:
    """One rolling origin: fit on days before ``start``, forecast origins in [start, end)."""

    start: pd.Timestamp
    end: pd.Timestamp


def yearly_folds(first_test_year: int = 2014, last: str = "2017-03-01") -> list[Fold]:
    """Test periods of one year each (the last one up to the data's end), refitting before each."""
    starts = [pd.Timestamp(f"{y}-01-01") for y in range(first_test_year, pd.Timestamp(last).year + 1)]
    ends = [*starts[1:], pd.Timestamp(last)]
    return [Fold(s, e) for s, e in zip(starts, ends, strict=True) if s < e]


def _model() -> object:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                         min_samples_leaf=20, l2_regularization=1.0, random_state=0)


def _one_thread() -> object:
    """Fit on one thread: a thousand rows gain nothing from OpenMP, and a busy machine loses a lot."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def forecast_station(days: pd.DataFrame, folds: Iterable[Fold], horizons: Sequence[int] = HORIZONS_DAYS) -> pd.DataFrame:
    """Backtest one station: for every fold and horizon, the three methods' forecasts of each day.

    Returns columns station, horizon_days, origin, target, observed, model, persistence, seasonal
    [µg/m³], one row per origin with an observed target.
    """
    station = str(days["station"].iloc[0])
    x = features(days)
    y_daily = days.set_index("date")["pm25"].asfreq("D")
    parts = []
    folds = list(folds)
    with _one_thread():  # type: ignore[attr-defined]
        parts = _backtest_parts(station, x, y_daily, folds, horizons)
    if not parts:
        return pd.DataFrame(columns=["station", "horizon_days", "origin", "target", "observed", *METHODS])
    return pd.concat(parts, ignore_index=True)


def _backtest_parts(station: str, x: pd.DataFrame, y_daily: pd.Series, folds: list[Fold],
                    horizons: Sequence[int]) -> list[pd.DataFrame]:
    parts = []
    for h in horizons:
        target = y_daily.shift(-h)
        for fold in folds:
            train = (x.index < fold.start - pd.Timedelta(days=h)) & target.notna().to_numpy() & x["pm0"].notna().to_numpy()
            test = (x.index >= fold.start) & (x.index < fold.end) & target.notna().to_numpy() & x["pm0"].notna().to_numpy()
            if train.sum() < 200 or test.sum() == 0:
                continue
            model = _model()
            model.fit(x[train], np.log1p(target[train]))  # type: ignore[attr-defined]
            predicted = np.expm1(model.predict(x[test]))  # type: ignore[attr-defined]
            seen = y_daily[y_daily.index < fold.start]
            clim = seen.groupby(pd.DatetimeIndex(seen.index).month).mean()
            target_dates = pd.DatetimeIndex(x.index[test]) + pd.Timedelta(days=h)
            parts.append(pd.DataFrame({
                "station": station, "horizon_days": h, "origin": x.index[test], "target": target_dates,
                "observed": target[test].to_numpy(), "model": np.clip(predicted, 0, None),
                "persistence": y_daily[test].to_numpy(),
                "seasonal": clim.reindex(target_dates.month).to_numpy(),
            }))
    return parts


def scores(backtest: pd.DataFrame) -> pd.DataFrame:
    """MAE [µg/m³], hit rate and false-alarm ratio of level ≥ 5 warnings per horizon and method.

    Hit rate = warned heavy days / heavy days; false-alarm ratio = warned days that were not
    heavy / warned days (NaN when nothing was warned). Pooled over the stations given.
    """
    rows = []
    observed_heavy = pm25_level_index(backtest["observed"]) >= HEAVY_LEVEL_INDEX
    for h, idx in backtest.groupby("horizon_days").groups.items():
        sub = backtest.loc[idx]
        heavy = observed_heavy[backtest.index.get_indexer(idx)]
        for method in METHODS:
            ok = sub[method].notna().to_numpy()
            pred = sub[method].to_numpy()
            warned = (pm25_level_index(pred) >= HEAVY_LEVEL_INDEX) & ok
            hits = int((warned & heavy).sum())
            rows.append({
                "horizon_hours": int(str(h)) * 24, "method": method, "days": int(ok.sum()),
                "mae": float(np.mean(np.abs(pred[ok] - sub["observed"].to_numpy()[ok]))),
                "heavy_days": int((heavy & ok).sum()), "warned_days": int(warned.sum()),
                "hit_rate": hits / max(int((heavy & ok).sum()), 1) if (heavy & ok).any() else float("nan"),
                "false_alarm_ratio": (int(warned.sum()) - hits) / int(warned.sum()) if warned.any() else float("nan"),
            })
    return pd.DataFrame(rows)


def forecast_ahead(days: pd.DataFrame, horizons: Sequence[int] = HORIZONS_DAYS) -> pd.DataFrame:
    """Forecasts issued at the last day with data: PM2.5 and level for each horizon.

    Fitted on the station's whole history. Columns station, origin, horizon_days, target,
    pm25 [µg/m³], level_index, warn (level ≥ 5).
    """
    station = str(days["station"].iloc[0])
    x = features(days)
    y_daily = days.set_index("date")["pm25"].asfreq("D")
    origin = x.index[x["pm0"].notna()][-1]
    rows = []
    for h in horizons:
        target = y_daily.shift(-h)
        train = target.notna().to_numpy() & x["pm0"].notna().to_numpy()
        model = _model()
        with _one_thread():  # type: ignore[attr-defined]
            model.fit(x[train], np.log1p(target[train]))  # type: ignore[attr-defined]
        value = float(np.expm1(model.predict(x.loc[[origin]]))[0])  # type: ignore[attr-defined]
        level = int(pm25_level_index([value])[0])
        rows.append({"station": station, "origin": origin, "horizon_days": h,
                     "target": origin + pd.Timedelta(days=h), "pm25": max(value, 0.0),
                     "level_index": level, "warn": level >= HEAVY_LEVEL_INDEX})
    return pd.DataFrame(rows)
