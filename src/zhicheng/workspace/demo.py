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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.evaluate.config import MethodConfig, load_config
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.intake import IngestReport, ingest_file, split_stored
from zhicheng.evaluate.operations import HOTLINE, PROACTIVE, operations_values, store_operations
from zhicheng.evaluate.pm25_cities import ingest_cities_pm25
from zhicheng.evaluate.service import EvaluationRun, evaluate, suggest_period
from zhicheng.evaluate.sources import findings as source_findings
from zhicheng.evaluate.sources import record_batch_as_source
from zhicheng.evaluate.uncertainty import has_uncertainty, run_uncertainty
from zhicheng.evaluate.workspace_method import store_workspace_method
from zhicheng.store.schema import indicator_values, units
from zhicheng.store.values import batch_with_checksum, new_batch, write_values
from zhicheng.workspace.carbon import carbon_step


@dataclass(frozen=True)
class DemoStep:
    """One file of the demo and the mapping it is read with."""

    label: str
    file: str
    mapping: str
    #: Years the file covers (for the summary).
    time: str = ""


#: In order: units first, then values; CO2 last because it divides by stored population and GDP.
STEPS = (
    DemoStep("units: 369 prefectures and their provinces, with boundaries",
             "city_indicators/census_city_2010-2020_v1.csv.gz", "mappings/census_units.yaml", "2020 boundaries"),
    DemoStep("census 2010/2020: urbanisation, ageing",
             "city_indicators/census_city_2010-2020_v1.csv.gz", "mappings/census_2010_2020.yaml", "2010, 2020"),
    DemoStep("300 cities' statistics 2000–2024",
             "city_indicators/china_300_cities_macro_2000_2024.csv.gz", "mappings/macro_300_cities.yaml",
             "2000–2024"),
    DemoStep("CEADs CO2 1997–2019", "energy_carbon/ceads_city_co2_1997_2019_long.csv.gz", "mappings/ceads_co2.yaml",
             "1997–2019"),
)
METHOD = "mappings/demo_method.yaml"

#: Beijing's city unit as the census units code it (its province is 110000).
BEIJING_CITY = "110100"
AIR_DIR = "air_quality/beijing_multisite"
#: Dingling is the network's background (对照) station: the city's figures leave it out (HJ 663 §4).
BACKGROUND_STATIONS = ("Dingling",)
#: Goal-model indicators computed from the station data (HJ 663 annual evaluation).
GOOD_DAYS, PM25_ANNUAL = "D3.R1.I1", "D3.R1.I2"
#: Valid daily values a year needs for an annual statistic (HJ 663-2013 §5.1, GB 3095 Table 4).
MIN_VALID_DAYS = 324
#: Days of the most recent station data replayed as live observations.
LIVE_DAYS = 21
LA311_FILES = ("service_requests/MyLA311_Service_Request_Data_2017_Subset.csv.gz",
               "service_requests/la311_requests_2020-01-01_to_03_seed.csv.gz")
LA_UNIT = "US-CA-LOS-ANGELES"
SURVEY_FILE = "surveys/somerville_happiness_survey_2011_2023.csv.gz"
CARBON_DIR = "energy_carbon/provinces"
#: Replications of the demo's uncertainty analysis of the index ranks.
UNCERTAINTY_REPLICATIONS = 500
#: Stages reported through ``on_step``: the city files, air, live, LA 311, survey, PM2.5, operations,
#: carbon, evaluation, rank intervals.
STAGES = len(STEPS) + 9
PM25_FILE = "air_quality/cities_pm25_daily/spte2m_pm25_183_cities_2014_2016.csv.gz"
#: Years back from the evaluated year to the trend base.
TREND_YEARS = 5

Step = Callable[[str], None]


@dataclass(frozen=True)
class SourceSummary:
    """What one source brought into the workspace: rows read, units, time span, new writes."""

    label: str
    source: str
    rows: int
    #: Units the source covers (None where the intake report does not say).
    units: int | None
    time: str
    written: int
    note: str = ""


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: one ingest report per city file, a summary per source, the evaluation."""

    reports: tuple[tuple[DemoStep, IngestReport], ...]
    run: EvaluationRun
    config: MethodConfig
    sources: tuple[SourceSummary, ...] = ()
    lookback_note: str = ""
    alerts: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    #: Data-quality findings across sources (disagreements, coordinates contradicting names).
    findings: tuple[Problem, ...] = field(default_factory=tuple)


def default_data_dir() -> Path:
    """The project's ``data/`` folder (next to ``src/`` in a checkout)."""
    return Path(__file__).resolve().parents[3] / "data"


