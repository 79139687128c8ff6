"""IAQI of HJ 633-2012, HJ 633-2026 and EPA 2024 against values worked by hand from the tables.

The tables below are transcribed independently from the standards' text
(docs/standards/air-quality-rules.md §3): HJ 633-2012 Table 1, HJ 633-2026 Table 3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhicheng.air import AirInputError, iaqi

ROWS = [0, 50, 100, 150, 200, 300, 400, 500]
# HJ 633-2012 Table 1 (CO in mg/m³, others µg/m³); columns stop at notes (2) and (3).
TABLE_2012 = {
    ("so2", "24h"): [0, 50, 150, 475, 800, 1600, 2100, 2620],
    ("so2", "1h"): [0, 150, 500, 650, 800],
    ("no2", "24h"): [0, 40, 80, 180, 280, 565, 750, 940],
    ("no2", "1h"): [0, 100, 200, 700, 1200, 2340, 3090, 3840],
    ("pm10", "24h"): [0, 50, 150, 250, 350, 420, 500, 600],
    ("co", "24h"): [0, 2, 4, 14, 24, 36, 48, 60],
    ("co", "1h"): [0, 5, 10, 35, 60, 90, 120, 150],
    ("o3", "1h"): [0, 160, 200, 300, 400, 800, 1000, 1200],
    ("o3", "8h"): [0, 100, 160, 215, 265, 800],
    ("pm25", "24h"): [0, 35, 75, 115, 150, 250, 350, 500],
}
# HJ 633-2026 Table 3: only PM10 (IAQI 100 at 120) and PM2.5 (IAQI 100 at 60) differ.
TABLE_2026 = {
    **TABLE_2012,
    ("pm10", "24h"): [0, 50, 120, 250, 350, 420, 500, 600],
    ("pm25", "24h"): [0, 35, 60, 115, 150, 250, 350, 500],
}
EDITIONS = {"HJ633-2012": TABLE_2012, "HJ633-2026": TABLE_2026}

BREAKPOINTS = [
    (ed, p, per, bp, ROWS[i])
    for ed, table in EDITIONS.items()
    for (p, per), col in table.items()
    for i, bp in enumerate(col)
]


@pytest.mark.parametrize(("standard", "pollutant", "period", "conc", "expected"), BREAKPOINTS)
def test_every_breakpoint_gives_its_row(
    standard: str, pollutant: str, period: str, conc: int, expected: int
) -> None:
    # HJ 633 Eq. (1): at C = BP the formula gives the row's IAQI exactly (tables are continuous).
    assert iaqi(pollutant, conc, period, standard) == expected


def _segments() -> list[tuple[str, str, str, float, int]]:
    cases = []
    for ed, table in EDITIONS.items():
        for (p, per), col in table.items():
            for i in range(len(col) - 1):
                lo, hi, ilo, ihi = col[i], col[i + 1], ROWS[i], ROWS[i + 1]
                if p == "co" or (lo + hi) % 2 == 0:
                    # At the midpoint Eq. (1) gives the mean of the two IAQI rows, an integer.
                    cases.append((ed, p, per, (lo + hi) / 2, (ilo + ihi) // 2))
                else:
                    # Half a unit above the midpoint adds ΔIAQI / (2·ΔBP) in (0, 1]: rounded up, +1.
                    cases.append((ed, p, per, (lo + hi + 1) / 2, (ilo + ihi) // 2 + 1))
    return cases


@pytest.mark.parametrize(("standard", "pollutant", "period", "conc", "expected"), _segments())
def test_inside_every_segment(
    standard: str, pollutant: str, period: str, conc: float, expected: int
) -> None:
    assert iaqi(pollutant, conc, period, standard) == expected


@pytest.mark.parametrize(
    ("pollutant", "conc", "period", "e2012", "e2026"),
    [
        # Worked examples of docs/standards/air-quality-rules.md §2 (HJ 633 Eq. (1), §4.2.6 round up).
        ("pm25", 36, "24h", 52, 52),  # 50 + 50/40·1 = 51.25 → 52 ; 50 + 50/25·1 = 52
        ("pm25", 70, "24h", 94, 110),  # 50 + 50/40·35 = 93.75 → 94 ; 100 + 50/55·10 = 109.09 → 110
        ("co", 2.2, "24h", 55, 55),  # 50 + 50/2·0.2 = 55 in both
        ("pm10", 130, "24h", 90, 104),  # 50 + 50/100·80 = 90 ; 100 + 50/130·10 = 103.85 → 104
    ],
)
def test_worked_examples(pollutant: str, conc: float, period: str, e2012: int, e2026: int) -> None:
    assert iaqi(pollutant, conc, period, "HJ633-2012") == e2012
    assert iaqi(pollutant, conc, period, "HJ633-2026") == e2026


@pytest.mark.parametrize(
    ("conc", "period", "expected"),
    [
        # Exact integers that binary floating point puts just above themselves (rules §2).
        (2.2, "24h", 55),  # 50 + 25·0.2 = 55 (float: 55.00000000000001)
        (65.4, "1h", 218),  # 200 + 100/30·5.4 = 218 (float 218.00000000000003)
        (66.9, "1h", 223),
        (68.4, "1h", 228),
        # Fractional CO (mg/m³, kept to 0.1 by GB/T 8170): 25·0.1 = 2.5 → 3; 50 + 10·0.5 = 55.
        (0.1, "24h", 3),
        (5.5, "1h", 55),
        (4.1, "24h", 101),  # 100 + 5·0.1 = 100.5 → 101
    ],
)
def test_fractional_co_is_exact(conc: float, period: str, expected: int) -> None:
    assert iaqi("co", conc, period, "HJ633-2026") == expected
    assert iaqi("co", conc, period, "HJ633-2012") == expected


@pytest.mark.parametrize(
    ("pollutant", "conc", "period", "expected"),
    [
        # HJ 633-2026 §4.2.2: rounded by GB/T 8170 (half to even) before the IAQI.
        ("pm25", 35.5, "24h", 52),  # → 36 → 50 + 2·1 = 52
        ("pm25", 36.5, "24h", 52),  # → 36 (even) → 52
        ("pm25", 36.51, "24h", 54),  # → 37 → 54
        ("co", 2.25, "24h", 55),  # → 2.2 → 55
        ("co", 2.35, "24h", 60),  # → 2.4 → 60
        ("co", 2.251, "24h", 58),  # → 2.3 → 57.5 → 58
    ],
)
def test_concentration_rounded_half_even_first(
    pollutant: str, conc: float, period: str, expected: int
) -> None:
    assert iaqi(pollutant, conc, period, "HJ633-2026") == expected


def test_over_800_rules() -> None:
    # HJ 633-2012 Table 1 notes (2), (3): no IAQI above 800; HJ 633-2026 notes (b), (c): 200 / 300.
    assert math.isnan(iaqi("so2", 801, "1h", "HJ633-2012"))
    assert iaqi("so2", 801, "1h", "HJ633-2026") == 200
    assert math.isnan(iaqi("o3", 801, "8h", "HJ633-2012"))
    assert iaqi("o3", 801, "8h", "HJ633-2026") == 300
    assert iaqi("o3", 5000, "8h", "HJ633-2026") == 300
    # "> 800" is strict and uses the rounded value: 800.4 and 800.5 (half-even) round to 800.
    for conc in (800, 800.4, 800.5):
        assert iaqi("so2", conc, "1h", "HJ633-2012") == 200
        assert iaqi("o3", conc, "8h", "HJ633-2012") == 300
    assert math.isnan(iaqi("so2", 800.6, "1h", "HJ633-2012"))


@pytest.mark.parametrize(
    ("pollutant", "conc", "period"),
    [
        ("pm25", 501, "24h"),
        ("pm25", 2000, "24h"),
        ("co", 60.1, "24h"),
        ("no2", 3841, "1h"),
        ("so2", 9999, "24h"),
        ("o3", 1201, "1h"),
    ],
)
def test_above_top_breakpoint_is_500(pollutant: str, conc: float, period: str) -> None:
    # Convention (rules §2): above the IAQI-500 breakpoint the IAQI is reported as 500.
    assert iaqi(pollutant, conc, period, "HJ633-2026") == 500
    assert iaqi(pollutant, conc, period, "HJ633-2012") == 500


def test_arrays_and_missing_values() -> None:
    out = iaqi("pm25", np.array([[0, 35, np.nan], [75, 500, 600]]), "24h", "HJ633-2012")
    np.testing.assert_array_equal(out, [[0, 50, np.nan], [100, 500, 500]])
    assert iaqi("pm25", [36, 70], "24h", "HJ633-2026").tolist() == [52, 110]


def test_pm_one_hour_uses_24h_column_in_2026_only() -> None:
    # HJ 633-2026 Eq. (1) notes: PM 1 h values take BP from the 日平均 column.
    assert iaqi("pm25", 70, "1h", "HJ633-2026") == 110
    with pytest.raises(AirInputError, match="no IAQI for pm25 1h"):
        iaqi("pm25", 70, "1h", "HJ633-2012")


def test_default_standard_follows_the_date() -> None:
    # HJ 633-2026 in force from 2026-03-01; HJ 633-2012 before.
    assert iaqi("pm25", 70, "24h", date="2026-02-28") == 94
    assert iaqi("pm25", 70, "24h", date="2026-03-01") == 110
    out = iaqi(
        "pm25", [70, 70], "24h", date=np.array(["2016-05-01", "2026-05-01"], dtype="datetime64[D]")
    )
    assert out.tolist() == [94, 110]
    assert iaqi("pm25", 70, "24h") == 110  # no date: the current edition


@pytest.mark.parametrize(
    ("pollutant", "conc", "period", "expected"),
    [
        # EPA-454/B-24-002 (2024): truncate, find the row, Eq. 1, round to nearest (halves up).
        ("pm25", 12.04, "24h", 56),  # → 12.0: 51 + 49/26.3·2.9 = 56.40 → 56
        ("pm25", 9.0, "24h", 50),
        ("pm25", 9.09, "24h", 50),  # truncated to 9.0
        ("pm25", 9.1, "24h", 51),
        ("pm25", 35.4, "24h", 100),
        ("pm25", 35.5, "24h", 101),
        ("pm25", 325.4, "24h", 500),
        (
            "pm25",
            500.0,
            "24h",
            848,
        ),  # above 500: top row extrapolated, 301 + 199/99.9·274.5 = 847.8
        ("pm10", 54.9, "24h", 50),
        ("pm10", 155, "24h", 101),
        ("o3", 0.0559, "8h", 51),  # → 0.055
        ("o3", 0.070, "8h", 100),
        ("o3", 0.072, "8h", 105),  # 101 + 49/14·1 = 104.5 → 105 (half up)
        ("o3", 0.2009, "8h", 300),
        ("o3", 0.125, "1h", 101),
        ("co", 1.1, "8h", 13),  # 50/44·11 = 12.5 → 13
        ("co", 4.49, "8h", 50),
        ("no2", 77, "1h", 76),  # 51 + 49/46·23 = 75.5 → 76
        ("so2", 245, "1h", 176),  # 151 + 49/118·59 = 175.5 → 176
        ("so2", 305, "24h", 201),
        ("so2", 1004, "24h", 500),
    ],
)
def test_epa_2024(pollutant: str, conc: float, period: str, expected: int) -> None:
    assert iaqi(pollutant, conc, period, "EPA2024") == expected


@pytest.mark.parametrize(
    ("pollutant", "conc", "period"),
    [("o3", 0.201, "8h"), ("o3", 0.124, "1h"), ("so2", 305, "1h"), ("so2", 304, "24h")],
)
def test_epa_ranges_not_defined(pollutant: str, conc: float, period: str) -> None:
    # 40 CFR 58 App. G Table 2 notes: 8 h O3 > 0.200 → use 1 h; 1 h O3 starts at 0.125;
    # 1 h SO2 >= 305 → use 24 h; 24 h SO2 defines only AQI > 200.
    assert math.isnan(iaqi(pollutant, conc, period, "EPA2024"))


def test_bad_input_is_located() -> None:
    with pytest.raises(AirInputError) as err:
        iaqi("pm25", [10, -1, 5, -3], "24h", "HJ633-2026")
    assert [(p.row, p.column) for p in err.value.problems] == [
        (1, "concentration"),
        (3, "concentration"),
    ]
    with pytest.raises(AirInputError) as err:
        iaqi("pm25", [10, "abc"], "24h", "HJ633-2026")
    assert err.value.problems[0].row == 1 and "abc" in err.value.problems[0].reason
    with pytest.raises(AirInputError) as err:
        iaqi("pm1", 3, "2h", "GB3095")
    assert {p.column for p in err.value.problems} == {"pollutant", "period", "standard"}
    with pytest.raises(AirInputError, match="EPA2024 has no AQI for co 24h"):
        iaqi("co", 3, "24h", "EPA2024")


def test_a_standard_named_by_a_user_is_checked() -> None:
    from zhicheng.air.iaqi import as_standard

    assert [as_standard(s) for s in ("HJ633-2026", "HJ633-2012", "EPA2024", None)] == [
        "HJ633-2026", "HJ633-2012", "EPA2024", None]
    with pytest.raises(AirInputError) as err:
        as_standard("GB3095-2012")
    assert [(p.column, p.reason) for p in err.value.problems] == [
        ("standard", "unknown standard 'GB3095-2012'; use one of HJ633-2026, HJ633-2012, EPA2024")]
