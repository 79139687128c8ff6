"""The demo workspace: real data of every capability in one store, then one evaluation.

Sources (each described by the PROVENANCE.md beside it in ``data/``), in order:

1. the Chinese cities: the 2010/2020 census panel with boundaries (units and their provinces,
   urbanisation, ageing), the 300 cities' yearly statistics 2000–2024 and the CEADs city CO2
   inventories, through the ordinary intake path with the mapping files in ``data/mappings/``;
2. Beijing's air quality: the 12 stations of the Beijing multi-site data become units (level
   ``station``) under Beijing (``110100``), and the share of good-air days (D3.R1.I1) and the
   PM2.5 annual mean (D3.R1.I2) of every station-year and of the city (its 11 city stations,
   HJ 663) are stored as one ingest batch whose source is the data folder;
3. the live layer: the stations registered as SensorThings Things, the last days of their
   hourly data replayed through the sensing service (no server needed) under two default alert
   rules, so the cockpit's live panel shows current AQI and alerts;
4. the real Los Angeles 311 requests replayed into the event workflow, with the city's
   workflow indicators (D2.R1.I1, D2.R1.I2) for each year;
5. the Somerville resident survey (7 waves), feeding the D7 survey indicators;
6. the daily PM2.5 of 183 Chinese cities 2014–2016 (SpTe2M), joined to prefectures by coordinates:
   the PM2.5 annual mean (D3.R1.I2) and exceedance days (D3.R1.I7) of ~157 prefectures and 26
   county-level cities, kept beside the Beijing stations' values (which take precedence);
7. the indicators the platform measures itself (:mod:`zhicheng.evaluate.operations`) from the
   stored events and alerts: proactive discovery and hotline requests resolved of Los Angeles,
   alerts per station and their duration in Beijing, data freshness;
8. the CEADs CO2 inventories: 30 provinces by sector and fuel and the 290 cities' totals, through
   the carbon service, with the goal-model values the carbon module computes (D3.R3.I1/I2 of the
   provinces, D3.R3.I7 gap to the 13th Five-Year Plan path, D3.R3.I8 peaking status;
   :mod:`zhicheng.workspace.carbon`);

then the workspace's method is stored (so ``zhicheng evaluate`` uses it), the latest suitable year
is evaluated and its index ranks get an uncertainty analysis (weights, normalisation and
aggregation varied, :data:`UNCERTAINTY_REPLICATIONS` replications), so the cockpit shows each
city's rank interval. Disagreements between sources are the demo's data-quality findings. Re-running changes nothing: files already ingested are
recognised by checksum, replayed rows and observations are skipped, the evaluation run is reused
when nothing changed and its stored rank intervals are kept.

The sources have their modules (:mod:`~zhicheng.workspace.demo_sources`,
:mod:`~zhicheng.workspace.demo_air`, :mod:`~zhicheng.workspace.demo_live`,
:mod:`~zhicheng.workspace.demo_city_services`); this module builds the whole demo from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.evaluate.config import MethodConfig, load_config
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.intake import IngestReport, ingest_file
from zhicheng.evaluate.operations import HOTLINE, PROACTIVE, operations_values, store_operations
from zhicheng.evaluate.pm25_cities import ingest_cities_pm25
from zhicheng.evaluate.service import evaluate, suggest_period
from zhicheng.evaluate.sources import findings as source_findings
from zhicheng.evaluate.sources import record_batch_as_source
from zhicheng.evaluate.uncertainty import has_uncertainty, run_uncertainty
from zhicheng.evaluate.workspace_method import store_workspace_method
from zhicheng.store.schema import indicator_values
from zhicheng.workspace.carbon import carbon_step
from zhicheng.workspace.demo_air import air_indicator_values, ingest_beijing_air, station_unit
from zhicheng.workspace.demo_city_services import (
    _la_years,
    ensure_la_unit,
    load_la311_demo,
    load_survey_demo,
)
from zhicheng.workspace.demo_live import default_rules, replay_live
from zhicheng.workspace.demo_sources import (
    AIR_DIR,
    BACKGROUND_STATIONS,
    BEIJING_CITY,
    CARBON_DIR,
    GOOD_DAYS,
    LA311_FILES,
    LA_UNIT,
    LIVE_DAYS,
    METHOD,
    MIN_VALID_DAYS,
    PM25_ANNUAL,
    PM25_FILE,
    STAGES,
    STEPS,
    SURVEY_FILE,
    TREND_YEARS,
    UNCERTAINTY_REPLICATIONS,
    DemoResult,
    DemoStep,
    SourceSummary,
    Step,
    default_data_dir,
)


def _latest_air_year(engine: Engine) -> int | None:
    t = indicator_values
    with engine.connect() as conn:
        found = conn.execute(sa.select(sa.func.max(t.c.period)).where(
            t.c.unit_code == BEIJING_CITY, t.c.indicator_id.in_([GOOD_DAYS, PM25_ANNUAL]))).scalar()
    return int(found) if found is not None else None


def _config(engine: Engine, chosen: str, config: MethodConfig) -> tuple[MethodConfig, str]:
    """The method with a look-back long enough for Beijing's latest valid air year, and why."""
    year = _latest_air_year(engine)
    if year is None or not chosen.isdigit() or int(chosen) - year <= config.lookback:
        return config, ""
    lookback = min(int(chosen) - year, 10)
    note = (f"look-back {lookback} years (method file: {config.lookback}): the Beijing station data end in "
            f"2017-02, so Beijing's air indicators are those of {year}, its latest valid year (HJ 663); any "
            f"value older than {chosen} shows its own year as value_period")
    return config.model_copy(update={"lookback": lookback}), note


