"""The whole demo workspace on a real SQLite store: every source, real numbers, and a rerun that changes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from zhicheng.air import annual_evaluation, city_daily, daily_aqi
from zhicheng.air.io import read_hourly
from zhicheng.evaluate.service import evaluate
from zhicheng.evaluate.workspace_method import workspace_method
from zhicheng.events import load_catalogue
from zhicheng.sensing import beijing
from zhicheng.store import init_store
from zhicheng.store import schema_sensing as s
from zhicheng.store.schema import evaluation_runs, indicator_values, ingest_batches, units
from zhicheng.store.schema_evaluation import indicator_value_sources
from zhicheng.store.schema_events import events
from zhicheng.store.schema_survey import survey_answers, survey_waves
from zhicheng.store.schema_uncertainty import evaluation_uncertainty
from zhicheng.workspace.alerts import alert_events
from zhicheng.workspace.demo import (
    AIR_DIR,
    BEIJING_CITY,
    GOOD_DAYS,
    LA311_FILES,
    LA_UNIT,
    LIVE_DAYS,
    PM25_ANNUAL,
    build_demo,
    default_data_dir,
)

DATA = default_data_dir()
COUNTED = {"units": units, "indicator_values": indicator_values, "ingest_batches": ingest_batches,
           "evaluation_runs": evaluation_runs, "events": events, "sta_things": s.sta_things,
           "sta_observations": s.sta_observations, "alerts": s.alerts, "alert_rules": s.alert_rules,
           "survey_waves": survey_waves, "survey_answers": survey_answers}


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {k: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()) for k, t in COUNTED.items()}


def _values(engine: sa.Engine, unit: str, indicator: str) -> dict[str, float]:
    t = indicator_values
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.period, t.c.value).where(t.c.unit_code == unit, t.c.indicator_id == indicator))
        return {str(p): float(v) for p, v in rows}


def _expected_city_air() -> pd.DataFrame:
    """Beijing's annual evaluation recomputed from the files: city = its 11 city stations (Dingling is background)."""
    daily = daily_aqi(read_hourly([DATA / AIR_DIR]))
    city_stations = [str(x) for x in pd.unique(daily["station"]) if str(x) != "Dingling"]
    return annual_evaluation(city_daily(daily, city="Beijing", stations=city_stations)).set_index("year")


def _expected_la_counts() -> dict[str, int]:
    """Requests per Open311 service straight from the two LA 311 files (request type → service)."""
    mapping = load_catalogue().la311_map()
    per: pd.Series = pd.Series(dtype=int)
    for f in LA311_FILES:
        raw = pd.read_csv(DATA / f, dtype=str)
        raw.columns = [c.strip().lower() for c in raw.columns]
        per = per.add(raw["requesttype"].map(mapping).value_counts(), fill_value=0)
    return {str(k): int(v) for k, v in per.items()}


def _expected_live_observations() -> int:
    """Non-missing readings of the last LIVE_DAYS days, all six pollutants of the 12 stations."""
    files = beijing.station_files(DATA / AIR_DIR)
    total = 0
    for name in beijing.STATIONS:
        frame = beijing.window(beijing.read_station(files[name]), None, None, LIVE_DAYS)
        total += int(frame[list(beijing.POLLUTANT_COLUMNS)].notna().to_numpy().sum())
    return total


