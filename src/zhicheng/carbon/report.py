"""Read models of carbon accounting: one unit's page, the list of units, the goal-model feed.

Every answer is plain data (numbers rounded by :func:`num`, names in the asked language) that the
API returns as JSON and the cockpit puts into the page as text.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from zhicheng.carbon import analysis, catalogue, lmdi, peaking, service
from zhicheng.carbon.service import PRICES, CarbonError, CarbonNotFound, Workspace

#: Significant decimals of the numbers the read models give [Mt CO2, t CO2 per person …].
DECIMALS = 4
#: Years the default decomposition spans (the latest year and this many before it).
DECOMPOSE_SPAN = 5
#: Goal-model indicators this module computes (see :func:`indicator_feed`).
PER_CAPITA, PER_GDP, TARGET_GAP, PEAKING = "D3.R3.I1", "D3.R3.I2", "D3.R3.I7", "D3.R3.I8"
#: The national path the goal model's target-gap indicator measures against.
FEED_TARGET = "cn_13fyp"

NOTES = {
    "prices": ("GDP 为现价(名义)GDP:单位GDP碳排放与目标路径均按现价计算,不是官方(可比价)口径。",
               "GDP is at current (nominal) prices: CO2 per unit GDP and the target paths are at current prices, "
               "not the official (constant-price) metric."),
    "energy": ("数据中没有能源消费量:分解没有能源强度效应;智慧能源(D3.R2)指标只在有能源计量数据接入时才有值。",
               "The data hold no energy quantities: the decomposition has no energy-intensity effect, and the smart-"
               "energy indicators (D3.R2) have values only when energy meters feed them."),
    "structure": ("部门结构效应按各部门占本地区范围一排放的份额计算;燃料构成效应按部门内各燃料(含水泥过程)的份额计算。",
                  "The sector-structure effect uses each sector's share of the unit's scope-1 emissions; the fuel-mix "
                  "effect uses each fuel's (and the cement process's) share within its sector."),
}


def num(value: Any, digits: int = DECIMALS) -> float | None:
    """A number for people and JSON: rounded to ``digits`` decimals, None for missing or infinite."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return round(f, digits)


def _name(names: dict[str, Any], code: str, lang: str) -> str:
    n = names.get(code, {})
    return str(n.get("en" if lang == "en" else "zh") or code)


def _pick(pair: tuple[str, str] | dict[str, str], lang: str) -> str:
    if isinstance(pair, dict):
        return str(pair["en" if lang == "en" else "zh"])
    return pair[1] if lang == "en" else pair[0]


def units_list(ws: Workspace, lang: str = "zh") -> list[dict[str, Any]]:
    """Every unit with an inventory: code, name, level, dataset, first and last year, peaking status."""
    peaks = service.peak_table(ws)
    status = dict(zip(peaks["unit_code"], peaks["status"], strict=True)) if not peaks.empty else {}
    first = {str(k): int(v) for k, v in ws.inventory.groupby("unit_code")["year"].min().items()}
    last = {str(k): int(v) for k, v in ws.inventory.groupby("unit_code")["year"].max().items()}
    out = []
    for code in ws.units():
        out.append({"code": code, "name": _name(ws.names, code, lang), "level": ws.names.get(code, {}).get("level"),
                    "dataset": ws.dataset_of(code), "first_year": first[code],
                    "last_year": last[code], "status": status.get(code),
                    "status_name": _pick(peaking.VERDICTS[status[code]], lang) if code in status else None})
    return out


def _series(wide: pd.DataFrame, code: str, years: list[int]) -> list[float | None]:
    if code not in wide.index:
        return [None] * len(years)
    row = wide.loc[code].reindex(years)
    return [num(v) for v in row]


