"""The demo's live layer: the stations as SensorThings Things, their last days replayed under two alert rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.workspace.demo_sources import LIVE_DAYS


def default_rules() -> list[Any]:
    """The demo's alert rules: PM2.5 1-h above 150 µg/m³ for 2 h; PM10 heavy pollution for 1 h."""
    from zhicheng.sensing.alerts import RuleSpec

    return [
        RuleSpec(name="PM2.5 1 h > 150 µg/m³ for 2 h (demo)", kind="threshold", observed_property="PM2.5",
                 comparison="gt", threshold=150.0, duration_minutes=120),
        # HJ 633-2026 Table 1: level 5 (重度污染) is IAQI 201–300.
        RuleSpec(name="PM10 heavy pollution (AQI level 5) for 1 h (demo)", kind="aqi_level",
                 observed_property="PM10", comparison="ge", aqi_level=5, duration_minutes=60),
    ]


def _ensure_rules(conn: sa.Connection) -> int:
    from zhicheng.sensing.alerts import create_rule, list_rules

    have = {r["name"] for r in list_rules(conn)}
    made = [create_rule(conn, spec, "demo") for spec in default_rules() if spec.name not in have]
    return len(made)


def _registered(conn: sa.Connection, name: str) -> Any:
    """The station's Thing (created with its Location and Datastreams when missing) and streams."""
    from zhicheng.sensing import beijing
    from zhicheng.sensing.model import entity_set
    from zhicheng.sensing.writer import create
    from zhicheng.store import schema_sensing as s

    things = conn.execute(sa.select(s.sta_things.c.id, s.sta_things.c.properties)
                          .where(s.sta_things.c.name == name)).all()
    found = [int(i) for i, props in things
             if (props or {}).get("network") == beijing.NETWORK and (props or {}).get("station") == name]
    if found:
        thing_id = found[0]
    else:
        ops = {str(n): int(i) for i, n in conn.execute(
            sa.select(s.sta_observed_properties.c.id, s.sta_observed_properties.c.name))}
        thing_id = create(conn, entity_set("Things"), beijing.thing_body(name, ops))
    d = s.sta_datastreams
    streams: dict[str, tuple[int, int | None]] = {}
    for ds_id, props, start, end in conn.execute(
            sa.select(d.c.id, d.c.properties, d.c.phenomenon_time_start, d.c.phenomenon_time_end)
            .where(d.c.thing_id == thing_id)):
        column = (props or {}).get("pollutant")
        if column in beijing.POLLUTANT_COLUMNS:
            last = end if end is not None else start
            streams[column] = (int(ds_id), None if last is None else int(last))
    return beijing.Registered(thing_id, streams)


def replay_live(engine: Engine, air_dir: Path, days: int = LIVE_DAYS,
                batch_size: int = 5000) -> tuple[dict[str, int], list[dict[str, Any]], int]:
    """Register the stations and replay their last ``days`` of hourly data through the sensing service.

    The default alert rules are made first, so the replay raises alerts as a live feed would;
    opened alerts are handed to :data:`zhicheng.sensing.alerts.ON_ALERT_OPENED` after each commit
    (as the server does). Observations the store already has are not sent again.

    Returns observations sent per station, the alerts opened and the rules created.
    """
    from zhicheng.sensing import beijing
    from zhicheng.sensing.alerts import fire_opened, take_opened
    from zhicheng.sensing.ingest import create_observations

    files = beijing.station_files(air_dir)
    with engine.begin() as conn:
        rules = _ensure_rules(conn)
    sent: dict[str, int] = {}
    opened: list[dict[str, Any]] = []
    for name in beijing.STATIONS:
        frame = beijing.window(beijing.read_station(files[name]), None, None, days)
        mine: list[dict[str, Any]] = []
        with engine.begin() as conn:
            take_opened(conn)
            station = _registered(conn, name)
            sent[name] = 0
            for n, body in beijing.batches(frame, station, batch_size):
                mine += create_observations(conn, body).opened_alerts
                sent[name] += n
            take_opened(conn)
        fire_opened(mine)
        opened += mine
    return sent, opened, rules
