"""Breakpoint tables, levels, colours and limits of the AQI standards.

Everything here is data, transcribed from the standards' tables:

- HJ 633-2012 Table 1 (IAQI breakpoints) and Table 2 (levels, colours);
- HJ 633-2026 Table 3 (IAQI breakpoints) and Table 1 / Table A.1 (levels, colours);
- US EPA, Technical Assistance Document EPA-454/B-24-002 (May 2024), the AQI breakpoint table;
- GB 3095-2012 and GB 3095-2026 Table 1, grade II (二级) concentration limits.

Units: HJ 633 concentrations in [µg/m³], CO in [mg/m³]. EPA concentrations in the EPA's own
units: O3 and CO [ppm], SO2 and NO2 [ppb], PM2.5 and PM10 [µg/m³].

References
----------
.. [1] HJ 633-2012 环境空气质量指数（AQI）技术规定（试行）, Table 1, Table 2.
.. [2] HJ 633-2026 环境空气质量指数（AQI）技术规定, Table 1, Table 3, Table A.1.
.. [3] EPA-454/B-24-002, Technical Assistance Document for the Reporting of Daily Air
   Quality – the Air Quality Index (AQI), May 2024, Table 6 (breakpoints).
.. [4] GB 3095-2012 and GB 3095-2026 环境空气质量标准, Table 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

Standard = Literal["HJ633-2026", "HJ633-2012", "EPA2024"]
Pollutant = Literal["so2", "no2", "co", "o3", "pm10", "pm25"]
Period = Literal["1h", "8h", "24h"]

STANDARDS: Final[tuple[Standard, ...]] = ("HJ633-2026", "HJ633-2012", "EPA2024")
POLLUTANTS: Final[tuple[Pollutant, ...]] = ("so2", "no2", "co", "o3", "pm10", "pm25")
PERIODS: Final[tuple[Period, ...]] = ("1h", "8h", "24h")

#: The day HJ 633-2026, HJ 663-2026 and GB 3095-2026 came into force (HJ 633-2026 §1).
SWITCH_DATE: Final[dt.date] = dt.date(2026, 3, 1)
#: The end of the GB 3095-2026 transitional limits (GB 3095-2026 §4.4).
GB3095_2026_FINAL_FROM: Final[dt.date] = dt.date(2031, 1, 1)

#: Display names of the pollutants (the official symbols).
POLLUTANT_NAMES: Final[dict[str, str]] = {
    "so2": "SO2",
    "no2": "NO2",
    "co": "CO",
    "o3": "O3",
    "pm10": "PM10",
    "pm25": "PM2.5",
}

#: Decimal places of the GB/T 8170 rounding before the IAQI (HJ 633-2026 §4.2.2): CO to
#: 0.1 mg/m³, every other item to 1 µg/m³.
HJ_DECIMALS: Final[dict[str, int]] = {"so2": 0, "no2": 0, "co": 1, "o3": 0, "pm10": 0, "pm25": 0}

# --------------------------------------------------------------------------------------------
# HJ 633: continuous tables, one (IAQI, concentration) column per item.
# --------------------------------------------------------------------------------------------

_IAQI_ROWS: Final[tuple[int, ...]] = (0, 50, 100, 150, 200, 300, 400, 500)

#: HJ 633-2012 Table 1 [1]. Columns stop where the table has the notes (2) and (3).
HJ633_2012: Final[dict[tuple[str, str], tuple[int, ...]]] = {
    ("so2", "24h"): (0, 50, 150, 475, 800, 1600, 2100, 2620),
    ("so2", "1h"): (0, 150, 500, 650, 800),
    ("no2", "24h"): (0, 40, 80, 180, 280, 565, 750, 940),
    ("no2", "1h"): (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    ("pm10", "24h"): (0, 50, 150, 250, 350, 420, 500, 600),
    ("co", "24h"): (0, 2, 4, 14, 24, 36, 48, 60),
    ("co", "1h"): (0, 5, 10, 35, 60, 90, 120, 150),
    ("o3", "1h"): (0, 160, 200, 300, 400, 800, 1000, 1200),
    ("o3", "8h"): (0, 100, 160, 215, 265, 800),
    ("pm25", "24h"): (0, 35, 75, 115, 150, 250, 350, 500),
}

#: HJ 633-2026 Table 3 [2]: the 2012 table with the IAQI-100 breakpoints of PM10 (120) and
#: PM2.5 (60) lowered.
HJ633_2026: Final[dict[tuple[str, str], tuple[int, ...]]] = {
    **HJ633_2012,
    ("pm10", "24h"): (0, 50, 120, 250, 350, 420, 500, 600),
    ("pm25", "24h"): (0, 35, 60, 115, 150, 250, 350, 500),
}


def hj_iaqi_rows(n: int) -> tuple[int, ...]:
    """The IAQI rows of a column with ``n`` breakpoints (the table's first ``n`` rows)."""
    return _IAQI_ROWS[:n]


# --------------------------------------------------------------------------------------------
# EPA 2024: discrete rows (lo, hi) in truncated units; scale = 10**decimals of the truncation.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpaColumn:
    """One EPA breakpoint column, in integer units of ``1/scale`` of the EPA unit.

    ``rows`` are ``(c_lo, c_hi, i_lo, i_hi)``; concentrations are multiplied by ``scale``.
    ``extrapolate`` says whether values above the last row are computed with the last row
    (the TAD's rule above AQI 500) or are not defined by this column.
    """

    scale: int
    rows: tuple[tuple[int, int, int, int], ...]
    extrapolate: bool


_EPA_AQI = ((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500))


def _epa(scale: int, lows_highs: list[tuple[int, int] | None], extrapolate: bool) -> EpaColumn:
    rows = tuple(
        (lo_hi[0], lo_hi[1], a[0], a[1])
        for lo_hi, a in zip(lows_highs, _EPA_AQI, strict=True)
        if lo_hi is not None
    )
    return EpaColumn(scale=scale, rows=rows, extrapolate=extrapolate)


#: EPA 2024 breakpoints [3]. Keys (pollutant, period). Truncation: O3 3 decimals [ppm],
#: PM2.5 1 decimal [µg/m³], PM10 integer [µg/m³], CO 1 decimal [ppm], SO2 and NO2 integer [ppb].
EPA2024: Final[dict[tuple[str, str], EpaColumn]] = {
    ("pm25", "24h"): _epa(
        10, [(0, 90), (91, 354), (355, 554), (555, 1254), (1255, 2254), (2255, 3254)], True
    ),
    ("pm10", "24h"): _epa(
        1, [(0, 54), (55, 154), (155, 254), (255, 354), (355, 424), (425, 604)], True
    ),
    # 8-h O3 stops at 0.200 ppm (AQI 300); above it the 1-h value is used.
    ("o3", "8h"): _epa(1000, [(0, 54), (55, 70), (71, 85), (86, 105), (106, 200), None], False),
    # 1-h O3 starts at 0.125 ppm (AQI 101).
    ("o3", "1h"): _epa(1000, [None, None, (125, 164), (165, 204), (205, 404), (405, 604)], True),
    ("co", "8h"): _epa(
        10, [(0, 44), (45, 94), (95, 124), (125, 154), (155, 304), (305, 504)], True
    ),
    # 1-h SO2 stops at 304 ppb (AQI 200); at 305 ppb and above the 24-h value is used.
    ("so2", "1h"): _epa(1, [(0, 35), (36, 75), (76, 185), (186, 304), None, None], False),
    ("so2", "24h"): _epa(1, [None, None, None, None, (305, 604), (605, 1004)], True),
    ("no2", "1h"): _epa(
        1, [(0, 53), (54, 100), (101, 360), (361, 649), (650, 1249), (1250, 2049)], True
    ),
}

# --------------------------------------------------------------------------------------------
# Levels and colours.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One AQI category: upper AQI bound, names and official colour."""

    upper: int
    grade_zh: str
    name_zh: str
    name_en: str
    colour_zh: str
    hex: str
    rgb: tuple[int, int, int]


#: HJ 633-2012 Table 2 and HJ 633-2026 Table 1 / Table A.1 (same in both editions) [1], [2].
HJ_LEVELS: Final[tuple[Level, ...]] = (
    Level(50, "一级", "优", "Excellent", "绿色", "#00E400", (0, 228, 0)),
    Level(100, "二级", "良", "Good", "黄色", "#FFFF00", (255, 255, 0)),
    Level(150, "三级", "轻度污染", "Lightly polluted", "橙色", "#FF7E00", (255, 126, 0)),
    Level(200, "四级", "中度污染", "Moderately polluted", "红色", "#FF0000", (255, 0, 0)),
    Level(300, "五级", "重度污染", "Heavily polluted", "紫色", "#99004C", (153, 0, 76)),
    Level(10**9, "六级", "严重污染", "Severely polluted", "褐红色", "#7E0023", (126, 0, 35)),
)

#: EPA AQI categories and colours [3] (Chinese names are the usual translations).
EPA_LEVELS: Final[tuple[Level, ...]] = (
    Level(50, "", "良好", "Good", "绿色", "#00E400", (0, 228, 0)),
    Level(100, "", "中等", "Moderate", "黄色", "#FFFF00", (255, 255, 0)),
    Level(
        150,
        "",
        "对敏感人群不健康",
        "Unhealthy for Sensitive Groups",
        "橙色",
        "#FF7E00",
        (255, 126, 0),
    ),
    Level(200, "", "不健康", "Unhealthy", "红色", "#FF0000", (255, 0, 0)),
    Level(300, "", "非常不健康", "Very Unhealthy", "紫色", "#8F3F97", (143, 63, 151)),
    Level(10**9, "", "危险", "Hazardous", "褐红色", "#7E0023", (126, 0, 35)),
)

# --------------------------------------------------------------------------------------------
# GB 3095 grade II limits [4]. Keys: statistic names used by the annual evaluation.
# --------------------------------------------------------------------------------------------

#: Grade II limits of GB 3095-2012 Table 1: annual means and 24-h (or MDA8 / 1-h) limits.
GB3095_2012_GRADE2: Final[dict[str, float]] = {
    "so2_annual": 60, "so2_24h": 150, "so2_1h": 500,
    "no2_annual": 40, "no2_24h": 80, "no2_1h": 200,
    "co_24h": 4, "co_1h": 10,
    "o3_8h": 160, "o3_1h": 200,
    "pm10_annual": 70, "pm10_24h": 150,
    "pm25_annual": 35, "pm25_24h": 75,
}  # fmt: skip

#: GB 3095-2026 Table 1, transitional grade II limits (2026-03-01 to 2030-12-31).
GB3095_2026_GRADE2_TRANSITIONAL: Final[dict[str, float]] = {
    **GB3095_2012_GRADE2,
    "pm10_annual": 60, "pm10_24h": 120,
    "pm25_annual": 30, "pm25_24h": 60,
}  # fmt: skip

#: GB 3095-2026 Table 1, final grade II limits (from 2031-01-01).
GB3095_2026_GRADE2_FINAL: Final[dict[str, float]] = {
    **GB3095_2012_GRADE2,
    "so2_annual": 20, "so2_24h": 50, "so2_1h": 150,
    "no2_annual": 30, "no2_24h": 50, "no2_1h": 200,
    "pm10_annual": 50, "pm10_24h": 100,
    "pm25_annual": 25, "pm25_24h": 50,
}  # fmt: skip


def grade2_limits(on: dt.date) -> dict[str, float]:
    """GB 3095 grade II limits in force on a date.

    Parameters
    ----------
    on : datetime.date
        The date.

    Returns
    -------
    dict
        Limits [µg/m³] (CO [mg/m³]) keyed ``<pollutant>_<annual|24h|8h|1h>``.

    References
    ----------
    GB 3095-2012 Table 1; GB 3095-2026 Table 1 and §4.4 (transitional phase up to 2030-12-31).
    """
    if on < SWITCH_DATE:
        return dict(GB3095_2012_GRADE2)
    if on < GB3095_2026_FINAL_FROM:
        return dict(GB3095_2026_GRADE2_TRANSITIONAL)
    return dict(GB3095_2026_GRADE2_FINAL)


def edition_on(on: dt.date) -> str:
    """The HJ 633 edition in force on a date: HJ633-2026 from 2026-03-01, else HJ633-2012."""
    return "HJ633-2026" if on >= SWITCH_DATE else "HJ633-2012"