def unit_report(ws: Workspace, code: str, lang: str = "zh", *, year_from: int | None = None,
                year_to: int | None = None) -> dict[str, Any]:
    """Everything the carbon page of one unit shows (see the cockpit's carbon page)."""
    dataset = ws.dataset_of(code)
    frame = analysis.classify(ws.inventory[ws.inventory["unit_code"] == code])
    years = sorted(int(y) for y in frame["year"].unique())
    scope1 = analysis.totals(frame, "1")
    scope12 = analysis.totals(frame, "1+2")
    out: dict[str, Any] = {
        "unit": {"code": code, "name": _name(ws.names, code, lang), "level": ws.names.get(code, {}).get("level"),
                 "dataset": dataset},
        "years": years,
        "unit_of_measure": "Mt CO2",
        "totals": {"scope1": _series(scope1, code, years), "scope12": _series(scope12, code, years)},
        "notes": [_pick(NOTES["prices"], lang), _pick(NOTES["energy"], lang)],
    }
    # Stacked sectors (IPCC/GPC groups) and activity fields over the years, fuel mix of the latest year.
    if dataset == service.PROVINCES_DATASET:
        groups = catalogue.groups()
        by_group = analysis.breakdown(frame, "group", "1").pivot(index="group", columns="year", values="value_mt")
        out["groups"] = [{"id": g, "name": _pick(meta, lang), "ipcc": meta["ipcc"],
                          "values": [num(v) for v in by_group.loc[g].reindex(years)] if g in by_group.index
                          else [None] * len(years)} for g, meta in groups.items()]
        by_field = analysis.breakdown(frame, "field", "1").pivot(index="field", columns="year", values="value_mt")
        out["fields"] = [{"id": f, "name": _pick(meta, lang),
                          "values": [num(v) for v in by_field.loc[f].reindex(years)] if f in by_field.index
                          else [None] * len(years)} for f, meta in catalogue.fields().items()]
        latest = frame[frame["year"] == years[-1]]
        mix = analysis.breakdown(latest, "fuel_group", "1+2")
        names = {"coal": ("煤炭", "Coal"), "oil": ("石油", "Oil"), "gas": ("天然气", "Natural gas"),
                 "process": ("工业过程", "Process (cement)"), "heat": ("外购热力", "Purchased heat"),
                 "electricity": ("外购电力", "Purchased electricity"), "other": ("其他", "Other")}
        out["fuel_mix"] = {"year": years[-1], "items": [
            {"id": str(r["fuel_group"]), "name": _pick(names.get(str(r["fuel_group"]), (str(r["fuel_group"]),) * 2), lang),
             "scope": "2" if r["fuel_group"] in ("heat", "electricity") else "1",
             "value": num(r["value_mt"]), "share": num(r["share"])} for r in mix.to_dict("records")]}
        out["notes"].append(_pick(NOTES["structure"], lang))
    # Peaking verdict.
    peak = peaking.assess(scope1).iloc[0]
    rule = peaking.PeakRule()
    out["peak"] = {"status": peak["status"], "name": _pick(peaking.VERDICTS[str(peak["status"])], lang),
                   "peak_year": int(peak["peak_year"]), "peak_value": num(peak["peak_value"]),
                   "last_year": int(peak["last_year"]), "last_value": num(peak["last_value"]),
                   "years_since_peak": int(peak["years_since_peak"]), "drop_from_peak": num(peak["drop_from_peak"]),
                   "trend": num(peak["trend"]),
                   "rule": (f"3年居中滑动平均的最大值为峰值;峰值后≥{rule.min_years_since}年且最近平滑值低于峰值≥{rule.min_drop:.0%}为已达峰;"
                            f"否则近{rule.trend_years}年趋势>{rule.rising_trend:+.0%}/年为仍在上升;其余为平台期。"
                            if lang != "en" else
                            f"Peak = maximum of the centred 3-year moving mean; peaked when the peak is ≥ {rule.min_years_since} "
                            f"years back and the latest smoothed value ≥ {rule.min_drop:.0%} below it; else still rising when "
                            f"the last {rule.trend_years} years' trend exceeds {rule.rising_trend:+.0%}/yr; else plateau.")}
    # LMDI decomposition (default: the last DECOMPOSE_SPAN years).
    y1 = year_to if year_to is not None else years[-1]
    y0 = year_from if year_from is not None else max(years[0], y1 - DECOMPOSE_SPAN)
    try:
        d = service.decompose(ws, code, y0, y1)
        out["decomposition"] = decomposition_json(d, lang)
    except CarbonError as exc:
        out["decomposition"] = {"year_from": y0, "year_to": y1, "error": str(exc)}
    # Intensities and the trajectory against the target paths (current prices).
    table = service.intensity_table(ws)
    mine = table[table["unit_code"] == code].set_index("year").reindex(years)
    out["intensity"] = {"prices": PRICES, "per_capita_t": [num(v) for v in mine["per_capita_t"]],
                        "per_gdp_t_per_10k_cny": [num(v) for v in mine["per_gdp_t_per_10k_cny"]]}
    out["targets"] = [assessment_json(a, lang) for a in service.assess_targets(ws, code)]
    checks = service.crosscheck(ws)
    mine_checks = checks[(checks["city_code"] == code) | (checks["province_code"] == code)]
    out["provenance"] = [p for p in ws.sources if p["dataset"] == dataset]
    out["crosscheck"] = [{"city_code": r["city_code"], "province_code": r["province_code"], "year": int(r["year"]),
                          "city_mt": num(r["city_mt"]), "province_mt": num(r["province_mt"]),
                          "relative": num(r["relative"]), "agrees": bool(r["agrees"])}
                         for r in mine_checks.to_dict("records")]
    return out