def _digest(paths: list[Path], tag: str) -> str:
    """SHA-256 of the files' bytes (in order) and a tag naming how they are turned into values."""
    h = hashlib.sha256(tag.encode())
    for path in paths:
        h.update(path.name.encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- Beijing air


def station_unit(station: str) -> str:
    """The unit code of a Beijing station (``110100-Dongsi``)."""
    return f"{BEIJING_CITY}-{station}"


def air_indicator_values(air_dir: Path) -> pd.DataFrame:
    """D3.R1.I1 and D3.R1.I2 of every station-year and of Beijing, from the hourly files.

    The share of good-air days [%] is kept for years with at least 324 valid days, the PM2.5
    annual mean [µg/m³] where its year is valid; the city's daily values are the means of its
    city stations (background stations left out), evaluated like a station's.

    Returns columns unit_code, indicator_id, period, value.

    References
    ----------
    HJ 663-2013 §4 (city concentration from the city stations), §5.1 and §6.1 (annual
    statistics and their validity); HJ 633-2012 (daily AQI before 2026-03-01).
    """
    from zhicheng.air import annual_evaluation, city_daily, daily_aqi
    from zhicheng.air.io import read_hourly

    daily = daily_aqi(read_hourly([air_dir]))
    stations = [str(s) for s in pd.unique(daily["station"]) if str(s) not in BACKGROUND_STATIONS]
    per_station = annual_evaluation(daily)
    per_station["unit_code"] = per_station["station"].astype(str).map(station_unit)
    city = annual_evaluation(city_daily(daily, city=BEIJING_CITY, stations=stations))
    city["unit_code"] = BEIJING_CITY
    table = pd.concat([per_station, city], ignore_index=True)
    good = table[table["valid_days"] >= MIN_VALID_DAYS]
    pm25 = table[table["pm25_year_valid"].astype(bool)]
    out = pd.concat([
        pd.DataFrame({"unit_code": good["unit_code"], "indicator_id": GOOD_DAYS, "period": good["year"].astype(str),
                      "value": good["good_day_share"].astype(float)}),
        pd.DataFrame({"unit_code": pm25["unit_code"], "indicator_id": PM25_ANNUAL, "period": pm25["year"].astype(str),
                      "value": pm25["pm25_annual"].astype(float)}),
    ], ignore_index=True)
    return out.dropna(subset=["value"]).sort_values(["indicator_id", "unit_code", "period"], ignore_index=True)


def _station_units(conn: sa.Connection) -> int:
    """Add the 12 stations as units under Beijing (those missing); return how many were added."""
    from zhicheng.sensing.beijing import STATIONS

    have = set(conn.execute(sa.select(units.c.code).where(units.c.parent_code == BEIJING_CITY)).scalars())
    rows = [
        {"code": station_unit(name), "name_zh": f"{zh}监测站", "name_en": f"{name} monitoring station",
         "level": "station", "parent_code": BEIJING_CITY, "group_name": "北京市", "lon": lon, "lat": lat}
        for name, (zh, lon, lat) in STATIONS.items() if station_unit(name) not in have
    ]
    if rows:
        if conn.execute(sa.select(units.c.code).where(units.c.code == BEIJING_CITY)).scalar() is None:
            raise EvaluationError(f"Beijing's unit {BEIJING_CITY} is missing: load the census units first")
        conn.execute(units.insert(), rows)
    return len(rows)


def ingest_beijing_air(engine: Engine, air_dir: Path, by: str = "demo") -> tuple[IngestReport, pd.DataFrame]:
    """Store the stations as units and their air indicators as one ingest batch (source: the folder).

    A folder already ingested (same files, by checksum) is not read again.
    """
    files = sorted(air_dir.glob("PRSA_Data_*.csv*"))
    if not files:
        raise EvaluationError(f"no PRSA_Data_*.csv(.gz) files in {air_dir}")
    digest = _digest(files, "demo air v1: HJ 663 good-day share and PM2.5 annual mean")
    with engine.connect() as conn:
        earlier = batch_with_checksum(conn, digest)
    if earlier is not None:
        return IngestReport(source=str(air_dir), checksum=digest, dry_run=False, already_ingested_as=earlier,
                            rows_read=len(files)), pd.DataFrame()
    values = air_indicator_values(air_dir)
    with engine.begin() as conn:
        added = _station_units(conn)
        new, changed, unchanged = split_stored(conn, values)
        note = json.dumps({"files": [f.name for f in files], "method": "HJ 663 annual evaluation; city = mean "
                           f"of the city stations (without {', '.join(BACKGROUND_STATIONS)})"}, ensure_ascii=False)
        batch = new_batch(conn, source=str(air_dir), checksum=digest, ingested_by=by,
                          row_count=len(new) + len(changed), kind="air", note=note)
        write_values(conn, new, changed, batch)
    counts = {str(k): int(v) for k, v in values["indicator_id"].value_counts().sort_index().items()}
    report = IngestReport(source=str(air_dir), checksum=digest, dry_run=False, batch_id=batch, rows_read=len(files),
                          values_new=len(new), values_updated=len(changed), values_unchanged=unchanged,
                          units_new=added, indicators=counts)
    return report, values


# --------------------------------------------------------------------------- live layer


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


# --------------------------------------------------------------------------- LA 311 and the survey


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


# --------------------------------------------------------------------------- the whole demo


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
