"""Event volumes: counts per category (and grid cell) forecast with prediction intervals; surges.

A negative-binomial GLM (statsmodels, NB2: Var = μ + α μ²) of the counts of one series with
seasonality: hourly series get the hour of day (two harmonics), daily series the weekday, Chinese
public holidays and make-up working days (the ``chinese-calendar`` package) and the season of the
year. Hourly series also get the log of the count one day before at the same hour, which
carries the current level of demand the few days of data cannot otherwise tell. α is estimated from the Pearson residuals of a Poisson fit (method of moments); the
prediction interval is the NB predictive distribution's central quantiles at the forecast mean
(parameter uncertainty is not added). A **surge** is a count above the interval's upper bound.

Backtests use a rolling origin: refit on everything before each origin, forecast the next
period, compare with the seasonal naive forecast (the same hour one day before, the same
weekday one week before). MASE scales both by the in-sample MAE of seasonal naive.

References
----------
A. C. Cameron, P. K. Trivedi, Regression Analysis of Count Data, 2nd ed. (2013), §3.3 (NB2) and
§3.2.3 (moment estimator of α); R. J. Hyndman, A. B. Koehler, "Another look at measures of
forecast accuracy", Int. J. Forecasting 22 (2006) 679–688 (MASE); State Council General Office
notices on public holidays, as encoded by ``chinese_calendar``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.events.errors import EventError
from zhicheng.store.schema_events import events

Freq = Literal["h", "D"]
#: Seasonal period of each frequency [periods]: a day of hours, a week of days.
SEASON = {"h": 24, "D": 7}
#: Central coverage of the prediction interval.
COVERAGE = 0.95


def volume_series(engine: Engine, freq: Freq = "h", by: Sequence[str] = ("service_code",),
                  start: datetime | None = None, end: datetime | None = None,
                  where: sa.ColumnElement[bool] | None = None) -> pd.DataFrame:
    """Counts of events requested per period and group, zero-filled; columns: period, *by, count."""
    cols = [events.c[b] for b in by]
    stmt = sa.select(events.c.requested_at, *cols)
    if start is not None:
        stmt = stmt.where(events.c.requested_at >= start)
    if end is not None:
        stmt = stmt.where(events.c.requested_at < end)
    if where is not None:
        stmt = stmt.where(where)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=["requested_at", *by])
    if frame.empty:
        return pd.DataFrame(columns=["period", *by, "count"])
    at = pd.to_datetime(frame["requested_at"], utc=True, format="mixed")
    frame["period"] = at.dt.floor("h" if freq == "h" else "D").dt.tz_localize(None)
    counts = frame.groupby(["period", *by], dropna=False).size().rename("count")
    full = pd.date_range(frame["period"].min(), frame["period"].max(), freq=freq)
    if not by:
        total = counts.reindex(full, fill_value=0)
        return pd.DataFrame({"period": full, "count": total.to_numpy().astype(int)})
    keys = counts.reset_index()[list(by)].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"period": full}), how="cross")
    out = grid.merge(counts.reset_index(), on=["period", *by], how="left")
    out["count"] = out["count"].fillna(0).astype(int)
    return out[["period", *by, "count"]].sort_values([*by, "period"], ignore_index=True)


def calendar_design(periods: pd.DatetimeIndex, freq: Freq) -> pd.DataFrame:
    """Regressors of the GLM: intercept and seasonality (see the module's docstring)."""
    x = pd.DataFrame({"const": 1.0}, index=periods)
    if freq == "h":
        hour = 2 * np.pi * periods.hour.to_numpy() / 24.0
        for k in (1, 2):
            x[f"h_sin{k}"], x[f"h_cos{k}"] = np.sin(k * hour), np.cos(k * hour)
        return x
    import chinese_calendar

    days = periods.date
    for wd in range(1, 7):
        x[f"wd{wd}"] = (periods.day_of_week == wd).astype(float)
    holiday = np.array([_legal(d) for d in days])
    makeup = np.array([d.weekday() >= 5 and chinese_calendar.is_workday(d) for d in days])
    x["holiday"] = holiday.astype(float)
    x["makeup_workday"] = makeup.astype(float)
    doy = 2 * np.pi * periods.day_of_year.to_numpy() / 365.25
    x["y_sin"], x["y_cos"] = np.sin(doy), np.cos(doy)
    return x


def _legal(day: object) -> bool:
    import chinese_calendar

    on, name = chinese_calendar.get_holiday_detail(day)
    return bool(on and name is not None)


@dataclass(frozen=True)
class VolumeModel:
    """A fitted count model: coefficients, NB dispersion α and the frequency it was fitted on."""

    params: pd.Series
    alpha: float
    freq: Freq

    def mean(self, periods: pd.DatetimeIndex, season_before: np.ndarray) -> np.ndarray:
        """Forecast mean μ of each period [events], given the counts one season before each."""
        x = calendar_design(periods, self.freq)
        if self.freq == "h":
            x["lag_season"] = np.log1p(np.asarray(season_before, dtype=float))
        x = x.reindex(columns=self.params.index, fill_value=0.0)
        return np.asarray(np.exp(x.to_numpy() @ self.params.to_numpy()), dtype=float)

    def interval(self, periods: pd.DatetimeIndex, season_before: np.ndarray,
                 coverage: float = COVERAGE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean and central prediction interval (lower, upper) [events] of each period."""
        from scipy import stats

        mu = self.mean(periods, season_before)
        tail = (1.0 - coverage) / 2.0
        if self.alpha <= 1e-8:
            return mu, stats.poisson.ppf(tail, mu), stats.poisson.ppf(1 - tail, mu)
        n = 1.0 / self.alpha
        p = n / (n + mu)
        return mu, stats.nbinom.ppf(tail, n, p), stats.nbinom.ppf(1 - tail, n, p)


def fit_volume(periods: pd.DatetimeIndex, counts: np.ndarray, freq: Freq) -> VolumeModel:
    """Fit the NB2 GLM of ``counts`` on the calendar of ``periods``.

    Columns without variation in the sample (a holiday flag in a sample without holidays) are
    dropped. Raises :class:`EventError` with fewer than two seasons of data.
    """
    import statsmodels.api as sm

    m = SEASON[freq]
    if len(counts) < 2 * m:
        raise EventError(problems=[Problem(f"a {freq} forecast needs at least {2 * m} periods, got {len(counts)}")])
    all_y = np.asarray(counts, dtype=float)
    x = calendar_design(periods, freq).iloc[m:].copy()
    if freq == "h":
        x["lag_season"] = np.log1p(all_y[:-m])
    keep = [c for c in x.columns if c == "const" or x[c].std() > 0]
    x = x[keep]
    y = all_y[m:]
    try:
        poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    except (ValueError, np.linalg.LinAlgError):
        return _mean_rate(y, freq)
    if not np.all(np.isfinite(poisson.params)):
        return _mean_rate(y, freq)
    mu = poisson.mu
    dof = max(len(y) - x.shape[1], 1)
    # Cameron & Trivedi §3.2.3: α = Σ[((y − μ)² − y) / μ²] / (n − k), floored at 0 (no under-dispersion).
    alpha = float(max(np.sum(((y - mu) ** 2 - y) / np.maximum(mu, 1e-9) ** 2) / dof, 0.0))
    if alpha <= 1e-8:
        return VolumeModel(poisson.params, 0.0, freq)
    try:
        nb = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha)).fit()
    except (ValueError, np.linalg.LinAlgError):
        return VolumeModel(poisson.params, 0.0, freq)
    return VolumeModel(nb.params, alpha, freq)


def _mean_rate(y: np.ndarray, freq: Freq) -> VolumeModel:
    """A constant-rate Poisson model (μ = the sample mean) for a series the calendar GLM cannot fit.

    A sparse series (a few events in many empty hours) leaves the IRLS start of the GLM undefined
    (statsmodels: "the first guess on the deviance function returned a nan"); its forecast is then
    the mean rate, with Poisson intervals.
    """
    rate = max(float(np.mean(y)) if len(y) else 0.0, 1e-3)
    return VolumeModel(pd.Series({"const": float(np.log(rate))}), 0.0, freq)


def backtest_volume(series: pd.DataFrame, freq: Freq, horizon: int | None = None,
                    min_train: int | None = None) -> pd.DataFrame:
    """Rolling-origin backtest of one series (columns period, count), refitting at each origin.

    Origins every ``horizon`` periods (default one season) from ``min_train`` (default two
    seasons); each forecasts the next ``horizon`` periods. Returns period, observed, forecast,
    lower, upper, seasonal_naive, origin.
    """
    m = SEASON[freq]
    horizon = horizon or m
    min_train = min_train or 2 * m
    s = series.sort_values("period")
    periods = pd.DatetimeIndex(s["period"])
    y = s["count"].to_numpy(dtype=float)
    rows = []
    for origin in range(min_train, len(y), horizon):
        model = fit_volume(periods[:origin], y[:origin], freq)
        ahead = periods[origin:origin + horizon]
        idx = np.arange(origin, origin + len(ahead))
        mu, lo, hi = model.interval(ahead, y[idx - m])
        rows.append(pd.DataFrame({"period": ahead, "observed": y[idx], "forecast": mu, "lower": lo, "upper": hi,
                                  "seasonal_naive": y[idx - m], "origin": periods[origin]}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["period", "observed", "forecast", "lower", "upper", "seasonal_naive", "origin"])


def mase(backtest: pd.DataFrame, series: pd.DataFrame, freq: Freq) -> dict[str, float]:
    """MASE of the model and of seasonal naive, each scaled by the in-sample seasonal-naive MAE.

    The scale is computed on the periods before the first origin (Hyndman & Koehler 2006, Eq. 8
    with the seasonal naive method). Also the interval's empirical coverage.
    """
    m = SEASON[freq]
    first = backtest["origin"].min()
    train = series[series["period"] < first].sort_values("period")["count"].to_numpy(dtype=float)
    scale = float(np.mean(np.abs(train[m:] - train[:-m]))) if len(train) > m else float("nan")
    obs = backtest["observed"].to_numpy()
    return {
        "mase_model": float(np.mean(np.abs(obs - backtest["forecast"]))) / scale,
        "mase_seasonal_naive": float(np.mean(np.abs(obs - backtest["seasonal_naive"]))) / scale,
        "coverage": float(np.mean((obs >= backtest["lower"]) & (obs <= backtest["upper"]))),
        "periods": float(len(obs)),
    }


def detect_surges(series: pd.DataFrame, freq: Freq, keys: Sequence[str], min_total: int = 20,
                  coverage: float = COVERAGE) -> pd.DataFrame:
    """The last period of every series whose count is above the interval fitted on the periods before.

    ``series`` as :func:`volume_series` gives it (grouped by ``keys``); series with fewer than
    ``min_total`` events before the last period are skipped. Returns the surges: keys, period,
    observed, forecast, upper.
    """
    out = []
    for key, s in series.groupby(list(keys), dropna=False):
        s = s.sort_values("period")
        history, last = s.iloc[:-1], s.iloc[-1]
        if history["count"].sum() < min_total or len(history) < 2 * SEASON[freq]:
            continue
        model = fit_volume(pd.DatetimeIndex(history["period"]), history["count"].to_numpy(), freq)
        before = history["count"].to_numpy()[-SEASON[freq]:-SEASON[freq] + 1 or None]
        mu, _, hi = model.interval(pd.DatetimeIndex([last["period"]]), before, coverage)
        if last["count"] > hi[0]:
            row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            row.update(period=last["period"], observed=int(last["count"]), forecast=float(mu[0]), upper=float(hi[0]))
            out.append(row)
    return pd.DataFrame(out, columns=[*keys, "period", "observed", "forecast", "upper"])


def volume_view(series: pd.DataFrame, freq: Freq, coverage: float = COVERAGE) -> dict[str, list[dict[str, object]]]:
    """History with its rolling forecast band, the next season's forecast, and the surges in history.

    ``series``: columns period, count of one series. History periods before two seasons have no
    band; ``ahead`` covers one season after the last period (hourly: the lag of the day before is
    known for it).
    """
    m = SEASON[freq]
    s = series.sort_values("period").reset_index(drop=True)
    bt = backtest_volume(s, freq) if len(s) >= 2 * m + 1 else pd.DataFrame(columns=["period", "forecast", "lower", "upper"])
    hist = s.merge(bt[["period", "forecast", "lower", "upper"]], on="period", how="left")
    periods = pd.DatetimeIndex(s["period"])
    ahead: list[dict[str, object]] = []
    if len(s) >= 2 * m:
        model = fit_volume(periods, s["count"].to_numpy(), freq)
        step = pd.Timedelta(hours=1) if freq == "h" else pd.Timedelta(days=1)
        future = pd.DatetimeIndex([periods[-1] + step * (k + 1) for k in range(m)])
        mu, lo, hi = model.interval(future, s["count"].to_numpy()[-m:], coverage)
        ahead = [{"period": p.isoformat(), "forecast": float(a), "lower": float(b), "upper": float(c)}
                 for p, a, b, c in zip(future, mu, lo, hi, strict=True)]

    def clean(v: object) -> object:
        return None if isinstance(v, float) and not np.isfinite(v) else v

    history = [{"period": pd.Timestamp(r["period"]).isoformat(), "count": int(r["count"]),
                "forecast": clean(float(r["forecast"])), "lower": clean(float(r["lower"])),
                "upper": clean(float(r["upper"])),
                "surge": bool(np.isfinite(r["upper"]) and r["count"] > r["upper"])}
               for r in hist.to_dict("records")]
    return {"history": history, "ahead": ahead, "surges": [h for h in history if h["surge"]]}