def _air_summary(report: IngestReport, values: pd.DataFrame, air_dir: Path) -> SourceSummary:
    periods = sorted(values["period"].unique()) if not values.empty else []
    span = f"{periods[0]}–{periods[-1]}" if periods else "(already ingested)"
    n_units = values["unit_code"].nunique() if not values.empty else 13
    return SourceSummary("Beijing air quality: 12 stations and the city (HJ 663)", str(air_dir), len(values),
                         int(n_units), span, report.written,
                         "D3.R1.I1 good-air-day share, D3.R1.I2 PM2.5 annual mean")


def _live_summary(sent: dict[str, int], opened: list[dict[str, Any]], rules: int, air_dir: Path) -> SourceSummary:
    return SourceSummary(
        f"live layer: SensorThings replay of the last {LIVE_DAYS} days", str(air_dir), sum(sent.values()),
        len(sent), "2017-02 (the data's last days)", sum(sent.values()),
        f"{len(opened)} alerts opened; {rules} alert rules created")


def build_demo(
    engine: Engine,
    data_dir: Path | None = None,
    *,
    period: str | None = None,
    on_step: Step | None = None,
) -> DemoResult:
    """Ingest every demo source into ``engine`` and evaluate the latest suitable year.

    Raises
    ------
    EvaluationError
        When the data folder or one of its files is missing.
    IngestError
        When a file does not pass the intake checks (nothing of that file is written).
    """
    data = data_dir or default_data_dir()
    needed = [p for s in STEPS for p in (s.file, s.mapping)] + [AIR_DIR, *LA311_FILES, SURVEY_FILE, PM25_FILE,
                                                                 CARBON_DIR]
    missing = [str(data / p) for p in needed if not (data / p).exists()]
    if missing:
        raise EvaluationError(f"demo data not found: {', '.join(sorted(set(missing)))}")
    step = on_step or (lambda _label: None)
    reports = []
    for s in STEPS:
        step(s.label)
        reports.append((s, ingest_file(engine, data / s.file, mapping=data / s.mapping, ingested_by="demo")))
    step("Beijing air quality: 12 stations, HJ 663 annual evaluation")
    air_report, air_values = ingest_beijing_air(engine, data / AIR_DIR)
    reports.append((DemoStep("Beijing air quality: stations and city (HJ 663)", AIR_DIR, "(computed)"), air_report))
    air_batch = air_report.batch_id or air_report.already_ingested_as
    if air_batch is not None:
        with engine.begin() as conn:  # the station network's values, kept as a source of precedence 1
            record_batch_as_source(conn, int(air_batch), "station_network_hj663", [GOOD_DAYS, PM25_ANNUAL])
    step("PM2.5 of 183 cities: joined to prefectures by coordinates")
    pm25_report, joins = ingest_cities_pm25(engine, data / PM25_FILE)
    reports.append((DemoStep("PM2.5 of 183 cities 2014–2016 (SpTe2M)", PM25_FILE, "(computed)"), pm25_report))
    step(f"live layer: replaying the stations' last {LIVE_DAYS} days")
    sent, opened, rules = replay_live(engine, data / AIR_DIR)
    step("Los Angeles 311: replaying the requests into the event workflow")
    la, _ = load_la311_demo(engine, data)
    step("Somerville resident survey: 7 waves")
    survey = load_survey_demo(engine, data)
    step("indicators the platform measures: events, alerts, data freshness")
    operations = store_demo_operations(engine)
    step("CEADs CO2 inventories: provinces by sector and fuel, city totals")
    carbon = carbon_step(engine, data)
    base_config = load_config(data / METHOD) if (data / METHOD).exists() else MethodConfig(lookback=1)
    chosen = period or suggest_period(engine, lookback=base_config.lookback)
    config, note = _config(engine, chosen, base_config)
    with engine.begin() as conn:
        store_workspace_method(conn, config, by="demo", trend_years=TREND_YEARS,
                               note="the demo's method (data/mappings/demo_method.yaml, look-back for Beijing's air)")
    step(f"evaluating {chosen}")
    base = str(int(chosen) - TREND_YEARS) if chosen.isdigit() else None
    run = evaluate(engine, chosen, config=config, base_period=base, note="demo", reuse=True)
    step(f"rank intervals: {UNCERTAINTY_REPLICATIONS} replications varying weights, normalisation and aggregation")
    if not has_uncertainty(engine, run.run_id):
        run_uncertainty(engine, run.run_id, n=UNCERTAINTY_REPLICATIONS)
    sources = (
        *[SourceSummary(s.label, s.file, r.rows_read, (r.units_new or None) if s is STEPS[0] else None, s.time,
                        r.written) for s, r in reports[:len(STEPS)]],
        _air_summary(air_report, air_values, data / AIR_DIR),
        _live_summary(sent, opened, rules, data / AIR_DIR),
        la,
        survey,
        _pm25_summary(pm25_report, joins, data / PM25_FILE),
        operations,
        carbon,
    )
    with engine.connect() as conn:
        found = (*(Problem(str(j.finding), PM25_FILE, column="lon, lat") for j in joins if j.finding),
                 *source_findings(conn))
    return DemoResult(reports=tuple(reports), run=run, config=config, sources=sources, lookback_note=note,
                      alerts=tuple(opened), findings=found)


