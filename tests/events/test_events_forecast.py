"""Event-volume forecasts: calendar effects recovered from a synthetic series, LA backtests, surges."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.events.events_fixtures import LA2020
from zhicheng.events import NewEvent, create_event, load_la311
from zhicheng.events.forecast import (
    backtest_volume,
    calendar_design,
    fit_volume,
    mase,
    volume_series,
)
from zhicheng.store.schema_events import events
from zhicheng.store.schema_warnings import forecast_alerts
from zhicheng.workspace.forecasts import raise_surge_alerts

#: Effects of the SYNTHETIC series below (generated here, not data): weekend days 0.6, legal
#: holidays 0.4, weekend make-up working days (调休) back to weekday level.
WEEKEND, HOLIDAY, MAKEUP = 0.6, 0.4, 1 / 0.6


def synthetic_daily(seed: int = 17) -> pd.DataFrame:
    """SYNTHETIC daily counts 2023–2024 with NB2 noise (α = 0.02) around known calendar effects."""
    periods = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    x = calendar_design(periods, "D")
    weekend = ((x["wd5"] + x["wd6"]) > 0).to_numpy()
    mu = 80.0 * np.where(weekend, WEEKEND, 1.0) * np.where(x["holiday"] > 0, HOLIDAY, 1.0)
    mu = mu * np.where((x["makeup_workday"] > 0) & weekend, MAKEUP, 1.0)
    rng = np.random.default_rng(seed)
    alpha = 0.02
    counts = rng.negative_binomial(1 / alpha, (1 / alpha) / (1 / alpha + mu))
    return pd.DataFrame({"period": periods, "count": counts})


def test_chinese_calendar_regressors() -> None:
    x = calendar_design(pd.DatetimeIndex(["2024-02-10", "2024-02-04", "2024-02-18", "2024-02-19"]), "D")
    # 2024-02-10 春节 (holiday); 2024-02-04 and 2024-02-18 are Sundays worked (调休); 02-19 Monday.
    assert x["holiday"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert x["makeup_workday"].tolist() == [0.0, 1.0, 1.0, 0.0]


def test_daily_model_recovers_weekday_and_holiday_effects_of_a_synthetic_series() -> None:
    s = synthetic_daily()
    model = fit_volume(pd.DatetimeIndex(s["period"]), s["count"].to_numpy(), "D")
    effects = np.exp(model.params)
    assert effects["wd6"] == pytest.approx(WEEKEND, abs=0.05)
    assert effects["wd5"] == pytest.approx(WEEKEND, abs=0.05)
    assert effects["holiday"] == pytest.approx(HOLIDAY, abs=0.06)
    assert effects["makeup_workday"] == pytest.approx(MAKEUP, abs=0.3)
    assert model.alpha == pytest.approx(0.02, abs=0.015)
    bt = backtest_volume(s[s["period"] >= "2024-01-01"].reset_index(drop=True), "D", horizon=7, min_train=28)
    scores = mase(bt, s[s["period"] >= "2024-01-01"], "D")
    assert 0.85 <= scores["coverage"] <= 0.99  # a 95 % interval on NB data (α estimated, not known)
    assert scores["mase_model"] < scores["mase_seasonal_naive"]  # holidays break seasonal naive


@pytest.mark.slow
def test_hourly_backtest_on_the_la_2020_file(sqlite_engine: Engine) -> None:
    load_la311(sqlite_engine, LA2020)
    s = volume_series(sqlite_engine, "h", ("service_code",))
    bulky = s[s["service_code"] == "bulky-items"][["period", "count"]].reset_index(drop=True)
    # Expected from the file itself: every bulky-items request, hours from its first to its last (UTC).
    raw = pd.read_csv(LA2020, dtype=str)
    bulky_raw = raw[raw["requesttype"] == "Bulky Items"]
    local = pd.to_datetime(bulky_raw["createddate"], format="%m/%d/%y %H:%M").dt.floor("h")
    assert bulky["count"].sum() == len(bulky_raw)
    assert len(bulky) == int((local.max() - local.min()) / pd.Timedelta(hours=1)) + 1
    bt = backtest_volume(bulky, "h")
    assert len(bt) == len(bulky) - 48 and bt["origin"].nunique() == 1  # 48 h to fit, the rest to forecast
    assert (bt["lower"] <= bt["forecast"]).all() and (bt["forecast"] <= bt["upper"]).all()
    scores = mase(bt, bulky, "h")
    assert set(scores) == {"mase_model", "mase_seasonal_naive", "coverage", "periods"}
    assert 0.0 <= scores["coverage"] <= 1.0 and scores["mase_model"] > 0


@pytest.mark.slow
def test_surge_raises_an_alert_that_opens_an_event_for_the_department(sqlite_engine: Engine) -> None:
    load_la311(sqlite_engine, LA2020)
    with sqlite_engine.connect() as conn:
        last = pd.Timestamp(conn.execute(sa.select(sa.func.max(events.c.requested_at))).scalar_one())
    # SYNTHETIC surge: 60 encampment reports in the hour after the file ends (the file's most in
    # one hour is 20), one place.
    at = (last.floor("h") + timedelta(hours=1)).to_pydatetime()
    for i in range(60):
        create_event(sqlite_engine, NewEvent(service_code="homeless-encampment", lat=34.05, lon=-118.25,
                                             requested_at=at + timedelta(seconds=i)), actor="synthetic")
    surges = raise_surge_alerts(sqlite_engine, "h", by_cell=False)
    assert surges["service_code"].tolist() == ["homeless-encampment"]
    assert surges["observed"].iloc[0] == 60 and surges["upper"].iloc[0] < 60
    with sqlite_engine.connect() as conn:
        alert = conn.execute(sa.select(forecast_alerts)).one()
        event = conn.execute(sa.select(events).where(events.c.id == alert.event_id)).one()
    assert (alert.kind, alert.series, alert.observed) == ("surge", "homeless-encampment", 60.0)
    # The event goes to the department responsible for encampments (BOS), not the surge service's own.
    assert (event.service_code, event.source, event.department) == ("event-surge", "sensor", "BOS")
    raise_surge_alerts(sqlite_engine, "h", by_cell=False)  # a rerun raises nothing new
    with sqlite_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(forecast_alerts)).scalar_one() == 1


def test_too_short_series_are_refused() -> None:
    from zhicheng.events.errors import EventError

    with pytest.raises(EventError, match="needs at least 48 periods"):
        fit_volume(pd.date_range("2020-01-01", periods=30, freq="h"), np.ones(30), "h")


