"""Intake of the daily PM2.5 of 183 Chinese cities (SpTe2M, CNEMC, 2014–2016) into the store.

The file names its cities in pinyin (some ambiguous: Suzhou, Taizhou, Fuzhou; some county-level
cities: Kunshan, Yiwu …) and gives one point per city, so each city is joined to a prefecture by
its **coordinates** against the stored prefecture boundaries (point in polygon, shapely/GEOS;
a point just off a coastline goes to the nearest boundary within :data:`NEAREST_DEGREES`):

* the city whose pinyin is the prefecture's own name (or, where the pinyin differs — Tsitsihar,
  Urumchi, Lasa — the only source city in the prefecture that is not a county-level city) gives
  the prefecture's values;
* county-level cities (:data:`COUNTY_CITIES`) and any further city inside a prefecture become
  their own child units (level ``county``, code ``<prefecture>-<Pinyin>``) with their values.

From each city-year it stores the PM2.5 annual mean (D3.R1.I2) and the days above the GB 3095-2012
grade II 24-hour limit (D3.R1.I7), where the year has at least :data:`MIN_VALID_DAYS` daily values.
About a quarter of the file's values were filled by its publishers and nothing flags which: they
are used as given, and the batch's note says so. The values are recorded as source
``derived_file`` (precedence 2, :mod:`zhicheng.evaluate.sources`): a key a station network already
gives (Beijing) keeps the station value, and a disagreement beyond the tolerance is a finding.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.evaluate.errors import IngestError
from zhicheng.evaluate.intake import IngestReport, split_stored
from zhicheng.evaluate.sources import findings, record_sources, to_use
from zhicheng.store.schema import units
from zhicheng.store.values import batch_with_checksum, new_batch, write_values

PM25_ANNUAL, PM25_EXCEEDANCE = "D3.R1.I2", "D3.R1.I7"
#: GB 3095-2012 Table 1, PM2.5 24-hour average, grade II limit [µg/m³].
PM25_24H_LIMIT = 75.0
#: Daily values a year needs for an annual statistic (HJ 663-2013 §5.1; GB 3095-2012 Table 4).
MIN_VALID_DAYS = 324
#: A point outside every boundary (coast, rounding) joins the nearest one within this distance [degrees].
NEAREST_DEGREES = 0.15
SOURCE_KIND = "derived_file"
COLUMNS = ("year", "day_index", "city", "lon", "lat", "pm25_ugm3")
#: County-level cities of the file (and former prefectures now districts): Chinese name and the
#: prefecture they belong to (GB/T 2260 code, 2020 divisions).
COUNTY_CITIES = {
    "Changshu": ("常熟市", "320500"), "Jiangyin": ("江阴市", "320200"), "Jiaozhou": ("胶州市", "370200"),
    "Jimo": ("即墨", "370200"), "Jintan": ("金坛", "320400"), "Jurong": ("句容市", "321100"),
    "Kunshan": ("昆山市", "320500"), "Laixi": ("莱西市", "370200"), "Laizhou": ("莱州市", "370600"),
    "Linan": ("临安", "330100"), "Liyang": ("溧阳市", "320400"), "Penglai": ("蓬莱", "370600"),
    "Pingdu": ("平度市", "370200"), "Rongcheng": ("荣成市", "371000"), "Shouguang": ("寿光市", "370700"),
    "Taicang": ("太仓市", "320500"), "Wafangdian": ("瓦房店市", "210200"), "Wendeng": ("文登", "371000"),
    "Wujiang": ("吴江", "320500"), "Yiwu": ("义乌市", "330700"), "Yixing": ("宜兴市", "320200"),
    "Zhangjiagang": ("张家港市", "320500"), "Zhangqiu": ("章丘", "370100"), "Zhaoyuan": ("招远市", "370600"),
    "Korla": ("库尔勒市", "652800"), "Laiwu": ("莱芜", "370100"),
}


@dataclass(frozen=True)
class CityJoin:
    """Where one source city went: its prefecture, the unit its values are stored on, and how."""

    city: str
    lon: float
    lat: float
    prefecture: str | None
    unit_code: str | None
    role: str  # "prefecture" | "child" | "unmatched"
    distance: float = 0.0
    #: Set when the point's prefecture contradicts the city's name (the source's coordinates are off).
    finding: str | None = None


def read_daily(path: Path) -> pd.DataFrame:
    """The file's daily rows; a missing column or a non-number is an error with file, row and column."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise IngestError(problems=[Problem(f"unreadable: {exc}", str(path))]) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise IngestError(problems=[Problem(f"missing column {c!r}", str(path), column=c) for c in missing])
    problems = []
    for col in ("year", "day_index", "lon", "lat", "pm25_ugm3"):
        num = pd.to_numeric(frame[col], errors="coerce")
        bad = num.isna() & frame[col].notna()
        for i in np.flatnonzero(bad.to_numpy())[:5]:
            problems.append(Problem(f"not a number: {frame[col].iloc[i]!r}", str(path), int(i) + 2, col))
        frame[col] = num
    negative = frame["pm25_ugm3"] < 0
    for i in np.flatnonzero(negative.to_numpy())[:5]:
        problems.append(Problem("negative concentration", str(path), int(i) + 2, "pm25_ugm3"))
    if problems:
        raise IngestError(problems=problems)
    return frame