def _pm25_summary(report: IngestReport, joins: list[Any], path: Path) -> SourceSummary:
    prefectures = sum(1 for j in joins if j.role == "prefecture")
    children = sum(1 for j in joins if j.role == "child")
    note = (f"{prefectures} prefectures, {children} county-level cities; D3.R1.I2 PM2.5 annual mean, D3.R1.I7 "
            "exceedance days (GB 3095-2012)") if joins else "already ingested"
    return SourceSummary("PM2.5 of 183 cities (SpTe2M, CNEMC)", str(path), report.rows_read,
                         prefectures + children or None, "2014–2016", report.written, note)


def store_demo_operations(engine: Engine) -> SourceSummary:
    """The operations indicators of Los Angeles (its 311 events, per year) and Beijing (its stations' alerts).

    Beijing's stored events are only those its alerts opened, so its event shares would say
    nothing: Beijing gets the alert figures and the data freshness only.
    """
    from zhicheng.sensing import beijing
    from zhicheng.store.schema_events import events
    from zhicheng.store.schema_sensing import alerts, sta_things

    written, kept = 0, 0
    la_years = _la_years(engine)
    with engine.begin() as conn:
        for year in la_years:
            values = operations_values(conn, year, LA_UNIT, events_where=events.c.source_ref.like("la311:%"))
            kept += len(values)
            written += store_operations(conn, values, by="demo")
        things = [int(i) for i, props in conn.execute(sa.select(sta_things.c.id, sta_things.c.properties))
                  if (props or {}).get("network") == beijing.NETWORK]
        micros = conn.execute(sa.select(sa.func.min(alerts.c.started_at), sa.func.max(alerts.c.started_at))).one()
        air_years = ([str(y) for y in range(pd.Timestamp(micros[0], unit="us").year,
                                            pd.Timestamp(micros[1], unit="us").year + 1)]
                     if micros[0] is not None else [])
        for year in air_years:
            values = operations_values(conn, year, BEIJING_CITY, events_where=events.c.source == "sensor",
                                       things=things)
            values = values[~values["indicator_id"].isin([PROACTIVE, HOTLINE])]
            kept += len(values)
            written += store_operations(conn, values, by="demo")
    return SourceSummary("indicators the platform measures (events, alerts, ingests)", "store tables", kept, 2,
                         ", ".join(sorted(set(la_years) | set(air_years))) or "–", written,
                         "D2.R1.I4 proactive discovery, D7.R1.I4 hotline resolved (Los Angeles); alerts per station, "
                         "alert hours (Beijing); data freshness")

__all__ = [
    "AIR_DIR",
    "BACKGROUND_STATIONS",
    "BEIJING_CITY",
    "CARBON_DIR",
    "DemoResult",
    "DemoStep",
    "GOOD_DAYS",
    "LA311_FILES",
    "LA_UNIT",
    "LIVE_DAYS",
    "METHOD",
    "MIN_VALID_DAYS",
    "PM25_ANNUAL",
    "PM25_FILE",
    "STAGES",
    "STEPS",
    "SURVEY_FILE",
    "SourceSummary",
    "Step",
    "TREND_YEARS",
    "UNCERTAINTY_REPLICATIONS",
    "air_indicator_values",
    "build_demo",
    "default_data_dir",
    "default_rules",
    "ensure_la_unit",
    "ingest_beijing_air",
    "load_la311_demo",
    "load_survey_demo",
    "replay_live",
    "station_unit",
    "store_demo_operations",
]
