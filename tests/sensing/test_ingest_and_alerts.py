"""Observations in through the service layer and alert evaluation on real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.sensing import alerts
from zhicheng.sensing.errors import BadRequest
from zhicheng.sensing.ingest import ObservationColumns, create_observations, insert_observations
from zhicheng.sensing.model import THING
from zhicheng.sensing.writer import create
from zhicheng.store import init_store
from zhicheng.store import schema_sensing as s

H = 3_600_000_000
T0 = 1_485_907_200_000_000  # 2017-02-01T00:00:00Z [µs]


def _thing(location: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Dongsi",
        "description": "station",
        "Datastreams": [
            {
                "name": p,
                "description": p,
                "observationType": "OM_Measurement",
                "unitOfMeasurement": {"name": "ug/m3", "symbol": "µg/m³", "definition": "ucum"},
                "Sensor": {
                    "name": "s",
                    "description": "s",
                    "encodingType": "text/plain",
                    "metadata": "m",
                },
                "ObservedProperty": {"name": p, "definition": p, "description": p},
            }
            for p in ("PM2.5", "NO2")
        ],
    }
    if location:
        body["Locations"] = [
            {
                "name": "site",
                "description": "d",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [116.417, 39.929]},
            }
        ]
    return body


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    eng = init_store(db_url)
    with eng.begin() as conn:
        create(conn, THING, _thing())
    yield eng
    eng.dispose()


def _count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_bulk_insert_returns_ids_in_row_order(engine: Engine) -> None:
    times = T0 + np.arange(5, dtype=np.int64) * H
    with engine.begin() as conn:
        first = insert_observations(
            conn, [ObservationColumns(1, times, np.array([1.0, 2, 3, 4, 5]), [None] * 5)]
        )
        second = insert_observations(
            conn,
            [
                ObservationColumns(2, times[:2], np.array([np.nan, 7.0]), ["calibrating", None]),
                ObservationColumns(1, times[:1] + 10 * H, np.array([6.0]), [None]),
            ],
        )
    assert second.ids == list(range(first.ids[-1] + 1, first.ids[-1] + 4))
    with engine.connect() as conn:
        o = s.sta_observations
        rows = conn.execute(
            sa.select(o.c.id, o.c.datastream_id, o.c.result_number, o.c.result_json).order_by(
                o.c.id
            )
        ).all()
        ds = conn.execute(
            sa.select(
                s.sta_datastreams.c.phenomenon_time_start, s.sta_datastreams.c.phenomenon_time_end
            ).order_by(s.sta_datastreams.c.id)
        ).all()
        fois = conn.execute(sa.select(s.sta_features_of_interest.c.feature)).scalars().all()
    assert [tuple(r) for r in rows[5:]] == [
        (second.ids[0], 2, None, "calibrating"),
        (second.ids[1], 2, 7.0, None),
        (second.ids[2], 1, 6.0, None),
    ]
    assert [r[2] for r in rows[:5]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [tuple(r) for r in ds] == [(T0, T0 + 10 * H), (T0, T0 + H)]
    # One FeatureOfInterest, made from the Thing's Location, shared by both Datastreams (OGC 18-088 §8.2.7).
    assert fois == [{"type": "Point", "coordinates": [116.417, 39.929]}]


def test_a_bad_row_writes_nothing(engine: Engine) -> None:
    body = [
        {
            "Datastream": {"@iot.id": 1},
            "components": ["phenomenonTime", "result"],
            "dataArray": [["2017-02-01T00:00:00Z", 1]],
        },
        {
            "Datastream": {"@iot.id": 2},
            "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
            "dataArray": [["2017-02-01T00:00:00Z", 1, 77]],
        },
    ]
    with pytest.raises(BadRequest) as err, engine.begin() as conn:
        create_observations(conn, body)
    assert "FeatureOfInterest 77 does not exist" in str(err.value)
    assert _count(engine, s.sta_observations) == 0
    with engine.begin() as conn:
        thing = create(conn, THING, {**_thing(location=False), "name": "mobile"})
        ds_id = (
            conn.execute(
                sa.select(s.sta_datastreams.c.id).where(s.sta_datastreams.c.thing_id == thing)
            )
            .scalars()
            .first()
        )
    with pytest.raises(BadRequest) as err, engine.begin() as conn:
        create_observations(
            conn, [{"Datastream": {"@iot.id": ds_id}, "components": ["result"], "dataArray": [[1]]}]
        )
    assert "has no Location" in str(err.value)
    assert _count(engine, s.sta_observations) == 0


def _rule(engine: Engine, **kw: Any) -> int:
    with engine.begin() as conn:
        return int(alerts.create_rule(conn, alerts.RuleSpec(**kw), "test")["id"])


def _feed(engine: Engine, ds: int, hours: list[int], values: list[float]) -> list[dict[str, Any]]:
    times = T0 + np.asarray(hours, dtype=np.int64) * H
    with engine.begin() as conn:
        return insert_observations(
            conn,
            [ObservationColumns(ds, times, np.asarray(values, dtype=float), [None] * len(values))],
        ).opened_alerts


def test_breach_spanning_batches_and_late_readings(engine: Engine) -> None:
    _rule(
        engine,
        name="NO2 high",
        kind="threshold",
        datastream_id=2,
        threshold=200,
        comparison="ge",
        duration_minutes=60,
    )
    assert _feed(engine, 2, [0, 1, 2], [150, 200, 199]) == []  # a breach lasting 0 minutes
    assert _feed(engine, 2, [3], [250]) == []  # breach starts at 03:00
    opened = _feed(engine, 2, [4, 5], [300, 260])  # 04:00: 60 minutes reached
    assert [(a["start"], a["peak_value"], a["peak_at"], a["active"]) for a in opened] == [
        ("2017-02-01T03:00:00Z", 300.0, "2017-02-01T04:00:00Z", True)
    ]
    # A late reading (older than the last one seen) does not move the state.
    assert _feed(engine, 2, [1], [999]) == []
    _feed(engine, 2, [7, 6], [100, 310])  # out of order inside a batch: sorted by time first
    with engine.connect() as conn:
        listed = alerts.list_alerts(conn)
    assert [(a["peak_value"], a["peak_at"], a["end"]) for a in listed] == [
        (310.0, "2017-02-01T06:00:00Z", "2017-02-01T07:00:00Z")
    ]


def test_low_threshold_rule_tracks_the_minimum(engine: Engine) -> None:
    _rule(
        engine,
        name="sensor flat",
        kind="threshold",
        datastream_id=1,
        threshold=1,
        comparison="lt",
        duration_minutes=0,
    )
    opened = _feed(engine, 1, [0, 1, 2, 3], [5, 0.5, 0.2, 4])
    assert [(a["peak_value"], a["start"]) for a in opened] == [(0.2, "2017-02-01T01:00:00Z")]


def test_hooks_get_new_alerts_and_a_failing_hook_is_contained(engine: Engine) -> None:
    seen: list[int] = []

    def broken(alert: dict[str, Any]) -> None:
        raise RuntimeError("listener down")

    alerts.ON_ALERT_OPENED[:] = [broken, lambda a: seen.append(a["id"])]
    try:
        _rule(engine, name="PM2.5", kind="threshold", observed_property="PM2.5", threshold=75)
        opened = _feed(engine, 1, [0], [80])
        alerts.fire_opened(opened)
    finally:
        alerts.ON_ALERT_OPENED.clear()
    assert seen == [opened[0]["id"]]
