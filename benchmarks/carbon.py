"""Benchmark: load the 23 CEADs workbooks and compute every carbon analysis (target < 5 s).

Ours: python-calamine reads the 23 provincial workbooks (690 sheets), every sheet is checked
(``zhicheng.carbon.inventory``), the city totals are read, and ``zhicheng.carbon.panel`` computes
for all 30 provinces and 290 cities: totals (scope 1, 1+2), breakdowns by IPCC/GPC group,
activity field and fuel family, intensities (population and GDP from the shipped 300-city
statistics, current prices), peaking status, additive LMDI-I for every pair of consecutive years
and the last five years, and every unit against the four national targets.

Reference (same run, same data): plain pandas + openpyxl as one would write it without this
module — openpyxl reads every sheet, a DataFrame per sheet melted and concatenated, group-bys for
totals and breakdowns, a Python loop per unit for peaking and targets and per unit, year pair
and cell for LMDI-I. Both give the same totals and LMDI effects (checked before timing is printed).

Run: .venv/bin/python benchmarks/carbon.py [--repeat R] [--no-reference]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zhicheng.carbon import catalogue, inventory, panel, service

TARGET_S = 5.0
DATA = Path(__file__).resolve().parents[1] / "data"
PROVINCES = DATA / "energy_carbon" / "provinces"
CITIES = DATA / "energy_carbon" / "ceads_city_co2_1997_2019_long.csv.gz"
MACRO = DATA / "city_indicators" / "china_300_cities_macro_2000_2024.csv.gz"


def city_stats() -> pd.DataFrame:
    """Population [persons] and GDP [CNY] of the 300 cities, keyed by CEADs-style short names."""
    raw = pd.read_csv(MACRO)
    raw.columns = [str(c).replace("\r", "").replace("\n", "") for c in raw.columns]
    short = raw["城市"].astype(str).str.replace(r"(市|地区|盟)$", "", regex=True)
    prov = raw["省份"].astype(str).str.replace(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$", "", regex=True)
    base = pd.DataFrame({"year": raw["年份"].astype(int), "population": raw["常住人口(万人)"] * 1e4,
                         "gdp": raw["地区生产总值(万元)"] * 1e4})
    both = pd.concat([base.assign(unit_code=short), base.assign(unit_code=prov + short)], ignore_index=True)
    return both.drop_duplicates(["unit_code", "year"])


def ours(stats: pd.DataFrame) -> tuple[panel.Panel, int]:
    sheets = service.read_workbooks(service.workbook_files(PROVINCES))
    prov = inventory.combine(sheets)
    cities = service.read_city_file(CITIES)
    city_long = pd.DataFrame({"unit_code": cities["city"], "year": cities["year"], "sector": "total",
                              "source": "total", "scope": "1", "value_mt": cities["co2_mt"]})
    city_long = city_long.groupby(["unit_code", "year", "sector", "source", "scope"], as_index=False)["value_mt"].sum()
    inv = pd.concat([prov, city_long], ignore_index=True)
    return panel.compute(inv, stats, province_units=set(pd.unique(prov["unit_code"]).tolist())), len(sheets)


# --------------------------------------------------------------------------- reference


def _lm(a: float, b: float) -> float:
    if a > 0 and b > 0:
        return a if abs(a - b) < 1e-12 * a else (a - b) / (math.log(a) - math.log(b))
    return 0.0


def _read_reference() -> pd.DataFrame:
    import openpyxl

    spell = catalogue.source_spellings()
    sectors = catalogue.sector_spellings()
    codes = {k: p.code for k, p in catalogue.provinces().items()}
    frames = []
    for path in sorted(PROVINCES.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            if ws.title == "NOTE":
                continue
            rows = list(ws.iter_rows(values_only=True))
            head = [spell.get(catalogue.header_key(h or ""), None) for h in rows[0]]
            df = pd.DataFrame(rows[3:], columns=["label", *head[1:]])
            df = df[df["label"].map(lambda x: catalogue.header_key(x or "") in sectors)]
            df["sector"] = df["label"].map(lambda x: sectors[catalogue.header_key(x)])
            long = df.drop(columns=["label", "scope1_total"]).melt(id_vars="sector", var_name="source",
                                                                    value_name="value_mt")
            long["value_mt"] = pd.to_numeric(long["value_mt"]).fillna(0.0)
            name = "".join(c for c in ws.title if not c.isdigit())
            long["unit_code"] = codes[name]
            long["year"] = int("".join(c for c in ws.title if c.isdigit()))
            frames.append(long)
        wb.close()
    return pd.concat(frames, ignore_index=True)


def _lmdi_reference(cells: dict[Any, pd.DataFrame], units: list[str]) -> dict[Any, dict[str, float]]:
    effects = {}
    for unit in units:
        years = sorted(y for (u, y) in cells if u == unit)
        for y0, y1 in [*zip(years[:-1], years[1:], strict=True), (years[-6], years[-1])]:
            effects[(unit, y0, y1)] = _lmdi_pair(cells[(unit, y0)], cells[(unit, y1)])
    return effects


def _lmdi_pair(c0: pd.DataFrame, c1: pd.DataFrame) -> dict[str, float]:
    sa_ = c0.set_index(["sector", "source"])["value_mt"]
    sb_ = c1.set_index(["sector", "source"])["value_mt"]
    t0, t1 = sa_.sum(), sb_.sum()
    sec0 = sa_.groupby(level=0).sum().to_dict()
    sec1 = sb_.groupby(level=0).sum().to_dict()
    a, b = sa_.to_dict(), sb_.to_dict()
    e = {"scale": 0.0, "structure": 0.0, "fuel_mix": 0.0}
    for key in set(a) | set(b):
        v0, v1 = float(a.get(key, 0.0)), float(b.get(key, 0.0))
        if v0 > 0 and v1 > 0:
            w = _lm(v1, v0)
            e["scale"] += w * math.log(t1 / t0)
            e["structure"] += w * math.log((sec1[key[0]] / t1) / (sec0[key[0]] / t0))
            e["fuel_mix"] += w * math.log((v1 / sec1[key[0]]) / (v0 / sec0[key[0]]))
        elif v1 > 0:
            e["structure" if sec0.get(key[0], 0.0) == 0 else "fuel_mix"] += v1
        elif v0 > 0:
            e["structure" if sec1.get(key[0], 0.0) == 0 else "fuel_mix"] -= v0
    return e


def reference(stats: pd.DataFrame) -> dict[str, Any]:
    prov = _read_reference()
    meta = catalogue.sources()
    prov["scope"] = prov["source"].map(lambda s: meta[s].scope)
    s1 = prov[prov["scope"] == "1"]
    totals = s1.groupby(["unit_code", "year"])["value_mt"].sum()
    grp = {k: s.group for k, s in catalogue.sectors().items()}
    s1 = s1.assign(group=[("industrial_processes" if src == "process" else grp[sec])
                          for sec, src in zip(s1["sector"], s1["source"], strict=True)])
    by_group = s1.groupby(["unit_code", "year", "group"])["value_mt"].sum()
    cities = pd.read_csv(CITIES).groupby(["city", "year"])["co2_mt"].sum()
    # Peaking: per unit, a rolling mean and the rule, in a loop.
    series = {u: g.droplevel(0) for u, g in totals.groupby(level=0)}
    series.update({c: g.droplevel(0) for c, g in cities.groupby(level=0)})
    peaks = {}
    for unit, s in series.items():
        sm = s.rolling(3, center=True, min_periods=1).mean()
        peak_year = sm.idxmax()
        peaks[unit] = (peak_year, s.index.max() - peak_year, 1 - sm.iloc[-1] / sm.max())
    # LMDI-I (scale, structure, fuel mix) per province, consecutive year pair and cell.
    cells = {k: g for k, g in s1.groupby(["unit_code", "year"])}
    effects = _lmdi_reference(cells, sorted(set(prov["unit_code"])))
    # Cities: Kaya per pair, and each unit against the 13th-plan path, in loops.
    st = stats.set_index(["unit_code", "year"])
    kaya = {}
    for city, s in series.items():
        if city in set(prov["unit_code"]):
            continue
        ys = list(s.index)
        for y0, y1 in zip(ys[:-1], ys[1:], strict=True):
            if (city, y0) in st.index and (city, y1) in st.index:
                p0, g0 = st.loc[(city, y0), ["population", "gdp"]]
                p1, g1 = st.loc[(city, y1), ["population", "gdp"]]
                w = _lm(s[y1], s[y0])
                kaya[(city, y0, y1)] = (w * math.log(p1 / p0), w * math.log((g1 / p1) / (g0 / p0)),
                                        w * math.log((s[y1] / g1) / (s[y0] / g0)))
    return {"totals": totals, "by_group": by_group, "peaks": peaks, "effects": effects, "kaya": kaya}


def check(ours_panel: panel.Panel, ref: dict[str, Any]) -> None:
    """Both computations agree on the provincial totals and on the LMDI effects."""
    stacked = ours_panel.totals.stack()
    for (unit, year), value in ref["totals"].items():
        assert abs(stacked[(unit, year)] - value) < 1e-9, (unit, year)
    d = ours_panel.decompositions.set_index(["unit_code", "year_from", "year_to"])
    worst = 0.0
    for key, e in ref["effects"].items():
        row = d.loc[key]
        # Ours splits the activity by Kaya where population and GDP exist; compare the sum then.
        ours_activity = row["scale"] if np.isfinite(row["scale"]) else row["population"] + row["affluence"] + row["intensity"]
        worst = max(worst, abs(ours_activity - e["scale"]), abs(row["structure"] - e["structure"]),
                    abs(row["fuel_mix"] - e["fuel_mix"]))
    assert worst < 1e-6, worst


def best_of(repeat: int, func: Any) -> tuple[float, float, Any]:
    """Best wall-clock time, the CPU time of that run [s] and the result (the machine is shared:
    the CPU time says what the work costs whatever else runs)."""
    best, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = func()
        wall, used = time.perf_counter() - t0, time.process_time() - c0
        if wall < best:
            best, cpu = wall, used
    return best, cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    stats = city_stats()
    t_ours, c_ours, (result, sheets) = best_of(args.repeat, lambda: ours(stats))
    d = result.decompositions
    effect_cols = ["population", "affluence", "intensity", "scale", "structure", "fuel_mix"]
    residual = (d[effect_cols].sum(axis=1, min_count=1) - d["change"]).abs().max()
    print(f"ours: {sheets} sheets of 23 workbooks + {result.totals.shape[0] - 30} cities, "
          f"{len(d):,} LMDI-I decompositions (max |Σ effects − ΔC| = {residual:.1e} Mt), "
          f"{len(result.peaks)} peaking verdicts, {len(result.targets):,} target assessments: "
          f"{t_ours:.2f} s wall, {c_ours:.2f} s CPU (best of {args.repeat}; target < {TARGET_S:.0f} s)")
    if args.no_reference:
        return
    t_ref, c_ref, ref = best_of(1, lambda: reference(stats))
    check(result, ref)
    print(f"reference (openpyxl + plain pandas, loops per unit and cell): {t_ref:.2f} s wall, {c_ref:.2f} s CPU "
          f"({c_ref / c_ours:.0f}× ours in CPU; same totals and LMDI effects)")
    print("PASS" if t_ours < TARGET_S else "FAIL", f"ours {t_ours:.2f} s wall ({c_ours:.2f} s CPU) vs target "
          f"{TARGET_S:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
