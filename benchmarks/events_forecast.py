"""Benchmark: forecast skill of the episode and event-volume forecasts on the shipped real data.

Episodes: every Beijing multi-site station, daily PM2.5 1, 2 and 3 days ahead (24/48/72 h),
rolling origin with a refit before each test year (2014, 2015, 2016, Jan–Feb 2017; each fit uses
every earlier day back to March 2013). Printed per horizon, pooled over the stations: MAE [µg/m³]
of the model (gradient boosting), persistence and the seasonal baseline (training years' mean of
the target's month), and the hit rate and false-alarm ratio of heavy-pollution warnings (AQI level
≥ 5 from the PM2.5 sub-index). Target: better MAE than persistence at 24 h.

Volumes: the LA 311 files allow only hourly backtests (5 days of December 2017 and 3 days of
January 2020): per category with at least 200 requests, fit on 48 h, forecast the next 24 h,
roll by 24 h; MASE of the model and of seasonal naive (same hour the day before), both scaled by
the in-sample seasonal-naive MAE, and the 95 % interval's coverage.

Run: .venv/bin/python benchmarks/events_forecast.py [--stations Dongsi,Tiantan] [--no-volumes]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from zhicheng.air.forecast import forecast_station, read_station_days, scores, yearly_folds

DATA = Path(__file__).resolve().parents[1] / "data"
AIR = DATA / "air_quality" / "beijing_multisite"
LA = (DATA / "service_requests" / "MyLA311_Service_Request_Data_2017_Subset.csv.gz",
      DATA / "service_requests" / "la311_requests_2020-01-01_to_03_seed.csv.gz")


def episodes(stations: list[str] | None) -> None:
    t0 = time.process_time()
    wall = time.perf_counter()
    parts = []
    for path in sorted(AIR.glob("PRSA_Data_*.csv.gz")):
        name = path.name.split("_")[2]
        if stations and name not in stations:
            continue
        parts.append(forecast_station(read_station_days(path), yearly_folds()))
    bt = pd.concat(parts, ignore_index=True)
    s = scores(bt)
    print(f"episodes: {bt['station'].nunique()} stations, {len(bt):,} station-day forecasts, "
          f"{time.process_time() - t0:.1f} s CPU ({time.perf_counter() - wall:.1f} s wall)")
    print(f"{'horizon':>8} {'method':>12} {'days':>7} {'MAE µg/m³':>10} {'heavy':>6} {'warned':>7} {'hit':>6} {'FAR':>6}")
    for r in s.itertuples():
        print(f"{r.horizon_hours:>6} h {r.method:>12} {r.days:>7,} {r.mae:>10.1f} {r.heavy_days:>6} "
              f"{r.warned_days:>7} {r.hit_rate:>6.2f} {r.false_alarm_ratio:>6.2f}")
    m = s.set_index(["horizon_hours", "method"])["mae"]
    verdict = "met" if m[(24, "model")] < m[(24, "persistence")] else "NOT met"
    print(f"target (model MAE < persistence at 24 h): {verdict} "
          f"({m[(24, 'model')]:.1f} vs {m[(24, 'persistence')]:.1f} µg/m³)")


def volumes() -> None:
    from zhicheng.events import load_la311
    from zhicheng.events.forecast import backtest_volume, mase, volume_series
    from zhicheng.store import init_store

    with tempfile.TemporaryDirectory() as tmp:
        engine = init_store(Path(tmp) / "la.db")
        for f in LA:
            load_la311(engine, f)
        series = volume_series(engine, "h", ("service_code",))
        engine.dispose()
    series["year"] = series["period"].dt.year
    print("\nvolumes (hourly, LA 311; fit 48 h, forecast 24 h, roll 24 h):")
    print(f"{'file':>6} {'category':>22} {'events':>7} {'hours':>6} {'MASE model':>11} {'MASE s-naive':>13} {'cover95':>8}")
    pooled: dict[str, list[float]] = {"model": [], "naive": []}
    for (year, code), s in series.groupby(["year", "service_code"]):
        s = s[["period", "count"]].reset_index(drop=True)
        if s["count"].sum() < 200 or len(s) < 60:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bt = backtest_volume(s, "h")
        r = mase(bt, s, "h")
        pooled["model"].append(r["mase_model"])
        pooled["naive"].append(r["mase_seasonal_naive"])
        print(f"{year:>6} {code:>22} {int(s['count'].sum()):>7,} {len(s):>6} {r['mase_model']:>11.2f} "
              f"{r['mase_seasonal_naive']:>13.2f} {r['coverage']:>8.2f}")
    print(f"mean MASE over {len(pooled['model'])} series: model {np.mean(pooled['model']):.2f}, "
          f"seasonal naive {np.mean(pooled['naive']):.2f} (below 1: better than in-sample seasonal naive)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", help="comma-separated station names (default: all 12)")
    parser.add_argument("--no-volumes", action="store_true")
    args = parser.parse_args()
    episodes(args.stations.split(",") if args.stations else None)
    if not args.no_volumes:
        volumes()


if __name__ == "__main__":
    main()