@pytest.mark.slow
def test_demo_builds_every_source_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    engine = init_store(f"sqlite:///{tmp_path / 'demo.db'}")
    with alert_events(engine):
        result = build_demo(engine)

    # Beijing air: 12 station units under Beijing's census unit; the city's values as HJ 663 gives them.
    with engine.connect() as conn:
        stations = conn.execute(sa.select(units.c.code, units.c.parent_code).where(units.c.level == "station")).all()
        air_batch = conn.execute(sa.select(ingest_batches.c.source, ingest_batches.c.kind)
                                 .where(ingest_batches.c.kind == "air")).one()
    assert len(stations) == 12 and {p for _, p in stations} == {BEIJING_CITY}
    assert air_batch.source == str(DATA / AIR_DIR)
    city = _expected_city_air()
    good = city[city["valid_days"] >= 324]
    assert _values(engine, BEIJING_CITY, GOOD_DAYS) == pytest.approx(
        {str(y): float(v) for y, v in good["good_day_share"].items()}, abs=1e-9)
    assert sorted(_values(engine, BEIJING_CITY, GOOD_DAYS)) == ["2014", "2015", "2016"]
    pm = city[city["pm25_year_valid"].astype(bool)]
    assert _values(engine, BEIJING_CITY, PM25_ANNUAL) == pytest.approx(
        {str(y): float(v) for y, v in pm["pm25_annual"].items()}, abs=1e-9)
    assert _values(engine, f"{BEIJING_CITY}-Dongsi", PM25_ANNUAL)["2015"] == 87.0  # station row of the same evaluation

    # Live layer: the 12 stations as Things, the last days replayed, alerts raised and turned into sensor events.
    counts = _counts(engine)
    assert counts["sta_things"] == 12 and counts["alert_rules"] == 2
    assert counts["sta_observations"] == _expected_live_observations()
    assert counts["alerts"] == len(result.alerts) > 0
    with engine.connect() as conn:
        sensor_events = conn.execute(sa.select(events.c.source_ref).where(events.c.source == "sensor")).scalars().all()
        la = dict(conn.execute(sa.select(events.c.service_code, sa.func.count())
                               .where(events.c.source_ref.like("la311:%")).group_by(events.c.service_code)).all())
    assert sorted(sensor_events) == sorted(str(a["id"]) for a in result.alerts)

    # LA 311: every request replayed, per category as in the files; the city's workflow indicators stored.
    assert la == _expected_la_counts() and sum(la.values()) == 19_999
    assert set(_values(engine, LA_UNIT, "D2.R1.I1")) >= {"2017", "2020"}
    # Every LA request with a real place (18,235 of the 19,999 rows carry coordinates) sits on an H3 cell under Los Angeles.
    with engine.connect() as conn:
        la311 = events.c.source_ref.like("la311:%")
        placed = sa.and_(la311, events.c.lat.is_not(None), ~sa.and_(events.c.lat == 0, events.c.lon == 0))
        located = conn.execute(sa.select(sa.func.count()).where(placed)).scalar_one()
        on_cells = conn.execute(sa.select(sa.func.count()).where(placed, events.c.grid_code.like("H3-%"))).scalar_one()
        parents = set(conn.execute(sa.select(units.c.parent_code).where(
            units.c.code.in_(sa.select(events.c.grid_code).where(la311)))).scalars())
    assert located > 18_000 and on_cells == located and parents == {LA_UNIT}

    # Somerville: the unit, its 7 waves and survey indicators of the seventh domain.
    with engine.connect() as conn:
        waves = conn.execute(sa.select(survey_waves.c.period).where(survey_waves.c.unit_code == "US-MA-SOMERVILLE"))
        d7 = conn.execute(sa.select(sa.func.count()).select_from(indicator_values).where(
            indicator_values.c.unit_code == "US-MA-SOMERVILLE", indicator_values.c.indicator_id.like("D7.%"))).scalar_one()
    assert sorted(waves.scalars()) == ["2011", "2013", "2015", "2017", "2019", "2021", "2023"] and d7 > 0

    # Evaluation: 2020, Beijing scored with its ecology domain on its real 2016 air values.
    run = result.run
    assert run.period == "2020" and len(run.units) >= 290 and BEIJING_CITY in run.units
    mine = run.results[run.results["unit_code"] == BEIJING_CITY].set_index("code")
    assert np.isfinite(mine.at["D3", "score"])
    assert mine.at[GOOD_DAYS, "raw_value"] == pytest.approx(float(good.loc[2016, "good_day_share"]))
    assert mine.at[GOOD_DAYS, "value_period"] == "2016"
    assert result.config.lookback == 4 and "2016" in result.lookback_note

    # The ranking separates the cities: one city alone at the top, no rank shared unless the data are.
    index = run.results[run.results["level"] == "index"]
    ranked_cn = index[index["rank_status"] == "ranked"]
    assert (ranked_cn["rank"] == 1).sum() == 1 and ranked_cn["score"].max() < 100
    assert ranked_cn["score"].round(9).is_unique
    # Los Angeles and Somerville are in their own groups, not in the Chinese ranking.
    assert set(index.loc[index["unit_code"].isin([LA_UNIT, "US-MA-SOMERVILLE"]), "rank_status"]) == {"sole_unit"}
    # No grade without evidence: D5 and D7 are empty for every Chinese city, so none is graded.
    assert index["grade"].isna().all() and set(ranked_cn["grade_status"]) == {"insufficient_evidence"}
    assert ranked_cn["provisional_grade"].notna().all() and ranked_cn["coverage"].notna().all()
    # The nationwide PM2.5 file: at least 150 prefectures with an annual mean from it, and the Beijing
    # 2016 disagreement with the station network among the data-quality findings.
    with engine.connect() as conn:
        from_file = conn.execute(sa.select(sa.func.count(sa.distinct(indicator_value_sources.c.unit_code))).where(
            indicator_value_sources.c.source_kind == "derived_file", indicator_value_sources.c.indicator_id == PM25_ANNUAL,
            indicator_value_sources.c.unit_code.not_like("%-%"))).scalar_one()
    assert from_file >= 150
    assert any(f.column == BEIJING_CITY and f"{PM25_ANNUAL} 2016" in f.reason for f in result.findings)
    assert _values(engine, BEIJING_CITY, PM25_ANNUAL)["2016"] == pytest.approx(73.0)  # the stations' value is used
    # The everyday command reproduces the ranking: the stored method, evaluated afresh, ranks alike.
    stored = workspace_method(engine)
    assert stored is not None and stored.config == result.config
    fresh = evaluate(engine, "2020", config=stored.config)
    assert fresh.run_id != run.run_id
    key = ["unit_code", "code"]
    mine_ranks = run.results[run.results["level"] != "indicator"].set_index(key)["rank"]
    pd.testing.assert_series_equal(fresh.results[fresh.results["level"] != "indicator"].set_index(key)["rank"]
                                   .reindex(mine_ranks.index), mine_ranks)
    with engine.begin() as conn:  # leave the store as the demo made it
        conn.execute(sa.delete(evaluation_runs).where(evaluation_runs.c.id == fresh.run_id))

    # Rank intervals of the index (weights, normalisation and aggregation varied): one per ranked
    # city, each holding its nominal rank, in whole ranks.
    t = evaluation_uncertainty
    with engine.connect() as conn:
        intervals = {u: (lo, hi, n) for u, lo, hi, n in conn.execute(sa.select(
            t.c.unit_code, t.c.rank_q5, t.c.rank_q95, t.c.replications).where(t.c.run_id == run.run_id,
                                                                           t.c.code == "zhicheng-7d"))}
        made_at = conn.execute(sa.select(sa.func.max(t.c.created_at))).scalar_one()
    ranked = run.results[(run.results["level"] == "index") & run.results["rank"].notna()]
    assert set(intervals) == set(ranked["unit_code"])
    assert all(intervals[u][0] <= r <= intervals[u][1] and intervals[u][2] == 500
               for u, r in zip(ranked["unit_code"], ranked["rank"], strict=True))
    assert any(hi > lo for lo, hi, _ in intervals.values())  # the weights and methods do move some ranks
    assert all(float(lo).is_integer() and float(hi).is_integer() for lo, hi, _ in intervals.values())

    # A second run writes nothing and reuses the evaluation.
    with alert_events(engine):
        again = build_demo(engine)
    assert _counts(engine) == counts
    assert again.run.run_id == run.run_id and again.alerts == ()
    with engine.connect() as conn:  # the stored rank intervals are kept, not recomputed
        kept = conn.execute(sa.select(sa.func.count(), sa.func.max(t.c.created_at))).one()
    assert tuple(kept) == (len(intervals), made_at)
    assert all(r.written == 0 for _, r in again.reports)
    engine.dispose()
