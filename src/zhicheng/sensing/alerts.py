"""Alert rules and alerts: early warning from live observations (预警).

A rule watches one Datastream, or every Datastream of an ObservedProperty (by name), for a
threshold (``result > 75``) or an air-quality level (the hourly IAQI of the reading reaches
HJ 633 level 4, 中度污染). A breach that lasts ``duration_minutes`` opens an alert with its
start, its peak and, once a reading is back within bounds, its end. Rules are evaluated as
each batch of observations is written: the breach test is vectorised over the batch and only
the runs of consecutive breaches are walked.

Other modules react to new alerts through :data:`ON_ALERT_OPENED` (the events module opens a
city event from an alert): each callback gets the alert as a dict, after the write committed.

References
----------
HJ 633-2026 Table 1 (AQI levels 一级 … 六级) and Table 3 (IAQI breakpoints, 1 h values of PM
on the 24 h columns, Eq. (1) note); OGC 18-088 §8.2.5 (Observation result).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from zhicheng.air.aqi import level_index
from zhicheng.air.breakpoints import Pollutant, Standard
from zhicheng.air.iaqi import iaqi
from zhicheng.sensing.errors import NotFound, bad
from zhicheng.sensing.timefmt import format_instant
from zhicheng.store import schema_sensing as s

log = logging.getLogger(__name__)

#: Called with each newly opened alert (a dict as :func:`alert_json` gives) after commit.
ON_ALERT_OPENED: list[Callable[[dict[str, Any]], None]] = []

#: ObservedProperty names (as the air stations use them) → the air module's pollutant codes.
POLLUTANT_OF: dict[str, Pollutant] = {"PM2.5": "pm25", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3"}
KINDS = ("threshold", "aqi_level")
COMPARISONS = ("gt", "ge", "lt", "le")
#: The edition alerts index readings by (the one in force since 2026-03-01).
ALERT_STANDARD: Standard = "HJ633-2026"


@dataclass(frozen=True)
class RuleSpec:
    """What a rule watches and when it fires."""

    name: str
    kind: str
    datastream_id: int | None = None
    observed_property: str | None = None
    comparison: str = "gt"
    threshold: float | None = None
    aqi_level: int | None = None
    duration_minutes: int = 0
    enabled: bool = True

    def check(self) -> None:
        """400 with every inconsistency of the rule."""
        problems = []
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {', '.join(KINDS)}")
        if (self.datastream_id is None) == (self.observed_property is None):
            problems.append("give exactly one of datastream_id and observed_property")
        if self.comparison not in COMPARISONS:
            problems.append(f"comparison must be one of {', '.join(COMPARISONS)}")
        if self.kind == "threshold" and self.threshold is None:
            problems.append("a threshold rule needs threshold")
        if self.kind == "aqi_level" and (self.aqi_level is None or not 1 <= self.aqi_level <= 6):
            problems.append("an aqi_level rule needs aqi_level from 1 to 6 (HJ 633 Table 1)")
        if self.duration_minutes < 0:
            problems.append("duration_minutes must not be negative")
        if problems:
            raise bad("; ".join(problems))


def _now() -> datetime:
    return datetime.now(UTC)


def rule_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A rule as JSON."""
    out = {
        k: row[k]
        for k in (
            "id",
            "name",
            "kind",
            "datastream_id",
            "observed_property",
            "comparison",
            "threshold",
            "aqi_level",
            "duration_minutes",
            "enabled",
            "created_by",
        )
    }
    out["created_at"] = row["created_at"].isoformat() if row["created_at"] is not None else None
    return out


def alert_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """An alert as JSON (times ISO 8601, UTC)."""
    return {
        "id": row["id"],
        "rule_id": row["rule_id"],
        "datastream_id": row["datastream_id"],
        "start": format_instant(row["started_at"]),
        "end": format_instant(row["ended_at"]),
        "active": row["ended_at"] is None,
        "peak_value": row["peak_value"],
        "peak_at": format_instant(row["peak_at"]),
        "message": row["message"],
    }