def annual_statistics(daily: pd.DataFrame) -> pd.DataFrame:
    """Per city-year: valid days, PM2.5 annual mean [µg/m³] and exceedance days [days].

    Daily values are rounded to whole µg/m³ (GB/T 8170) before they are compared with the 75 µg/m³
    limit; the annual mean is the arithmetic mean of the daily values, rounded to one decimal.

    References
    ----------
    GB 3095-2012 Table 1 (PM2.5 24-hour grade II limit 75 µg/m³, annual 35 µg/m³); HJ 663-2013
    §5.1 (annual statistics need ≥ 324 daily values), §6 (exceedance of 24-hour limits);
    GB/T 8170-2008 §3.2 (rounding).
    """
    from zhicheng.air.rounding import round_half_even

    d = daily.dropna(subset=["pm25_ugm3"]).copy()
    d["over"] = round_half_even(d["pm25_ugm3"].to_numpy(dtype=float), 0) > PM25_24H_LIMIT
    g = d.groupby(["city", "year"], sort=True)
    out = pd.DataFrame({"valid_days": g.size(), "mean": g["pm25_ugm3"].mean(), "exceedance_days": g["over"].sum()})
    out["mean"] = round_half_even(out["mean"].to_numpy(dtype=float), 1)
    return out.reset_index()


_Joined = tuple[str, float, float, "str | None", float, "str | None"]


def _by_coordinates(rows: list[Any], cities: pd.DataFrame) -> list[tuple[str, float, float, str | None, float]]:
    """Each source city's prefecture by point in polygon, else the nearest boundary within reach."""
    from shapely import STRtree
    from shapely.geometry import Point, shape

    codes = [str(r.code) for r in rows]
    tree = STRtree([shape(json.loads(r.boundary)) for r in rows])
    points = [Point(float(x), float(y)) for x, y in zip(cities["lon"], cities["lat"], strict=True)]
    inside, hits = tree.query(points, predicate="within")
    first: dict[int, int] = {}
    for p, s in zip(inside.tolist(), hits.tolist(), strict=True):
        first.setdefault(int(p), int(s))
    out: list[tuple[str, float, float, str | None, float]] = []
    for i, (city, lon, lat) in enumerate(zip(cities["city"], cities["lon"], cities["lat"], strict=True)):
        pref, dist = (codes[first[i]], 0.0) if i in first else (None, float("nan"))
        if pref is None:
            near, far = tree.query_nearest(points[i], max_distance=NEAREST_DEGREES, return_distance=True)
            if len(near):
                pref, dist = codes[int(near[0])], float(far[0])
        out.append((str(city), float(lon), float(lat), pref, dist))
    return out


def _check_names(joined: list[tuple[str, float, float, str | None, float]], names: dict[str, str],
                 centres: dict[str, Any]) -> list[_Joined]:
    """Move a city whose point contradicts its name to the prefecture its name (or county table) gives."""
    from shapely.geometry import Point

    readings = {code: _readings(name) for code, name in names.items()}
    checked: list[_Joined] = []
    for city, lon, lat, pref, dist in joined:
        expected = COUNTY_CITIES[city][1] if city in COUNTY_CITIES else None
        named = [c for c, r in readings.items() if city.casefold() in r] if expected is None else [expected]
        named = [c for c in named if c in names]
        note = None
        if named and pref not in named:
            point = Point(lon, lat)
            better = min(named, key=lambda c: centres[c].distance(point) if c in centres else float("inf"))
            where = names[pref] if pref else "no stored boundary"
            note = (f"the source's point of {city} ({lon}, {lat}) lies in {where}, but its name is that of "
                    f"{names[better]} ({better}): joined to {names[better]}")
            pref, dist = better, float("nan")
        checked.append((city, lon, lat, pref, dist, note))
    return checked


