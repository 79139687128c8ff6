"""The demo's Los Angeles 311 requests and Somerville survey, with the indicators they feed."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate.intake import split_stored
from zhicheng.store.schema import units
from zhicheng.workspace.demo_sources import LA311_FILES, LA_UNIT, SURVEY_FILE, SourceSummary


def ensure_la_unit(engine: Engine) -> bool:
    """Add Los Angeles (洛杉矶) as a city unit unless the store has it; True when added."""
    with engine.begin() as conn:
        if conn.execute(sa.select(units.c.code).where(units.c.code == LA_UNIT)).scalar() is not None:
            return False
        conn.execute(units.insert().values(
            code=LA_UNIT, name_zh="洛杉矶(美国加利福尼亚州)", name_en="Los Angeles, California", level="city",
            group_name="demo: 311 service requests", lon=-118.2437, lat=34.0522))
    return True


def _la_years(engine: Engine) -> list[str]:
    """Years (UTC) in which the replayed LA 311 requests were made."""
    from zhicheng.store.schema_events import events

    year = sa.extract("year", events.c.requested_at)
    with engine.connect() as conn:
        found = conn.execute(sa.select(year).where(events.c.source_ref.like("la311:%")).distinct()).scalars()
        return sorted(str(int(y)) for y in found if y is not None)


def _event_values_current(engine: Engine, period: str) -> bool:
    """True when the stored D2.R1 values of LA for ``period`` equal those the events give now."""
    from zhicheng.events import event_indicators

    fresh = event_indicators(engine, period, LA_UNIT, cells=False)
    if fresh.empty:
        return True
    with engine.connect() as conn:
        new, changed, _ = split_stored(conn, fresh.astype({"value": float}))
    return new.empty and changed.empty


def load_la311_demo(engine: Engine, data: Path) -> tuple[SourceSummary, dict[str, int]]:
    """Replay the LA 311 files and store the city's event indicators for each year."""
    from zhicheng.events import load_la311, store_event_indicators
    from zhicheng.events.grid import assign_missing_cells
    from zhicheng.store.schema_events import events

    ensure_la_unit(engine)
    results = [load_la311(engine, data / f, actor="demo", city=LA_UNIT) for f in LA311_FILES]
    # Events replayed before grid cells existed get theirs now (H3 cells under LA; idempotent).
    placed = assign_missing_cells(engine, LA_UNIT, where=events.c.source_ref.like("la311:%"))
    years = _la_years(engine)
    stored = 0
    for year in years:
        # The city's values only: the cells' statistics are read per cell (heat map, /api/grid),
        # not stored as ~1,000 more units to evaluate.
        if not _event_values_current(engine, year):
            stored += store_event_indicators(engine, year, LA_UNIT, actor="demo", cells=False)
    # 事件预判: surges in the last hour of the latest file against the hourly forecast band (once).
    from zhicheng.workspace.forecasts import raise_surge_alerts

    latest = events.c.source_ref == f"la311:{Path(LA311_FILES[-1]).name}"
    surges = raise_surge_alerts(engine, "h", by_cell=False, where=latest)
    with engine.connect() as conn:
        per_service = {str(k): int(v) for k, v in conn.execute(
            sa.select(events.c.service_code, sa.func.count()).where(events.c.source_ref.like("la311:%"))
            .group_by(events.c.service_code))}
        cells = int(conn.execute(sa.select(sa.func.count(sa.distinct(events.c.grid_code)))
                                 .where(events.c.source_ref.like("la311:%"))).scalar_one())
    summary = SourceSummary(
        "Los Angeles 311 service requests", ", ".join(LA311_FILES), sum(r.read for r in results), 1,
        ", ".join(years) or "–", sum(r.loaded for r in results) + stored + placed,
        f"{sum(per_service.values()):,} events in {len(per_service)} services on {cells:,} H3 grid cells; "
        f"D2.R1 indicators for {', '.join(years)}; {len(surges)} surge(s) in the last hour")
    return summary, per_service


def _stored_waves(engine: Engine, unit: str, file: str) -> tuple[list[str], int]:
    """Periods of the waves of ``unit`` already ingested from ``file``, and their respondents."""
    from zhicheng.store.schema_survey import survey_respondents, survey_waves

    w, r = survey_waves, survey_respondents
    with engine.connect() as conn:
        periods = sorted(str(p) for p in conn.execute(
            sa.select(w.c.period).where(w.c.unit_code == unit, w.c.source.like(f"%{file}"))).scalars())
        people = conn.execute(sa.select(sa.func.count()).select_from(r.join(w, w.c.id == r.c.wave_id)).where(
            w.c.unit_code == unit, w.c.source.like(f"%{file}"))).scalar_one()
    return periods, int(people)


def load_survey_demo(engine: Engine, data: Path) -> SourceSummary:
    """The Somerville resident survey through the citizen questionnaire (D7 indicators).

    Waves already ingested from the file are not ingested again (the survey intake refuses a
    stored wave).
    """
    from zhicheng.workspace.survey_demo import SOMERVILLE_UNIT, load_somerville_demo

    label = "Somerville resident survey"
    periods, people = _stored_waves(engine, SOMERVILLE_UNIT, Path(SURVEY_FILE).name)
    if periods:
        return SourceSummary(label, SURVEY_FILE, people, 1, f"{periods[0]}–{periods[-1]}", 0,
                             f"{len(periods)} waves already ingested")
    done = load_somerville_demo(engine, data_dir=data)
    periods = done["periods"]
    fed = sum(len(v) for v in done["indicators"].values())
    return SourceSummary(
        label, SURVEY_FILE, int(done["respondents"]), 1,
        f"{min(periods)}–{max(periods)}" if periods else "–", int(done["answers"]),
        f"{len(done['waves'])} waves, {fed} survey indicator values; {len(done['unmapped'])} columns not mapped "
        "(listed by `zhicheng survey report`)")