def create_rule(conn: sa.Connection, spec: RuleSpec, created_by: str) -> dict[str, Any]:
    """Store a new rule; 400 when it is inconsistent or names a missing Datastream."""
    spec.check()
    if spec.datastream_id is not None:
        found = conn.execute(
            sa.select(s.sta_datastreams.c.id).where(s.sta_datastreams.c.id == spec.datastream_id)
        ).first()
        if found is None:
            raise bad(f"Datastream {spec.datastream_id} does not exist", "datastream_id")
    values = {**spec.__dict__, "created_by": created_by, "created_at": _now()}
    new_id = conn.execute(
        sa.insert(s.alert_rules).values(**values).returning(s.alert_rules.c.id)
    ).scalar_one()
    return get_rule(conn, int(new_id))


def get_rule(conn: sa.Connection, rule_id: int) -> dict[str, Any]:
    """One rule; 404 when missing."""
    row = (
        conn.execute(sa.select(s.alert_rules).where(s.alert_rules.c.id == rule_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"alert rule {rule_id} does not exist")
    return rule_json(row)


def list_rules(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every rule, by id."""
    return [
        rule_json(r)
        for r in conn.execute(sa.select(s.alert_rules).order_by(s.alert_rules.c.id)).mappings()
    ]


def replace_rule(conn: sa.Connection, rule_id: int, spec: RuleSpec) -> dict[str, Any]:
    """Replace a rule's settings (its breach state starts afresh)."""
    current = get_rule(conn, rule_id)
    spec.check()
    conn.execute(
        sa.update(s.alert_rules).where(s.alert_rules.c.id == rule_id).values(**spec.__dict__)
    )
    conn.execute(sa.delete(s.alert_states).where(s.alert_states.c.rule_id == rule_id))
    return {**current, **get_rule(conn, rule_id)}


def delete_rule(conn: sa.Connection, rule_id: int) -> None:
    """Delete a rule with its state and alerts."""
    get_rule(conn, rule_id)
    conn.execute(sa.delete(s.alerts).where(s.alerts.c.rule_id == rule_id))
    conn.execute(sa.delete(s.alert_states).where(s.alert_states.c.rule_id == rule_id))
    conn.execute(sa.delete(s.alert_rules).where(s.alert_rules.c.id == rule_id))


def list_alerts(
    conn: sa.Connection,
    active: bool | None = None,
    since: int | None = None,
    rule_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Alerts, newest first; ``active`` open ones only (or closed only), ``since`` [µs] started at or after."""
    a = s.alerts
    stmt = sa.select(a).order_by(a.c.started_at.desc(), a.c.id.desc()).limit(limit)
    if active is not None:
        stmt = stmt.where(a.c.ended_at.is_(None) if active else a.c.ended_at.is_not(None))
    if since is not None:
        stmt = stmt.where(
            sa.or_(a.c.started_at >= since, a.c.ended_at.is_(None), a.c.ended_at >= since)
        )
    if rule_id is not None:
        stmt = stmt.where(a.c.rule_id == rule_id)
    return [alert_json(r) for r in conn.execute(stmt).mappings()]


#: Observations shown around an alert [µs]: from this long before its start to after its end.
CONTEXT_US = 3 * 3_600_000_000
#: At most this many observations in an alert's detail.
CONTEXT_LIMIT = 500


def _history_select() -> sa.Select[Any]:
    a, r, d, t, op = s.alerts, s.alert_rules, s.sta_datastreams, s.sta_things, s.sta_observed_properties
    return (
        sa.select(a, r.c.name.label("rule_name"), r.c.kind.label("rule_kind"),
                  d.c.name.label("datastream_name"), d.c.unit_of_measurement,
                  t.c.id.label("thing_id"), t.c.name.label("station"), t.c.properties.label("thing_properties"),
                  op.c.name.label("observed_property"))
        .select_from(a.join(r, r.c.id == a.c.rule_id).join(d, d.c.id == a.c.datastream_id)
                     .join(t, t.c.id == d.c.thing_id)
                     .join(op, op.c.id == d.c.observed_property_id))
    )  # fmt: skip


def _history_json(row: Mapping[Any, Any], lang: str = "zh") -> dict[str, Any]:
    unit = row["unit_of_measurement"] if isinstance(row["unit_of_measurement"], dict) else {}
    return {
        **alert_json(row),
        "rule_name": row["rule_name"],
        "rule_kind": row["rule_kind"],
        "datastream_name": row["datastream_name"],
        "thing_id": row["thing_id"],
        "station": s.thing_name(row["station"], row["thing_properties"], lang),
        "observed_property": row["observed_property"],
        "unit": unit.get("symbol"),
    }


def alert_history(
    conn: sa.Connection,
    active: bool | None = None,
    thing_id: int | None = None,
    rule_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    lang: str = "zh",
) -> dict[str, Any]:
    """Every alert raised (open and ended), newest first, with its rule, Datastream and station.

    The station is named in ``lang`` (:func:`~zhicheng.store.schema_sensing.thing_name`).

    ``total`` counts all alerts matching the filters; ``alerts`` is the page asked for.
    """
    a, d = s.alerts, s.sta_datastreams
    conds: list[sa.ColumnElement[bool]] = []
    if active is not None:
        conds.append(a.c.ended_at.is_(None) if active else a.c.ended_at.is_not(None))
    if thing_id is not None:
        conds.append(d.c.thing_id == thing_id)
    if rule_id is not None:
        conds.append(a.c.rule_id == rule_id)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(a.join(d, d.c.id == a.c.datastream_id)).where(*conds)
    ).scalar_one()
    rows = conn.execute(
        _history_select().where(*conds)
        .order_by(a.c.started_at.desc(), a.c.id.desc()).limit(limit).offset(offset)
    ).mappings()  # fmt: skip
    return {"total": int(total), "limit": limit, "offset": offset,
            "alerts": [_history_json(r, lang) for r in rows]}


def alert_detail(conn: sa.Connection, alert_id: int, lang: str = "zh") -> dict[str, Any]:
    """One alert: its rule, station and the readings around it (those that breached marked).

    ``observations`` are the Datastream's readings from :data:`CONTEXT_US` before the start to
    as long after the end (or the latest reading while it is open), at most
    :data:`CONTEXT_LIMIT`; ``breach`` says whether the rule's test holds for each.
    """
    row = conn.execute(_history_select().where(s.alerts.c.id == alert_id)).mappings().first()
    if row is None:
        raise NotFound(f"alert {alert_id} does not exist")
    out = _history_json(row, lang)
    rule = get_rule(conn, int(row["rule_id"]))
    o = s.sta_observations
    hi = row["ended_at"] if row["ended_at"] is not None else row["peak_at"]
    stmt = (
        sa.select(o.c.phenomenon_time_start, o.c.result_number)
        .where(o.c.datastream_id == row["datastream_id"], o.c.result_number.is_not(None),
               o.c.phenomenon_time_start >= row["started_at"] - CONTEXT_US)
        .order_by(o.c.phenomenon_time_start).limit(CONTEXT_LIMIT)
    )  # fmt: skip
    if row["ended_at"] is not None:
        stmt = stmt.where(o.c.phenomenon_time_start <= hi + CONTEXT_US)
    readings = conn.execute(stmt).all()
    values = np.array([float(v) for _, v in readings], dtype=np.float64)
    rule_row = {**rule, "op_name": row["observed_property"]}
    mask = breach_mask(rule_row, values) if len(values) else np.zeros(0, dtype=bool)
    out["rule"] = rule
    out["observations"] = [
        {"at": format_instant(int(t)), "value": float(v), "breach": bool(b)}
        for (t, v), b in zip(readings, mask, strict=True)
    ]
    return out


# --- evaluation -------------------------------------------------------------------------------


_R, _D, _OP = s.alert_rules, s.sta_datastreams, s.sta_observed_properties
#: Enabled rules applying to a set of Datastreams (built once; ids bound as an expanding list).
_RULES_FOR = (
    sa.select(_R, _D.c.id.label("ds_id"), _OP.c.name.label("op_name"))
    .select_from(_D)
    .join(_OP, _OP.c.id == _D.c.observed_property_id)
    .join(
        _R,
        sa.or_(
            _R.c.datastream_id == _D.c.id,
            sa.and_(_R.c.datastream_id.is_(None), _R.c.observed_property == _OP.c.name),
        ),
    )
    .where(_R.c.enabled.is_(True), _D.c.id.in_(sa.bindparam("ids", expanding=True)))
)


def _rules_for(conn: sa.Connection, ds_ids: list[int]) -> list[dict[str, Any]]:
    """Enabled rules that apply to any of ``ds_ids``, one row per (rule, datastream)."""
    return [dict(row) for row in conn.execute(_RULES_FOR, {"ids": ds_ids}).mappings()]


def breach_mask(rule: Mapping[Any, Any], values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Which readings breach the rule (vectorised; NaN never breaches).

    For ``aqi_level`` rules the reading's hourly IAQI (HJ 633-2026, 1 h value; PM on the 24 h
    column) is put in its level (1–6) and compared with the rule's level.
    """
    finite = np.isfinite(values)
    if rule["kind"] == "aqi_level":
        pollutant = POLLUTANT_OF.get(rule["op_name"])
        if pollutant is None:
            return np.zeros(len(values), dtype=bool)
        index = iaqi(
            pollutant, np.where(finite & (values >= 0), values, np.nan), "1h", ALERT_STANDARD
        )
        level = level_index(np.asarray(index), ALERT_STANDARD) + 1
        return finite & (level >= int(rule["aqi_level"]))
    t = float(rule["threshold"])
    cmp = {"gt": np.greater, "ge": np.greater_equal, "lt": np.less, "le": np.less_equal}[
        rule["comparison"]
    ]
    return finite & cmp(np.where(finite, values, 0.0), t)


@dataclass
class _State:
    since: int | None = None
    peak: float | None = None
    peak_at: int | None = None
    last_at: int | None = None
    open_alert: int | None = None


def _load_state(conn: sa.Connection, rule_id: int, ds_id: int) -> _State:
    row = (
        conn.execute(
            sa.select(s.alert_states).where(
                s.alert_states.c.rule_id == rule_id, s.alert_states.c.datastream_id == ds_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return _State()
    return _State(
        row["breach_since"], row["peak_value"], row["peak_at"], row["last_at"], row["open_alert_id"]
    )


def _save_state(conn: sa.Connection, rule_id: int, ds_id: int, st: _State) -> None:
    key = (s.alert_states.c.rule_id == rule_id, s.alert_states.c.datastream_id == ds_id)
    values = {
        "breach_since": st.since,
        "peak_value": st.peak,
        "peak_at": st.peak_at,
        "last_at": st.last_at,
        "open_alert_id": st.open_alert,
    }
    if conn.execute(sa.update(s.alert_states).where(*key).values(**values)).rowcount == 0:
        conn.execute(
            sa.insert(s.alert_states).values(rule_id=rule_id, datastream_id=ds_id, **values)
        )


def _runs(mask: npt.NDArray[np.bool_]) -> Iterable[tuple[int, int, bool]]:
    """(start, stop, breached) of each run of equal values in ``mask``."""
    if len(mask) == 0:
        return []
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    starts = np.r_[0, edges]
    stops = np.r_[edges, len(mask)]
    return zip(starts.tolist(), stops.tolist(), mask[starts].tolist(), strict=True)


def _message(rule: Mapping[Any, Any]) -> str:
    what = rule["op_name"]
    if rule["kind"] == "aqi_level":
        return f"{rule['name']}: {what} IAQI at level {rule['aqi_level']} or worse for {rule['duration_minutes']} min"
    return f"{rule['name']}: {what} {rule['comparison']} {rule['threshold']} for {rule['duration_minutes']} min"


def _step_run(
    conn: sa.Connection,
    rule: Mapping[Any, Any],
    st: _State,
    t: npt.NDArray[np.int64],
    v: npt.NDArray[np.float64],
    opened: list[int],
) -> None:
    """Advance the state over one run of breaching readings."""
    high = rule["comparison"] in ("gt", "ge") or rule["kind"] == "aqi_level"
    k = int(np.argmax(v) if high else np.argmin(v))
    if st.since is None:
        st.since, st.peak, st.peak_at = int(t[0]), None, None
    if st.peak is None or (v[k] > st.peak if high else v[k] < st.peak):
        st.peak, st.peak_at = float(v[k]), int(t[k])
    st.last_at = int(t[-1])
    need = int(rule["duration_minutes"]) * 60_000_000
    if st.open_alert is None and st.last_at - st.since >= need:
        st.open_alert = int(
            conn.execute(
                sa.insert(s.alerts).values(
                    rule_id=rule["id"], datastream_id=rule["ds_id"], started_at=st.since, peak_value=st.peak,
                    peak_at=st.peak_at, message=_message(rule),
                ).returning(s.alerts.c.id)
            ).scalar_one()
        )  # fmt: skip
        opened.append(st.open_alert)
    elif st.open_alert is not None:
        conn.execute(
            sa.update(s.alerts)
            .where(s.alerts.c.id == st.open_alert)
            .values(peak_value=st.peak, peak_at=st.peak_at)
        )


def _evaluate_pair(
    conn: sa.Connection,
    rule: Mapping[Any, Any],
    t: npt.NDArray[np.int64],
    v: npt.NDArray[np.float64],
    opened: list[int],
) -> None:
    st = _load_state(conn, rule["id"], rule["ds_id"])
    if st.last_at is not None:
        newer = t > st.last_at
        t, v = t[newer], v[newer]
    if len(t) == 0:
        return
    mask = breach_mask(rule, v)
    for start, stop, breached in _runs(mask):
        if breached:
            _step_run(conn, rule, st, t[start:stop], v[start:stop], opened)
            continue
        if st.open_alert is not None:
            conn.execute(
                sa.update(s.alerts)
                .where(s.alerts.c.id == st.open_alert)
                .values(ended_at=int(t[start]))
            )
        st = _State(last_at=int(t[stop - 1]))
    _save_state(conn, rule["id"], rule["ds_id"], st)


def evaluate_batch(
    conn: sa.Connection,
    datastream_id: npt.NDArray[np.int64],
    time: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
) -> list[dict[str, Any]]:
    """Evaluate every applicable rule on a batch of new observations; return opened alerts.

    The arrays are aligned: each observation's Datastream, phenomenon time [µs] and numeric
    result (NaN when not a number).
    """
    ds_ids = np.unique(datastream_id).tolist()
    rules = _rules_for(conn, ds_ids)
    if not rules:
        return []
    opened: list[int] = []
    for ds_id in ds_ids:
        pairs = [r for r in rules if r["ds_id"] == ds_id]
        if not pairs:
            continue
        mine = np.flatnonzero(datastream_id == ds_id)
        order = mine[np.argsort(time[mine], kind="stable")]
        for rule in pairs:
            _evaluate_pair(conn, rule, time[order], value[order], opened)
    if not opened:
        return []
    rows = conn.execute(
        sa.select(s.alerts).where(s.alerts.c.id.in_(opened)).order_by(s.alerts.c.id)
    ).mappings()
    result = [alert_json(r) for r in rows]
    note_opened(conn, result)
    return result


#: Where a transaction keeps the alerts it opened until the caller fires them after commit.
_PENDING = "zhicheng.sensing.opened_alerts"


def note_opened(conn: sa.Connection, alerts: list[dict[str, Any]]) -> None:
    """Remember alerts opened in this transaction (fired by the caller after commit)."""
    if alerts:
        conn.info.setdefault(_PENDING, []).extend(alerts)


def take_opened(conn: sa.Connection) -> list[dict[str, Any]]:
    """The alerts noted on this connection since the last call (and forget them)."""
    taken: list[dict[str, Any]] = conn.info.pop(_PENDING, [])
    return taken


def fire_opened(alerts: Iterable[dict[str, Any]]) -> None:
    """Call every :data:`ON_ALERT_OPENED` callback for each alert (a failing callback is logged)."""
    for alert in alerts:
        for callback in ON_ALERT_OPENED:
            try:
                callback(alert)
            except Exception:  # a listener's failure must not undo a committed ingest
                log.exception("alert callback %r failed for alert %s", callback, alert.get("id"))