def _seats(checked: list[_Joined], names: dict[str, str]) -> dict[str, str]:
    """The source city that gives each prefecture's values: its namesake, else its only non-county city."""
    by_pref: dict[str, list[str]] = {}
    for city, _, _, pref, _, _ in checked:
        if pref is not None:
            by_pref.setdefault(pref, []).append(city)
    seat: dict[str, str] = {}
    for pref, members in by_pref.items():
        own = [c for c in members if c.casefold() in _readings(names[pref])]
        candidates = own or [c for c in members if c not in COUNTY_CITIES]
        if len(candidates) == 1:
            seat[pref] = candidates[0]
    return seat


def join_cities(conn: sa.Connection, cities: pd.DataFrame) -> list[CityJoin]:
    """Join the source cities (city, lon, lat) to the stored prefecture-level units by coordinates.

    A point whose prefecture contradicts the city's name (the name of exactly the prefecture, or
    the county-level city's prefecture in :data:`COUNTY_CITIES`) is moved to the named prefecture,
    and the move is reported (the source's geocoding put e.g. Haikou in Kunming).
    """
    from shapely.geometry import shape

    rows = conn.execute(sa.select(units.c.code, units.c.name_zh, units.c.boundary).where(
        units.c.level == "city", units.c.boundary.is_not(None))).fetchall()
    if not rows:
        raise IngestError(problems=[Problem("the store has no prefecture boundaries: load the census units first")])
    names = {str(c): str(n) for c, n in conn.execute(sa.select(units.c.code, units.c.name_zh).where(
        units.c.level == "city")).all()}
    centres = {str(r.code): shape(json.loads(r.boundary)).representative_point() for r in rows}
    checked = _check_names(_by_coordinates(list(rows), cities), names, centres)
    seat = _seats(checked, names)
    out = []
    for city, lon, lat, pref, dist, note in checked:
        if pref is None:
            out.append(CityJoin(city, lon, lat, None, None, "unmatched", dist, note))
        elif seat.get(pref) == city:
            out.append(CityJoin(city, lon, lat, pref, pref, "prefecture", dist, note))
        else:
            out.append(CityJoin(city, lon, lat, pref, f"{pref}-{city}", "child", dist, note))
    return out


