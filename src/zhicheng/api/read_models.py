"""Response models of the cockpit's read surface: the JSON of the evaluation and cockpit endpoints.

They describe, for the OpenAPI schema and the clients generated from it, the answers the read
models of :mod:`zhicheng.views` give. The routes keep sending those answers as pre-encoded JSON
bytes (cached, gzip when asked); the models are declared on the routes, not applied to the bytes.
Optional fields are ``null`` where the data has no value (a score not computed, no uncertainty
analysis, a run stored before rules 2); fields a part leaves out when it is not available (live
events, alerts) have no default value in the answer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# --------------------------------------------------------------------------- runs and labels


class Run(_Model):
    """An evaluation run as every read model shows it."""

    id: int
    period: str
    base_period: str | None = None
    unit_count: int | None = None
    created_at: str | None = Field(None, description="ISO 8601 time the run was made")
    note: str | None = Field(None, description="The run's note (JSON text: left-out units, data batch, rules)")
    framework_id: str | None = None
    version: str | None = None
    rules: int = Field(description="2: like-with-like rules; 1: runs stored before them")


class RunListed(_Model):
    """A run in the list of runs (``GET /api/evaluation/runs``)."""

    id: int
    period: str
    base_period: str | None = None
    unit_count: int | None = None
    created_at: str | None = None
    note: str | None = None
    framework_version_id: int
    framework_id: str | None = None
    version: str | None = None


class Grade(_Model):
    """A maturity grade of the framework: its level, name and the lowest index score it needs."""

    level: int
    name: str
    min: float = Field(description="Lowest index score of the grade [points]")


class NextGrade(Grade):
    """The grade above a unit's and the points it still needs."""

    points_needed: float | None = None


class Unit(_Model):
    """A unit (city, district) as the API shows it."""

    code: str
    name: str
    level: str | None = None
    group: str | None = None
    parent: str | None = None


class NodeRef(_Model):
    """A goal-tree node: its code, level and name."""

    code: str
    level: str
    name: str


class NodeInfo(NodeRef):
    """A goal-tree node with its path from the index and, for indicators, unit, direction, target."""

    path: list[NodeRef]
    unit: str | None = None
    direction: int | None = None
    target: float | None = None
    definition: str | None = None
    unit_label: str | None = Field(None, description="The unit of measure in the page's language")
    definition_text: str | None = Field(None, description="The definition in the page's language")


# --------------------------------------------------------------------------- scores


class Evidence(_Model):
    """Attainment, rank and grade statuses and the provisional grade of a score (rules 2)."""

    attainment: float | None = None
    rank_status: str | None = None
    rank_status_name: str | None = None
    grade_status: str | None = None
    grade_status_name: str | None = None
    provisional_grade: int | None = None
    provisional_grade_name: str | None = None


class Score(Evidence):
    """One unit's result at one node of the goal tree."""

    code: str
    level: str
    name: str
    score: float | None = None
    rank: int | None = None
    grade: int | None = None
    grade_name: str | None = None
    raw_value: float | None = None
    coverage: float | None = None
    target: float | None = None
    gap: float | None = None
    lift: float | None = None
    change: float | None = None
    cagr: float | None = Field(None, description="Compound annual growth rate from the base period [fraction a year]")
    value_period: str | None = None


class IndexScore(Score):
    """A unit's index: its score, how many units were ranked, its rank interval and the next grade."""

    units_ranked: int
    rank_interval: list[float] | None = Field(None, description="Rank interval [Q5, Q95] of an uncertainty analysis")
    next_grade: NextGrade | None = None
    at_top_grade: bool | None = None


class IndicatorScore(Score):
    """An indicator's result with its unit of measure, direction and domain."""

    unit: str | None = None
    unit_label: str | None = None
    direction: int | None = None
    domain: str | None = None


class RankingRow(Evidence):
    """One unit in a ranking, best rank first."""

    unit_code: str
    name: str
    group: str | None = None
    score: float | None = None
    raw_value: float | None = None
    rank: int | None = None
    grade: int | None = None
    grade_name: str | None = None
    coverage: float | None = None
    rank_interval: list[float] | None = None


# --------------------------------------------------------------------------- evaluation answers


class Ranking(_Model):
    """Every unit ranked on the index or one domain, requirement or indicator."""

    run: Run
    node: NodeRef
    has_intervals: bool
    grades: list[Grade]
    rows: list[RankingRow]


class NodeTrendPoint(_Model):
    """A node's score for a unit in one period (the newest run of that period)."""

    period: str
    run_id: int
    score: float | None = None
    raw_value: float | None = None
    rank: int | None = None


class TrendSeries(_Model):
    """One node's scores over the trend's periods (None where a period has none)."""

    code: str
    name: str
    scores: list[float | None]


class UnitTrend(_Model):
    """A unit's index and domain scores over the periods of every run of the framework."""

    periods: list[str]
    base_period: str | None = None
    series: list[TrendSeries]


class ChildValue(_Model):
    """An indicator value of a district or county."""

    indicator_id: str
    name: str
    unit: str | None = None
    unit_label: str | None = None
    period: str
    value: float | None = None
    batch_id: int | None = None


class ChildUnit(_Model):
    """A district or county (区县) of the unit: its score where the run has one, its values."""

    code: str
    name: str
    level: str | None = None
    score: float | None = None
    rank: int | None = None
    values: list[ChildValue]


class UnitChildren(_Model):
    """The unit's own districts and counties."""

    units: list[ChildUnit]