def decomposition_json(d: lmdi.Decomposition, lang: str = "zh") -> dict[str, Any]:
    """A decomposition as JSON: the years, the values, each effect with its name, the change."""
    return {"year_from": d.year_from, "year_to": d.year_to, "value_from": num(d.value_from),
            "value_to": num(d.value_to), "change": num(d.change), "model": d.model,
            "effects": [{"id": k, "name": _pick(lmdi.EFFECT_NAMES[k], lang), "value": num(v)}
                        for k, v in d.effects.items()],
            "residual": d.residual}


_NOTES_ZH = (
    (re.compile(r"values end in (\d+), before the target year (\d+)"), r"数据截至\1年,早于目标年\2年"),
    (re.compile(r"no value for the base year (\d+)"), r"缺少基年\1年的数值"),
    (re.compile(r"no value within the target period"), "目标期内没有数值"),
)


def _note(text: str, lang: str) -> str:
    if lang == "en" or not text:
        return text
    for pattern, zh in _NOTES_ZH:
        text = pattern.sub(zh, text)
    return text


def assessment_json(a: Any, lang: str = "zh") -> dict[str, Any]:
    """A target assessment as JSON (the path as year → value)."""
    t = catalogue.national_targets().get(a.target_id)
    return {"id": a.target_id, "name": (t.en if lang == "en" else t.zh) if t else a.target_id,
            "source": t.source if t else "user", "metric": a.metric, "prices": a.prices, "base_year": a.base_year,
            "target_year": a.target_year, "base_value": num(a.base_value), "goal_value": num(a.goal_value),
            "path": {str(y): num(v) for y, v in a.path.items()}, "latest_year": a.latest_year,
            "latest_value": num(a.latest_value), "path_value": num(a.path_value), "gap": num(a.gap),
            "gap_share": num(a.gap_share), "recent_rate": num(a.recent_rate),
            "years_needed": num(a.years_needed, 1), "on_track": a.on_track, "note": _note(a.note, lang)}


