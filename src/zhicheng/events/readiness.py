"""Emergency readiness: plans (预案), drills (应急演练) and supplies (物资保障), and D2.R3's indicators.

A readiness file (YAML) lists plans with their event types and departments, drills of those plans
(date, participants, findings, follow-up actions) and supply depots with their stock (item,
quantity, minimum level, expiry). Loading it is one transaction: every problem is reported with
its place and nothing is written. Each drill's follow-up action becomes a city event
(``drill-follow-up``) for its department; every stock below its minimum raises a supply alert that
opens a ``supply-shortage`` event (once per depot, item and day).

Indicators (:func:`readiness_indicators`):

- D2.R3.I3 应急演练计划完成率 = drills held in the year / drills the plans call for × 100 (capped at 100);
- D2.R3.I5 应急物资数字化管理率 = depots reporting stock to the platform / depots × 100;
- ``ops.supply_coverage`` = stocked items at or above their minimum and not expired / items × 100;
- D2.R3.I1 预警信息公众覆盖率 from the dissemination figures of the year's public warnings
  (:func:`zhicheng.events.warnings.reach_indicator`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.events.catalogue import PACKAGED_CATALOGUES, load_catalogue
from zhicheng.events.errors import EventError
from zhicheng.events.service import NewEvent, create_event, now_utc, open_event_from_alert, utc
from zhicheng.store.schema import units
from zhicheng.store.schema_readiness import (
    drill_actions,
    drills,
    emergency_plans,
    supply_depots,
    supply_stocks,
)
from zhicheng.store.schema_warnings import forecast_alerts

INDICATOR_DRILLS = "D2.R3.I3"
INDICATOR_DIGITAL_DEPOTS = "D2.R3.I5"
INDICATOR_SUPPLY_COVERAGE = "ops.supply_coverage"


@dataclass(frozen=True)
class LoadResult:
    """What a readiness file brought: plans, drills, actions turned into events, depots, stocks, alerts."""

    plans: int
    drills: int
    actions: int
    depots: int
    stocks: int
    shortage_alerts: int


def _when(value: Any, where: str, column: str, problems: list[Problem]) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        return utc(datetime.fromisoformat(str(value)))
    except ValueError:
        problems.append(Problem(f"{where}: {column} must be a date (YYYY-MM-DD), got {value!r}", column=column))
        return None


def _number(value: Any, where: str, column: str, problems: list[Problem]) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(Problem(f"{where}: {column} must be a number, got {value!r}", column=column))
        return 0.0
    if number < 0:
        problems.append(Problem(f"{where}: {column} may not be negative", column=column))
    return number


def _list(entry: dict[str, Any], key: str) -> list[Any]:
    value = entry.get(key) or []
    return list(value) if isinstance(value, list | tuple) else [value]


def _plans(raw: list[Any], known_units: set[str], services: set[str], problems: list[Problem]) -> list[dict[str, Any]]:
    out = []
    for i, p in enumerate(raw):
        where = f"plans[{i}]"
        if not isinstance(p, dict) or not p.get("code") or not p.get("name_zh"):
            problems.append(Problem(f"{where}: a plan needs code and name_zh", column="code"))
            continue
        for code in _list(p, "event_types"):
            if code not in services:
                problems.append(Problem(f"{where}: event type {code!r} is not in the catalogue", column="event_types"))
        if p.get("unit") and p["unit"] not in known_units:
            problems.append(Problem(f"{where}: unit {p['unit']!r} is not in the store", column="unit"))
        out.append({"code": str(p["code"]), "name_zh": str(p["name_zh"]), "name_en": p.get("name_en"),
                    "level": p.get("level"), "unit_code": p.get("unit"),
                    "event_types": json.dumps(_list(p, "event_types"), ensure_ascii=False),
                    "departments": json.dumps(_list(p, "departments"), ensure_ascii=False),
                    "drills_per_year": int(_number(p.get("drills_per_year", 1), where, "drills_per_year", problems)),
                    "updated_at": now_utc()})
    return out


def _drills(raw: list[Any], plan_codes: set[str], problems: list[Problem]) -> list[dict[str, Any]]:
    out = []
    for i, d in enumerate(raw):
        where = f"drills[{i}]"
        if not isinstance(d, dict) or not d.get("ref"):
            problems.append(Problem(f"{where}: a drill needs ref", column="ref"))
            continue
        if d.get("plan") not in plan_codes:
            problems.append(Problem(f"{where}: plan {d.get('plan')!r} is not a plan of the file or the store", column="plan"))
        held = _when(d.get("held_at"), where, "held_at", problems)
        if held is None:
            problems.append(Problem(f"{where}: held_at is required", column="held_at"))
        actions = []
        for j, a in enumerate(_list(d, "actions")):
            if not isinstance(a, dict) or not a.get("description"):
                problems.append(Problem(f"{where}.actions[{j}]: an action needs a description", column="actions"))
                continue
            actions.append({"description": str(a["description"]), "department": a.get("department")})
        out.append({"ref": str(d["ref"]), "plan_code": d.get("plan"), "held_at": held,
                    "participants": json.dumps(_list(d, "participants"), ensure_ascii=False),
                    "participant_count": d.get("participant_count"), "findings": d.get("findings"),
                    "_actions": actions, "_where": where})
    return out


def _depots(raw: list[Any], known_units: set[str], problems: list[Problem]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    depots, stocks = [], []
    for i, d in enumerate(raw):
        where = f"depots[{i}]"
        if not isinstance(d, dict) or not d.get("code") or not d.get("name_zh"):
            problems.append(Problem(f"{where}: a depot needs code and name_zh", column="code"))
            continue
        if d.get("unit") and d["unit"] not in known_units:
            problems.append(Problem(f"{where}: unit {d['unit']!r} is not in the store", column="unit"))
        depots.append({"code": str(d["code"]), "name_zh": str(d["name_zh"]), "name_en": d.get("name_en"),
                       "unit_code": d.get("unit"), "lat": d.get("lat"), "lon": d.get("lon"),
                       "digital": bool(d.get("digital", False))})
        for j, s in enumerate(_list(d, "stocks")):
            w = f"{where}.stocks[{j}]"
            if not isinstance(s, dict) or not s.get("item") or not s.get("item_zh") or not s.get("unit"):
                problems.append(Problem(f"{w}: a stock needs item, item_zh and unit", column="item"))
                continue
            stocks.append({"depot_code": str(d["code"]), "item_code": str(s["item"]), "item_zh": str(s["item_zh"]),
                           "item_en": s.get("item_en"), "unit": str(s["unit"]),
                           "quantity": _number(s.get("quantity"), w, "quantity", problems),
                           "minimum": _number(s.get("minimum", 0), w, "minimum", problems),
                           "expires_at": _when(s.get("expires"), w, "expires", problems), "updated_at": now_utc()})
    return depots, stocks


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: tuple[str, ...]) -> None:
    for row in rows:
        cond = [table.c[k] == row[k] for k in keys]
        if conn.execute(sa.select(*[table.c[k] for k in keys]).where(*cond)).first() is None:
            conn.execute(table.insert().values(**row))
        else:
            conn.execute(table.update().where(*cond).values(**{k: v for k, v in row.items() if k not in keys}))


def load_readiness(engine: Engine, path: str | Path, actor: str = "readiness") -> LoadResult:
    """Load a readiness file (see the module's docstring); earlier records with the same codes are replaced.

    A drill already stored (same ``ref``) keeps its actions' events: they are opened once.
    """
    file = Path(path).name
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EventError(problems=[Problem(f"not valid YAML: {exc}", file)]) from None
    if not isinstance(raw, dict):
        raise EventError(problems=[Problem("a readiness file is a mapping of plans, drills and depots", file)])
    problems: list[Problem] = []
    # Event types of the server's catalogue and of every packaged one (a plan may name either).
    services = {s.code for c in (load_catalogue(), *map(load_catalogue, PACKAGED_CATALOGUES.values()))
                for s in c.services}
    with engine.connect() as conn:
        known_units = set(conn.execute(sa.select(units.c.code)).scalars())
        stored_plans = set(conn.execute(sa.select(emergency_plans.c.code)).scalars())
        stored_drills = set(conn.execute(sa.select(drills.c.ref)).scalars())
    plans = _plans(list(raw.get("plans") or []), known_units, services, problems)
    drill_rows = _drills(list(raw.get("drills") or []), stored_plans | {p["code"] for p in plans}, problems)
    depots, stocks = _depots(list(raw.get("depots") or []), known_units, problems)
    if problems:
        raise EventError(f"{file}: {len(problems)} problem(s)", [Problem(p.reason, file, p.row, p.column) for p in problems])
    new_drills = [d for d in drill_rows if d["ref"] not in stored_drills]
    with engine.begin() as conn:
        _upsert(conn, emergency_plans, plans, ("code",))
        _upsert(conn, drills, [{k: v for k, v in d.items() if not k.startswith("_")} for d in drill_rows], ("ref",))
        _upsert(conn, supply_depots, depots, ("code",))
        _upsert(conn, supply_stocks, stocks, ("depot_code", "item_code"))
        ids = dict(conn.execute(sa.select(drills.c.ref, drills.c.id).where(
            drills.c.ref.in_([d["ref"] for d in new_drills]))).all()) if new_drills else {}
    actions = 0
    for d in new_drills:
        for a in d["_actions"]:
            event = create_event(engine, NewEvent(
                service_code="drill-follow-up", address=f"演练 {d['ref']} / drill {d['ref']}",
                description=a["description"], source="inspector", source_ref=f"drill:{d['ref']}",
                department=a["department"]), actor, "operator")
            with engine.begin() as conn:
                conn.execute(drill_actions.insert().values(drill_id=ids[d["ref"]], description=a["description"],
                                                           department=a["department"], event_id=event.id))
            actions += 1
    alerts = raise_shortage_alerts(engine)
    return LoadResult(len(plans), len(drill_rows), actions, len(depots), len(stocks), alerts)


def raise_shortage_alerts(engine: Engine, today: date | None = None) -> int:
    """A supply alert (→ ``supply-shortage`` event) for every stock below its minimum, once a day."""
    day = today or now_utc().date()
    target = datetime(day.year, day.month, day.day, tzinfo=UTC)
    with engine.connect() as conn:
        low = conn.execute(sa.select(supply_stocks, supply_depots.c.name_zh.label("depot_zh"), supply_depots.c.lat,
                                     supply_depots.c.lon).join(supply_depots)
                           .where(supply_stocks.c.quantity < supply_stocks.c.minimum)).all()
    made = 0
    for r in low:
        place = f"{r.depot_code}/{r.item_code}"
        with engine.connect() as conn:
            seen = conn.execute(sa.select(forecast_alerts.c.id).where(
                forecast_alerts.c.kind == "supply", forecast_alerts.c.place == place,
                forecast_alerts.c.target_at == target)).first()
        if seen is not None:
            continue
        message = (f"{r.depot_zh} {r.item_zh} 库存 {r.quantity:g} {r.unit}，低于储备下限 {r.minimum:g} {r.unit} / "
                   f"{r.depot_code}: {r.item_en or r.item_code} stock {r.quantity:g} {r.unit} below the minimum {r.minimum:g}")
        described: dict[str, Any] = {"service_code": "supply-shortage", "message": message, "at": now_utc(),
                                     "id": f"supply:{place}:{day.isoformat()}"}
        if r.lat is not None and r.lon is not None:
            described.update(lat=r.lat, lon=r.lon)
        else:
            described["address"] = f"应急物资库 {r.depot_code}"
        event_id = open_event_from_alert(engine, described)
        with engine.begin() as conn:
            conn.execute(forecast_alerts.insert().values(
                kind="supply", place=place, service_code="supply-shortage", series=r.item_code, issued_at=now_utc(),
                target_at=target, horizon_hours=0.0, predicted=None, observed=float(r.quantity),
                threshold=float(r.minimum), message=message, event_id=event_id, warning_id=None))
        made += 1
    return made


def readiness_indicators(engine: Engine, year: int, unit_code: str | None = None) -> dict[str, float | None]:
    """D2.R3.I1, D2.R3.I3, D2.R3.I5 and ops.supply_coverage [%] of ``year`` (one unit's records, or all).

    References
    ----------
    Goal model D2.R3.I3 应急演练计划完成率 (drills held / drills planned × 100, capped at 100) and
    D2.R3.I5 应急物资数字化管理率 (depots reporting stock in real time / depots × 100).
    """
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    with engine.connect() as conn:
        plan_q = sa.select(emergency_plans.c.code, emergency_plans.c.drills_per_year)
        depot_q = sa.select(supply_depots.c.code, supply_depots.c.digital)
        if unit_code:
            plan_q = plan_q.where(emergency_plans.c.unit_code == unit_code)
            depot_q = depot_q.where(supply_depots.c.unit_code == unit_code)
        plans: dict[str, int] = dict(conn.execute(plan_q).all())
        held: dict[str, int] = dict(conn.execute(sa.select(drills.c.plan_code, sa.func.count()).where(
            drills.c.held_at >= start, drills.c.held_at < end, drills.c.plan_code.in_(list(plans)))
            .group_by(drills.c.plan_code)).all()) if plans else {}
        depots: dict[str, bool] = dict(conn.execute(depot_q).all())
        stock = conn.execute(sa.select(supply_stocks.c.quantity, supply_stocks.c.minimum, supply_stocks.c.expires_at)
                             .where(supply_stocks.c.depot_code.in_(list(depots)))).all() if depots else []
    planned = sum(plans.values())
    # Drills beyond a plan's own count do not make up for another plan's missing ones.
    done = sum(min(int(held.get(code, 0)), int(n)) for code, n in plans.items())
    as_of = min(end, now_utc())
    ok = sum(1 for s in stock if s.quantity >= s.minimum and (s.expires_at is None or utc(s.expires_at) > as_of))
    from zhicheng.events.warnings import INDICATOR_REACH, reach_indicator

    return {
        INDICATOR_REACH: reach_indicator(engine, year, unit_code),
        INDICATOR_DRILLS: min(100.0, 100.0 * done / planned) if planned else None,
        INDICATOR_DIGITAL_DEPOTS: 100.0 * sum(bool(v) for v in depots.values()) / len(depots) if depots else None,
        INDICATOR_SUPPLY_COVERAGE: 100.0 * ok / len(stock) if stock else None,
    }


def readiness_summary(engine: Engine) -> dict[str, Any]:
    """Plans with their drills, depots with their stock (and which items are short or expired)."""
    now = now_utc()
    with engine.connect() as conn:
        plans = [dict(r._mapping) for r in conn.execute(sa.select(emergency_plans).order_by(emergency_plans.c.code))]
        drill_rows = [dict(r._mapping) for r in conn.execute(sa.select(drills).order_by(drills.c.held_at.desc()))]
        depots = [dict(r._mapping) for r in conn.execute(sa.select(supply_depots).order_by(supply_depots.c.code))]
        stocks = [dict(r._mapping) for r in conn.execute(sa.select(supply_stocks))]
    for p in plans:
        p["event_types"], p["departments"] = json.loads(p["event_types"]), json.loads(p["departments"])
    for d in drill_rows:
        d["participants"] = json.loads(d["participants"])
    for s in stocks:
        s["below_minimum"] = s["quantity"] < s["minimum"]
        s["expired"] = s["expires_at"] is not None and utc(s["expires_at"]) <= now
    return {"plans": plans, "drills": drill_rows, "depots": depots, "stocks": stocks}


def store_readiness_indicators(engine: Engine, year: int, unit_code: str, actor: str = "readiness") -> int:
    """Write :func:`readiness_indicators` of ``unit_code`` for ``year`` into ``indicator_values`` (one batch)."""
    from zhicheng.store.schema import indicator_values, ingest_batches

    values = {k: v for k, v in readiness_indicators(engine, year, unit_code).items() if v is not None}
    with engine.begin() as conn:
        if conn.execute(sa.select(units.c.code).where(units.c.code == unit_code)).first() is None:
            raise EventError(problems=[Problem(f"unit {unit_code!r} is not in units", column="unit_code")])
        batch = conn.execute(ingest_batches.insert().values(
            source=f"readiness:{year}", checksum="-", kind="readiness", ingested_by=actor, ingested_at=now_utc(),
            row_count=len(values), note="D2.R3.I3, D2.R3.I5 and supply coverage from plans, drills and supplies",
        ).returning(ingest_batches.c.id)).scalar_one()
        conn.execute(indicator_values.delete().where(
            indicator_values.c.unit_code == unit_code, indicator_values.c.period == str(year),
            indicator_values.c.indicator_id.in_(list(values))))
        if values:
            conn.execute(indicator_values.insert(), [
                {"unit_code": unit_code, "indicator_id": k, "period": str(year), "value": v, "batch_id": batch}
                for k, v in values.items()])
    return len(values)