class NodePage(_Model):
    """A domain, requirement or indicator: the unit's score, its children, every unit's score."""

    run: Run
    node: NodeInfo
    unit: Unit | None = None
    own: Score | None = None
    children: list[Score]
    across: list[RankingRow]
    trend: list[NodeTrendPoint] = []
    grades: list[Grade]


class UnitPage(_Model):
    """A unit: index, grade and rank, domains, strengths, weaknesses, the gaps that lift it most."""

    run: Run
    unit: Unit
    trend: UnitTrend | None = None
    children: UnitChildren | None = None
    index: IndexScore | None = None
    at_top_grade: bool | None = None
    domains: list[Score]
    requirements: list[Score]
    indicators: list[IndicatorScore]
    strengths: list[IndicatorScore]
    weaknesses: list[IndicatorScore]
    gaps: list[IndicatorScore]
    grades: list[Grade]


class UnitName(_Model):
    """A unit's code and name."""

    code: str
    name: str


class ValueInTime(_Model):
    """One period's value of an indicator for one unit, and the ingest batch it came from."""

    period: str
    value: float | None = None
    batch_id: int | None = None


class ValueOfUnit(_Model):
    """One unit's value of an indicator in one period."""

    unit_code: str
    name: str
    value: float | None = None
    batch_id: int | None = None


class Coverage(_Model):
    """How many units have a value of the indicator in a period, of how many."""

    period: str
    units: int
    of: int | None = None
    share: float | None = None


class Batch(_Model):
    """An ingest batch: source file, checksum, kind, who and when."""

    id: int
    source: str | None = None
    checksum: str | None = None
    kind: str | None = None
    ingested_by: str | None = None
    ingested_at: str | None = None
    row_count: int | None = None
    note: str | None = None


class IndicatorValues(_Model):
    """An indicator's values over time and across units, their source batches and coverage."""

    run: Run | None = None
    indicator: NodeInfo
    unit: UnitName | None = None
    period: str | None = None
    over_time: list[ValueInTime]
    across_units: list[ValueOfUnit]
    coverage: list[Coverage]
    batches: list[Batch]


# --------------------------------------------------------------------------- cockpit answers


class FrameworkRef(_Model):
    """The framework a run was evaluated with."""

    id: str | None = None
    version: str | None = None
    name: str


class Scores(_Model):
    """Index and domain scores of every unit, for the map: ``units[code][i]`` scores ``codes[i]``."""

    codes: list[str]
    names: list[str]
    units: dict[str, list[float | None]]


class Measure(_Model):
    """A unit of measure: its label in the page's language and the decimals it is shown with."""

    label: str
    decimals: int


class MapInfo(_Model):
    """What the map can show."""

    units_with_boundary: int


class Overview(_Model):
    """Everything the overview shows in one answer (``empty`` when nothing was evaluated yet)."""

    empty: bool
    lang: Literal["zh", "en"]
    runs: list[Run]
    run: Run | None = None
    framework: FrameworkRef | None = None
    units: list[Unit]
    unit: Unit | None = None
    index: IndexScore | None = None
    domains: list[Score]
    grades: list[Grade]
    scores: Scores
    ranking: list[RankingRow]
    has_intervals: bool
    map: MapInfo
    measures: dict[str, Measure] | None = None


class Access(_Model):
    """Whether reads need a token here and whether the caller presented a valid one."""

    open_reads: bool
    authenticated: bool


class OverdueEvent(_Model):
    """An open city event past its expected time."""

    id: int
    request_id: str | None = None
    service_code: str | None = None
    status: str
    department: str | None = None
    address: str | None = None
    expected_at: str | None = None
    service_name: str | None = None
    department_name: str | None = None


class EventsPanel(_Model):
    """City events by state, open and overdue counts, the most overdue ones (not available: no events)."""

    available: bool
    total: int | None = None
    open: int | None = None
    overdue: int | None = None
    by_status: dict[str, int] | None = None
    overdue_list: list[OverdueEvent] | None = None


class ActiveAlert(_Model):
    """A sensor alert still open."""

    id: int
    started_at: str
    peak_value: float | None = None
    message: str | None = None
    rule: str
    datastream: str
    station: str | None = None
    observed_property: str | None = None


class AlertsPanel(_Model):
    """Open sensor alerts, newest first (not available: no alert rules and none open)."""

    available: bool
    active: int | None = None
    total: int | None = Field(None, description="Every alert raised (open and ended)")
    alerts: list[ActiveAlert] | None = Field(None, alias="list")


class Station(_Model):
    """A station's current real-time AQI with its level's name and colour."""

    id: int | None = None
    name: str | None = None
    at: str | None = None
    lon: float | None = None
    lat: float | None = None
    aqi: int | None = None
    level_name: str | None = None
    colour: str | None = None
    primary: str | None = None
    standard: str | None = None


class AirPanel(_Model):
    """Stations' current AQI, worst first."""

    available: bool
    stations: list[Station]


class Live(_Model):
    """Station air quality, open and overdue events, active alerts."""

    lang: Literal["zh", "en"]
    at: str
    events: EventsPanel
    alerts: AlertsPanel
    air: AirPanel


class BoundaryProperties(_Model):
    """The unit a boundary belongs to."""

    code: str
    name_zh: str | None = None
    name_en: str | None = None


class MultiPolygon(_Model):
    """A GeoJSON MultiPolygon (longitude, latitude)."""

    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]]


class BoundaryFeature(_Model):
    """One unit's boundary."""

    type: Literal["Feature"]
    properties: BoundaryProperties
    geometry: MultiPolygon


class Boundaries(_Model):
    """Boundaries of the run's units as a GeoJSON FeatureCollection (RFC 7946)."""

    type: Literal["FeatureCollection"]
    features: list[BoundaryFeature]
