"""Forecasts that raise alerts (事件预判): predicted pollution episodes and event-volume surges.

Both go through the same alert → event path as sensor alerts (:func:`zhicheng.events.open_event_from_alert`):
a predicted heavy-pollution day at a station opens a ``pollution-episode-forecast`` event and
drafts a public warning (CAP, for review) before the day comes; a surge — a count above the
forecast's upper bound — opens an ``event-surge`` event for the department responsible for the
surged category. Every raised alert is kept in ``forecast_alerts`` once (a rerun adds nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.store.schema import units
from zhicheng.store.schema_warnings import forecast_alerts

#: Beijing's local time is UTC+8: a local day's forecast is issued at the end of the origin day.
BEIJING_OFFSET = pd.Timedelta(hours=8)
#: 24-h PM2.5 [µg/m³] above which the level is 5 (重度污染), HJ 633-2012 Table 1.
HEAVY_PM25 = 150.0


def _utc(ts: pd.Timestamp) -> datetime:
    return (ts - BEIJING_OFFSET).to_pydatetime().replace(tzinfo=UTC)


def _already(conn: sa.Connection, kind: str, place: str, series: str | None, target: datetime) -> bool:
    t = forecast_alerts
    cond = [t.c.kind == kind, t.c.place == place, t.c.target_at == target]
    cond.append(t.c.series.is_(None) if series is None else t.c.series == series)
    return conn.execute(sa.select(t.c.id).where(*cond)).first() is not None


def raise_episode_alerts(engine: Engine, forecasts: pd.DataFrame, warn: bool = True) -> list[int]:
    """Alerts for the forecast rows with ``warn`` (see :func:`zhicheng.air.forecast.forecast_ahead`).

    Each opens an event at the station and, with ``warn``, drafts a CAP warning. Returns the ids
    of the new ``forecast_alerts`` rows.
    """
    from zhicheng.events import open_event_from_alert
    from zhicheng.sensing.beijing import STATIONS
    from zhicheng.workspace.alerts import draft_warning_for_alert

    made = []
    for r in forecasts[forecasts["warn"]].to_dict("records"):
        station = str(r["station"])
        zh, lon, lat = STATIONS.get(station, (station, None, None))
        day, horizon, pm25 = pd.Timestamp(r["target"]), int(r["horizon_days"]), float(r["pm25"])
        target = _utc(day)
        issued = _utc(pd.Timestamp(r["origin"]) + pd.Timedelta(days=1))
        with engine.connect() as conn:
            if _already(conn, "episode", station, None, target):
                continue
        message = (f"预计 {day:%Y-%m-%d} {zh}站 PM2.5 日均 {pm25:.0f} µg/m³（≥ 5 级重度污染）/ "
                   f"forecast {day:%Y-%m-%d} at {station}: PM2.5 24-h mean {pm25:.0f} µg/m³, "
                   f"AQI level ≥ 5, {horizon * 24} h ahead")
        described: dict[str, Any] = {"service_code": "pollution-episode-forecast", "station": station, "lat": lat,
                                     "lon": lon, "message": message, "at": issued, "pollutant": "PM2.5"}
        event_id = open_event_from_alert(engine, described)
        warning_id = draft_warning_for_alert(engine, described, "forecast") if warn and lat is not None else None
        with engine.begin() as conn:
            made.append(int(conn.execute(forecast_alerts.insert().values(
                kind="episode", place=station, service_code="pollution-episode-forecast", series=None,
                issued_at=issued, target_at=target, horizon_hours=float(horizon) * 24,
                predicted=pm25, observed=None, threshold=HEAVY_PM25, message=message,
                event_id=event_id, warning_id=warning_id,
            ).returning(forecast_alerts.c.id)).scalar_one()))
    return made


def forecast_stations(engine: Engine, air_dir: Path, stations: Sequence[str] | None = None) -> pd.DataFrame:
    """Forecast every station's next three days from its file and raise alerts for warned days."""
    from zhicheng.air.forecast import forecast_ahead, read_station_days

    frames = []
    for path in sorted(Path(air_dir).glob("PRSA_Data_*.csv*")):
        name = path.name.split("_")[2]
        if stations and name not in stations:
            continue
        frames.append(forecast_ahead(read_station_days(path)))
    forecasts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["station", "origin", "horizon_days", "target", "pm25", "level_index", "warn"])
    if not forecasts.empty:
        raise_episode_alerts(engine, forecasts)
    return forecasts


def _cell_place(conn: sa.Connection, code: str | None) -> tuple[float | None, float | None, str]:
    if code is None:
        return None, None, "city"
    row = conn.execute(sa.select(units.c.lat, units.c.lon, units.c.name_zh).where(units.c.code == code)).first()
    return (row.lat, row.lon, str(row.name_zh)) if row is not None else (None, None, code)


def raise_surge_alerts(engine: Engine, freq: str = "h", by_cell: bool = True,
                       where: sa.ColumnElement[bool] | None = None, min_total: int = 20) -> pd.DataFrame:
    """Find surges in the last period of every category (× grid cell) series and raise their alerts.

    Each surge opens an ``event-surge`` event for the surged category's department, at the cell's
    centre. Returns the surges found (new or already raised).
    """
    from zhicheng.events import load_catalogue, open_event_from_alert
    from zhicheng.events.forecast import detect_surges, volume_series

    keys = ("service_code", "grid_code") if by_cell else ("service_code",)
    series = volume_series(engine, freq, keys, where=where)  # type: ignore[arg-type]
    if series.empty:
        return pd.DataFrame(columns=[*keys, "period", "observed", "forecast", "upper"])
    surges = detect_surges(series, freq, keys, min_total=min_total)  # type: ignore[arg-type]
    departments = {s.code: s.department for s in load_catalogue().services}
    for r in surges.to_dict("records"):
        cell = r.get("grid_code") if by_cell else None
        cell = None if cell is None or pd.isna(cell) else str(cell)
        place = cell or "city"
        target = pd.Timestamp(r["period"]).to_pydatetime().replace(tzinfo=UTC)
        with engine.connect() as conn:
            if _already(conn, "surge", place, str(r["service_code"]), target):
                continue
            lat, lon, name = _cell_place(conn, cell)
        message = (f"{name} {r['service_code']} 事件量激增：{r['observed']} 件，预测上限 {r['upper']:.0f} 件 / "
                   f"surge of {r['service_code']} in {place}: {r['observed']} events against an upper bound "
                   f"of {r['upper']:.0f} (forecast {r['forecast']:.1f}) at {target:%Y-%m-%d %H:%M} UTC")
        described: dict[str, Any] = {"service_code": "event-surge", "message": message, "at": target,
                                     "department": departments.get(str(r["service_code"]))}
        if lat is not None:
            described.update(lat=lat, lon=lon)
        else:
            described["address"] = f"{place}"
        event_id = open_event_from_alert(engine, described)
        with engine.begin() as conn:
            conn.execute(forecast_alerts.insert().values(
                kind="surge", place=place, service_code="event-surge", series=str(r["service_code"]),
                issued_at=target, target_at=target, horizon_hours=1.0 if freq == "h" else 24.0,
                predicted=float(r["forecast"]), observed=float(r["observed"]), threshold=float(r["upper"]),
                message=message, event_id=event_id, warning_id=None))
    return surges


def list_forecast_alerts(engine: Engine, kind: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Raised forecast alerts, newest target first."""
    stmt = sa.select(forecast_alerts).order_by(forecast_alerts.c.target_at.desc()).limit(limit)
    if kind:
        stmt = stmt.where(forecast_alerts.c.kind == kind)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