def _readings(name: str) -> set[str]:
    """Every pinyin reading of a prefecture's name without its suffix (长治 → changzhi, zhangzhi)."""
    from itertools import product

    from pypinyin import Style, pinyin

    for suffix in ("市", "地区", "盟", "自治州"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    syllables = pinyin(name, style=Style.NORMAL, heteronym=True)
    return {"".join(p).casefold() for p in product(*syllables)}


def _child_units(conn: sa.Connection, joins: list[CityJoin]) -> int:
    """Add the child units (county-level cities) that are missing; return how many were added."""
    wanted = [j for j in joins if j.role == "child" and j.unit_code is not None]
    if not wanted:
        return 0
    have = set(conn.execute(sa.select(units.c.code).where(units.c.code.in_([j.unit_code for j in wanted]))).scalars())
    groups = dict(conn.execute(sa.select(units.c.code, units.c.group_name).where(
        units.c.code.in_([j.prefecture for j in wanted]))).all())
    rows = [{"code": j.unit_code, "name_zh": COUNTY_CITIES.get(j.city, (j.city, ""))[0], "name_en": j.city,
             "level": "county",
             "parent_code": j.prefecture, "group_name": groups.get(j.prefecture), "lon": j.lon, "lat": j.lat}
            for j in wanted if j.unit_code not in have]
    if rows:
        conn.execute(sa.insert(units), rows)
    return len(rows)


def _digest(path: Path) -> str:
    h = hashlib.sha256(b"cities pm25 v1: annual mean and GB 3095 exceedance days, joined by coordinates")
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ingest_cities_pm25(engine: Engine, path: Path, *, by: str = "demo") -> tuple[IngestReport, list[CityJoin]]:
    """Ingest the file in one transaction; a file already ingested (by checksum) is not read again.

    Returns
    -------
    tuple
        The ingest report (its warnings hold the unmatched cities, the leap-year caveat, the filled
        values and the disagreements with other sources) and where each source city went.
    """
    checksum = _digest(path)
    with engine.connect() as conn:
        earlier = batch_with_checksum(conn, checksum)
    if earlier is not None:
        with engine.connect() as conn:
            found = tuple(findings(conn))
        return IngestReport(source=str(path), checksum=checksum, dry_run=False, already_ingested_as=earlier,
                            warnings=found), []
    daily = read_daily(path)
    cities = daily.groupby("city", sort=True)[["lon", "lat"]].first().reset_index()
    stats = annual_statistics(daily)
    warnings: list[Problem] = []
    with engine.begin() as conn:
        joins = join_cities(conn, cities)
        target = {j.city: j.unit_code for j in joins if j.unit_code is not None}
        for j in joins:
            if j.finding:
                warnings.append(Problem(f"coordinates contradict the name: {j.finding}", str(path), column="lon, lat"))
            if j.role == "unmatched":
                warnings.append(Problem(f"skipped: city {j.city!r} at ({j.lon}, {j.lat}) lies in no stored boundary",
                                        str(path), column="city"))
        short = stats[stats["valid_days"] < MIN_VALID_DAYS]
        for r in short.itertuples(index=False):
            warnings.append(Problem(f"not derived: {r.city} {r.year} has {r.valid_days} daily values (< "
                                    f"{MIN_VALID_DAYS}, HJ 663)", str(path), column="pm25_ugm3"))
        ok = stats[(stats["valid_days"] >= MIN_VALID_DAYS) & stats["city"].isin(list(target))]
        unit_of = ok["city"].map(target)
        values = pd.concat([
            pd.DataFrame({"unit_code": unit_of, "indicator_id": PM25_ANNUAL, "period": ok["year"].astype(int).astype(str),
                          "value": ok["mean"].astype(float)}),
            pd.DataFrame({"unit_code": unit_of, "indicator_id": PM25_EXCEEDANCE,
                          "period": ok["year"].astype(int).astype(str), "value": ok["exceedance_days"].astype(float)}),
        ], ignore_index=True).sort_values(["indicator_id", "unit_code", "period"], ignore_index=True)
        added = _child_units(conn, joins)
        usable = to_use(conn, values, SOURCE_KIND)
        new, changed, unchanged = split_stored(conn, usable)
        matched = sum(1 for j in joins if j.role != "unmatched")
        note = json.dumps({
            "file": path.name, "source_kind": SOURCE_KIND,
            "method": "annual mean and days above 75 µg/m³ (GB 3095-2012 grade II, 24 h) of the daily values; "
                      f"years with >= {MIN_VALID_DAYS} values; cities joined to prefectures by coordinates",
            "caveat": "about 25 % of the daily values were filled by the file's publishers and are not flagged: "
                      "they are used as given; 2016 has 365 day indices, not dates",
            "cities": len(joins), "matched": matched,
            "prefectures": sorted({j.unit_code for j in joins if j.role == "prefecture" and j.unit_code}),
        }, ensure_ascii=False)
        batch = new_batch(conn, source=str(path), checksum=checksum, ingested_by=by,
                          row_count=len(new) + len(changed), kind="file", note=note)
        record_sources(conn, values, SOURCE_KIND, batch)
        write_values(conn, new, changed, batch)
        kept_by_others = len(values) - len(usable)
        if kept_by_others:
            warnings.append(Problem(f"{kept_by_others} values kept from a source of better precedence (a station "
                                    "network by HJ 663); this file's values are stored beside them", str(path)))
        if added:
            warnings.append(Problem(f"added {added} county-level cities as child units of their prefectures",
                                    str(path), column="city"))
        warnings.append(Problem("about 25 % of the daily values were filled by the publishers (not flagged): used "
                                "as given", str(path), column="pm25_ugm3"))
        warnings.extend(findings(conn))
    counts = {str(k): int(v) for k, v in values["indicator_id"].value_counts().sort_index().items()}
    report = IngestReport(source=str(path), checksum=checksum, dry_run=False, batch_id=batch, rows_read=len(daily),
                          values_new=len(new), values_updated=len(changed), values_unchanged=unchanged,
                          indicators=counts, warnings=tuple(warnings))
    return report, joins