def indicator_feed(ws: Workspace) -> pd.DataFrame:
    """Goal-model values this module computes: ``unit_code, indicator_id, period, value``.

    - D3.R3.I1 CO2 per person [t] and D3.R3.I2 CO2 per unit GDP [t / 10⁴ CNY, current prices]
      for the provinces (the city values come from the city totals through the ordinary intake);
    - D3.R3.I7 gap of CO2 per unit GDP to the 13th Five-Year Plan path [% of the path value,
      current prices] for every unit and year 2015–2020 with a 2015 value;
    - D3.R3.I8 peaking status [0 still rising, 1 plateau, 2 peaked] in the unit's last year.

    D3.R2 (smart energy) gets nothing: the inventories hold no energy quantities.
    """
    table = service.intensity_table(ws)
    rows: list[pd.DataFrame] = []
    prov = table[table["unit_code"].map(lambda c: ws.names.get(c, {}).get("level") == "province")]
    for ind, col in ((PER_CAPITA, "per_capita_t"), (PER_GDP, "per_gdp_t_per_10k_cny")):
        part = prov.dropna(subset=[col])
        rows.append(pd.DataFrame({"unit_code": part["unit_code"], "indicator_id": ind,
                                  "period": part["year"].astype(str), "value": part[col]}))
    target = catalogue.national_targets()[FEED_TARGET]
    wide = table.pivot_table(index="unit_code", columns="year", values="per_gdp_t_per_10k_cny")
    if target.base_year in wide.columns:
        years = [int(str(y)) for y in wide.columns if target.base_year <= int(str(y)) <= target.target_year]
        from zhicheng.carbon.targets import intensity_path

        base = wide[target.base_year]
        path = np.vstack([intensity_path(1.0, target.base_year, target.target_year, target.reduction or 0.0,
                                         np.array(years))] * len(wide))
        gap = (wide[years].to_numpy() / (base.to_numpy()[:, None] * path) - 1.0) * 100.0
        g = pd.DataFrame(gap, index=wide.index, columns=years).reset_index().melt(
            id_vars="unit_code", var_name="year", value_name="value")
        g = g[np.isfinite(g["value"].astype(float))]
        rows.append(pd.DataFrame({"unit_code": g["unit_code"], "indicator_id": TARGET_GAP,
                                  "period": g["year"].astype(str), "value": g["value"]}))
    peaks = service.peak_table(ws)
    if not peaks.empty:
        known = peaks[peaks["status"].isin(list(peaking.VERDICT_LEVEL))]
        rows.append(pd.DataFrame({"unit_code": known["unit_code"], "indicator_id": PEAKING,
                                  "period": known["last_year"].astype(str),
                                  "value": known["status"].map(peaking.VERDICT_LEVEL)}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["unit_code", "indicator_id", "period", "value"])
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- tables (CLI, exports)


def _names_of(ws: Workspace, codes: pd.Series, lang: str) -> pd.Series:
    return codes.map(lambda c: _name(ws.names, str(c), lang))


def inventory_frame(ws: Workspace, unit: str | None = None, *, by: str = "group", scope: str = "1",
                    year: int | None = None, lang: str = "zh") -> pd.DataFrame:
    """Emissions by ``by`` (group, sector, field, source, fuel_group or total) per unit and year [Mt CO2]."""
    inv = ws.inventory if unit is None else ws.inventory[ws.inventory["unit_code"] == unit]
    if unit is not None:
        ws.dataset_of(unit)
    if year is not None:
        inv = inv[inv["year"] == year]
    if by == "total":
        out = analysis.totals(inv, scope).reset_index().melt(id_vars="unit_code", var_name="year",
                                                             value_name="value_mt").dropna()
        out.insert(1, "name", _names_of(ws, out["unit_code"], lang))
        return out.sort_values(["unit_code", "year"]).reset_index(drop=True)
    if by in ("group", "sector", "field") and (inv["sector"] == "total").any():
        inv = inv[inv["sector"] != "total"]  # city totals have no sectors
    out = analysis.breakdown(inv, by, scope)
    labels: dict[str, Any]
    if by == "group":
        labels = {k: _pick(v, lang) for k, v in catalogue.groups().items()}
    elif by == "field":
        labels = {k: _pick(v, lang) for k, v in catalogue.fields().items()}
    elif by == "sector":
        labels = {k: (s.en if lang == "en" else s.zh) for k, s in catalogue.sectors().items()}
    elif by == "source":
        labels = {k: (s.en if lang == "en" else s.zh) for k, s in catalogue.sources().items()}
    else:
        labels = {}
    out.insert(1, "name", _names_of(ws, out["unit_code"], lang))
    out.insert(4, f"{by}_name", out[by].map(lambda k: labels.get(str(k), str(k))))
    out["scope"] = scope
    return out.reset_index(drop=True)


def peak_frame(ws: Workspace, unit: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """The peaking status of every unit (or one)."""
    table = service.peak_table(ws)
    if unit is not None:
        ws.dataset_of(unit)
        table = table[table["unit_code"] == unit]
    table.insert(1, "name", _names_of(ws, table["unit_code"], lang))
    table.insert(3, "status_name", table["status"].map(lambda s: _pick(peaking.VERDICTS[str(s)], lang)))
    return table.reset_index(drop=True)


def decompose_frame(ws: Workspace, unit: str | None, year_from: int, year_to: int, lang: str = "zh") -> pd.DataFrame:
    """LMDI-I effects of one unit (or every unit having both years), one row per effect [Mt CO2]."""
    if unit is not None:
        d = service.decompose(ws, unit, year_from, year_to)
        table = pd.DataFrame([{"unit_code": unit, "year_from": year_from, "year_to": year_to, "model": d.model,
                               "effect": k, "value_mt": v, "change_mt": d.change} for k, v in d.effects.items()])
    else:
        table = service.decompose_all(ws, year_from, year_to)
    if table.empty:
        raise CarbonNotFound(f"no unit has an inventory for both {year_from} and {year_to}")
    table.insert(1, "name", _names_of(ws, table["unit_code"], lang))
    table.insert(6, "effect_name", table["effect"].map(lambda e: _pick(lmdi.EFFECT_NAMES[str(e)], lang)))
    return table.reset_index(drop=True)


def targets_frame(ws: Workspace, unit: str, extra: list[Any] | None = None, lang: str = "zh") -> pd.DataFrame:
    """The unit against every national target (and the user's), one row per target."""
    rows = []
    for a in service.assess_targets(ws, unit, extra or []):
        j = assessment_json(a, lang)
        if a.target_id.startswith("user-"):
            t = next(x for x in (extra or []) if x.id == a.target_id)
            j["name"] = t.en if lang == "en" else t.zh
        j.pop("path")
        rows.append({"unit_code": unit, **j})
    return pd.DataFrame(rows)


def checks_frame(ws: Workspace) -> pd.DataFrame:
    """The municipalities' city totals against their provincial inventories (data-quality findings)."""
    return service.crosscheck(ws)
