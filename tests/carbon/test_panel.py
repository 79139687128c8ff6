"""The whole panel at once: every unit and year pair decomposes exactly, and matches one-by-one results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.carbon.conftest import CITIES
from tests.conftest import DATA
from zhicheng.carbon import lmdi, panel, service

EFFECTS = ["population", "affluence", "intensity", "scale", "structure", "fuel_mix"]


def _city_stats() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "city_indicators" / "china_300_cities_macro_2000_2024.csv.gz")
    raw.columns = [str(c).replace("\r", "").replace("\n", "") for c in raw.columns]
    short = raw["城市"].astype(str).str.replace(r"(市|地区|盟)$", "", regex=True)
    prov = raw["省份"].astype(str).str.replace(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$", "", regex=True)
    base = pd.DataFrame({"year": raw["年份"].astype(int), "population": raw["常住人口(万人)"] * 1e4,
                         "gdp": raw["地区生产总值(万元)"] * 1e4})
    # CEADs names cities with their province (河北保定) except the municipalities (北京).
    both = pd.concat([base.assign(unit_code=short), base.assign(unit_code=prov + short)], ignore_index=True)
    return both.drop_duplicates(["unit_code", "year"])


@pytest.fixture(scope="module")
def result(long_table: pd.DataFrame) -> panel.Panel:
    cities = service.read_city_file(CITIES)
    city_long = pd.DataFrame({"unit_code": cities["city"], "year": cities["year"], "sector": "total",
                              "source": "total", "scope": "1", "value_mt": cities["co2_mt"]})
    inv = pd.concat([long_table, city_long.groupby(["unit_code", "year", "sector", "source", "scope"],
                                                   as_index=False)["value_mt"].sum()], ignore_index=True)
    return panel.compute(inv, _city_stats(), province_units=set(long_table["unit_code"]))


def test_every_unit_and_year_pair_decomposes_exactly(result: panel.Panel) -> None:
    d = result.decompositions
    full = d[d[EFFECTS].notna().any(axis=1)]
    residual = (full[EFFECTS].sum(axis=1, min_count=1) - full["change"]).abs()
    assert residual.max() <= 1e-9
    assert full["unit_code"].nunique() >= 30 + 200  # provinces and the cities with population and GDP
    assert len(result.peaks) == 320


def test_vectorised_matches_one_by_one(result: panel.Panel, long_table: pd.DataFrame) -> None:
    scope1 = long_table[(long_table["unit_code"] == "130000") & (long_table["scope"] == "1")]
    a = scope1[scope1["year"] == 2014].pivot_table(index="sector", columns="source", values="value_mt", fill_value=0.0)
    b = scope1[scope1["year"] == 2019].pivot_table(index="sector", columns="source", values="value_mt", fill_value=0.0)
    b = b.reindex(index=a.index.union(b.index), columns=a.columns.union(b.columns), fill_value=0.0)
    a = a.reindex_like(b).fillna(0.0)
    one = lmdi.inventory(a.to_numpy(), b.to_numpy())
    row = result.decompositions.set_index(["unit_code", "year_from", "year_to"]).loc[("130000", 2014, 2019)]
    for k, v in one.items():
        assert row[k] == pytest.approx(v, abs=1e-9)
    assert np.isnan(row["population"])  # no provincial population in this panel: a scale effect
