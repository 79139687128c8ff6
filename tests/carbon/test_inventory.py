"""CEADs sheets: header spellings, the accounting checks, located problems, totals = TotalEmissions."""

from __future__ import annotations

import numpy as np
import pytest

from zhicheng.carbon import catalogue, inventory

FUELS = ["Raw_Coal", "CleanedCoal", "Other_Washed_Coal", "Briquettes", "Coke", "Coke_Oven_Gas", "Other_Gas",
         "Other_Coking_Products", "Crude_Oil", "Gasoline", "Kerosene", "Diesel_Oil", "Fuel_Oil", "LPG",
         "Refinery_Gas", "Other_Petroleum_Products", "Natural_Gas"]
TAIL = ["Scope_2_Heat", "Scope_2_Electricity", "Other_Energy", "Process", "Scope_1_Total"]


def synthetic_sheet(spaced: bool = False) -> list[list[object]]:
    """A sheet in CEADs' layout with values generated here (synthetic): sectors × fuels, consistent sums."""
    rng = np.random.default_rng(7)
    heads = [h.replace("_", " ") if spaced else h for h in FUELS + TAIL]
    sectors = [s.en + "   " for s in catalogue.sectors().values()]
    body = []
    for name in sectors:
        fuels = list(np.round(rng.uniform(0, 2, len(FUELS)), 6))
        process = 0.5 if name.startswith("Nonmetal Mineral Products") else 0.0
        body.append([name, *fuels, 0.0, 0.0, 0.0, process, float(sum(fuels) + process)])
    total = ["TotalEmissions" if not spaced else "Total Consumption",
             *[float(v) for v in np.sum([r[1:] for r in body], axis=0)]]
    return [["Emission_Inventory" if not spaced else "", *heads], ["unit", *["Mt CO2"] * len(heads)],
            [""] * (len(heads) + 1), total, *body]


@pytest.mark.parametrize("spaced", [False, True])
def test_both_header_spellings_read_the_same_matrix(spaced: bool) -> None:
    sheet = inventory.parse_sheet(synthetic_sheet(spaced), unit_code="110000", year=2019, where="x.xlsx:Beijing2019")
    assert sheet.problems == ()
    assert sheet.matrix.shape == (47, len(catalogue.sources()))
    assert sheet.total_emissions == pytest.approx(sheet.matrix[:, sheet.sources.index("scope1_total")].sum())


def test_header_key_normalises_every_spelling() -> None:
    assert {catalogue.header_key(s) for s in ("Raw Coal", "Raw_Coal", " raw-coal ", "RawCoal")} == {"rawcoal"}
    assert catalogue.source_spellings()[catalogue.header_key("Cleaned Coal")] == "cleaned_coal"


def test_failed_identities_are_reported_with_their_place() -> None:
    rows = synthetic_sheet()
    rows[5][1] = float(rows[5][1]) + 1.0  # a sector's raw coal no longer matches the total nor its row total
    sheet = inventory.parse_sheet(rows, unit_code="110000", year=2019, where="x.xlsx:Beijing2019")
    reasons = [p.reason for p in sheet.problems]
    assert any("sectors add up to" in r for r in reasons)
    assert any("Scope_1_Total says" in r and "Coal Mining" in r for r in reasons)
    assert all(p.file == "x.xlsx:Beijing2019" for p in sheet.problems)
    column = [p for p in sheet.problems if "sectors add up" in p.reason][0].column
    assert column == "B"


def test_bad_cells_unknown_headers_and_sectors_are_located() -> None:
    rows = synthetic_sheet()
    rows[0][3] = "Mystery Fuel"
    rows[6][0] = "Space Mining"
    rows[7][4] = "n/a"
    sheet = inventory.parse_sheet(rows, unit_code="110000", year=2019, where="f.xlsx:Beijing2019")
    found = {(p.row, p.column, p.reason.split(":")[0].split(" '")[0]) for p in sheet.problems}
    assert (1, "D", "unknown column header") in found
    assert (7, "A", "sector") in found
    assert (8, "E", "not a number") in found
    assert any("missing" in p.reason for p in sheet.problems)


def test_every_shipped_sheet_passes_and_totals_equal_total_emissions(sheets, long_table) -> None:
    """The 690 province-years: no problem, and Σ of the long table's scope 1 = TotalEmissions (CEADs)."""
    assert len(sheets) == 30 * 23
    assert [p for s in sheets for p in s.problems] == []
    sums = long_table[long_table["scope"] == "1"].groupby(["unit_code", "year"])["value_mt"].sum()
    expected = {(s.unit_code, s.year): s.total_emissions for s in sheets}
    assert len(sums) == len(expected)
    for key, value in expected.items():
        assert sums[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    # Beijing 2019 as printed in the workbook (PROVENANCE's cross-check figure): 89.18 Mt.
    assert expected[("110000", 2019)] == pytest.approx(89.18, abs=0.005)
