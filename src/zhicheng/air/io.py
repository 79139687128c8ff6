"""Reading hourly air-quality files: the Beijing multi-site layout and a plain layout.

Both readers return the frame the pure functions take: ``station``, ``time``, ``so2``, ``no2``,
``co``, ``o3``, ``pm10``, ``pm25`` in [µg/m³] (CO [mg/m³]), plus ``file`` and ``row`` (the
line number in the file) so that problems can be located.

- Beijing layout (UCI "Beijing Multi-Site Air-Quality Data", PRSA_Data_*.csv[.gz]): columns
  ``No, year, month, day, hour, PM2.5, PM10, SO2, NO2, CO, O3, …, station``; CO is in
  [µg/m³] and is converted to [mg/m³]; ``NA`` is missing. Hour labels are read as ``start``.
- Plain layout: ``station``, ``time`` and one column per pollutant, named ``so2``, ``no2``,
  ``co``, ``o3``, ``pm10``, ``pm25`` (also ``PM2.5``; case ignored), optionally with the unit
  in the header (``co [mg/m3]``). Units are declared per pollutant (``ug/m3`` or ``mg/m3``;
  default µg/m³, CO mg/m³); a header unit that disagrees with the declared one is an error.

This is the only module of ``zhicheng.air`` that reads files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from zhicheng.air.breakpoints import POLLUTANTS
from zhicheng.air.errors import AirInputError, Problem

BEIJING_COLUMNS: Final[dict[str, str]] = {
    "PM2.5": "pm25", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3",
}  # fmt: skip
_BEIJING_KEYS: Final = ("No", "year", "month", "day", "hour", "station")

#: Units accepted for a pollutant and their factor to the module's unit (µg/m³; CO mg/m³).
UNIT_ALIASES: Final[dict[str, str]] = {
    "ug/m3": "ug/m3", "µg/m3": "ug/m3", "µg/m³": "ug/m3", "ug/m³": "ug/m3", "μg/m3": "ug/m3", "μg/m³": "ug/m3",
    "mg/m3": "mg/m3", "mg/m³": "mg/m3",
}  # fmt: skip
DEFAULT_UNITS: Final[dict[str, str]] = {p: ("mg/m3" if p == "co" else "ug/m3") for p in POLLUTANTS}
_ALIASES: Final[dict[str, str]] = {"pm2.5": "pm25", "pm2_5": "pm25", "pm25": "pm25"}
_HEADER = re.compile(r"^\s*([A-Za-z0-9._]+)\s*(?:[\[(]\s*([^\])]+?)\s*[\])])?\s*$")


def _factor(pollutant: str, unit: str) -> float:
    """Multiply by this to reach µg/m³ (CO: mg/m³)."""
    target = "mg/m3" if pollutant == "co" else "ug/m3"
    if unit == target:
        return 1.0
    return 1e-3 if unit == "ug/m3" else 1e3


def is_beijing(path: Path) -> bool:
    """Whether a CSV file has the Beijing multi-site header."""
    header = pd.read_csv(path, nrows=0).columns
    return all(k in header for k in _BEIJING_KEYS) and all(k in header for k in BEIJING_COLUMNS)


def read_beijing(paths: Sequence[Path | str]) -> pd.DataFrame:
    """Read Beijing multi-site files (CO µg/m³ converted to mg/m³), hour labels as given.

    Parameters
    ----------
    paths : sequence of path
        ``PRSA_Data_<Station>_20130301-20170228.csv[.gz]`` files.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``time``, the six pollutants [µg/m³] (CO [mg/m³]), ``file``, ``row``.

    Raises
    ------
    AirInputError
        A file without the Beijing columns.
    """
    frames = []
    for path in map(Path, paths):
        raw = pd.read_csv(
            path,
            usecols=lambda c: c in (*_BEIJING_KEYS, *BEIJING_COLUMNS),
            na_values=["NA"],
            keep_default_na=True,
        )
        missing = [c for c in (*_BEIJING_KEYS, *BEIJING_COLUMNS) if c not in raw.columns]
        if missing:
            raise AirInputError(
                problems=[Problem("missing column", file=str(path), column=c) for c in missing]
            )
        time = pd.to_datetime(raw[["year", "month", "day", "hour"]], errors="coerce")
        frame = pd.DataFrame({"station": raw["station"].astype(str), "time": time})
        for src, dst in BEIJING_COLUMNS.items():
            frame[dst] = raw[src]
        frame["co"] = scale_column(frame["co"], 1e-3)
        frame["file"] = path.name
        frame["row"] = np.arange(2, len(raw) + 2)
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    result = pd.concat(frames, ignore_index=True)
    result["station"] = result["station"].astype("category")
    result["file"] = result["file"].astype("category")
    return result


def scale_column(col: pd.Series, factor: float) -> pd.Series:
    """Multiply the numeric cells of a column by ``factor``; non-numeric text is kept as is.

    The text stays so that the pure functions can report it with its row and column.
    """
    if factor == 1.0:
        return col

    def scale(x: Any) -> Any:
        # Divide by 1000 rather than multiply by 0.001: 700 / 1000 is the float nearest 0.7.
        return x / round(1 / factor) if factor < 1 else x * factor

    if pd.api.types.is_numeric_dtype(col):
        return scale(col)
    num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isnan(num) & col.notna().to_numpy()
    return pd.Series(
        np.where(keep, col.to_numpy(dtype=object), scale(num)), index=col.index, dtype=object
    )


def _plain_columns(
    header: Sequence[str], units: Mapping[str, str], path: Path
) -> tuple[dict[str, str], dict[str, float]]:
    """Map header names to pollutants and their conversion factors; report unit conflicts."""
    names: dict[str, str] = {}
    factors: dict[str, float] = {}
    problems = []
    for col in header:
        m = _HEADER.match(str(col))
        if not m:
            continue
        base = m.group(1).lower()
        base = _ALIASES.get(base, base)
        if base not in POLLUTANTS:
            continue
        declared = units.get(base, DEFAULT_UNITS[base])
        in_header = UNIT_ALIASES.get(m.group(2).replace(" ", "")) if m.group(2) else None
        if m.group(2) and in_header is None:
            problems.append(
                Problem(
                    f"unknown unit {m.group(2)!r}; use ug/m3 or mg/m3",
                    file=str(path),
                    column=str(col),
                )
            )
            continue
        if base in units and in_header is not None and in_header != declared:
            problems.append(
                Problem(
                    f"mixed units: header says {in_header}, option says {declared}",
                    file=str(path),
                    column=str(col),
                )
            )
            continue
        if base in names:
            problems.append(
                Problem(
                    f"{base} appears twice (mixed units or duplicate column)",
                    file=str(path),
                    column=str(col),
                )
            )
            continue
        names[str(col)] = base
        factors[base] = _factor(base, in_header or declared)
    if problems:
        raise AirInputError(problems=problems)
    return names, factors


def read_plain(path: Path | str, units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read the plain layout: ``station``, ``time``, one column per pollutant.

    Parameters
    ----------
    path : path
        CSV file (gzip detected from the name).
    units : mapping, optional
        Unit per pollutant, ``"ug/m3"`` or ``"mg/m3"``; default µg/m³ and CO mg/m³.

    Raises
    ------
    AirInputError
        Missing ``station``/``time``/pollutant columns, unknown or mixed units.
    """
    path = Path(path)
    declared = {k: UNIT_ALIASES.get(v.replace(" ", ""), v) for k, v in (units or {}).items()}
    bad = [
        Problem(f"unknown unit {v!r}; use ug/m3 or mg/m3", column=k)
        for k, v in declared.items()
        if v not in ("ug/m3", "mg/m3") or k not in POLLUTANTS
    ]
    if bad:
        raise AirInputError(problems=bad)
    raw = pd.read_csv(path, dtype={"station": str}, keep_default_na=True)
    names, factors = _plain_columns(list(raw.columns), declared, path)
    problems = [
        Problem("missing column", file=str(path), column=c)
        for c in ("station", "time")
        if c not in raw.columns
    ]
    problems += [
        Problem("missing column", file=str(path), column=p) for p in POLLUTANTS if p not in factors
    ]
    if problems:
        raise AirInputError(problems=problems)
    frame = pd.DataFrame(
        {
            "station": raw["station"].astype(str),
            "time": pd.to_datetime(raw["time"], errors="coerce"),
        }
    )
    for src, dst in names.items():
        frame[dst] = scale_column(raw[src], factors[dst])
    frame["file"] = path.name
    frame["row"] = np.arange(2, len(raw) + 2)
    return frame


def read_hourly(
    paths: Sequence[Path | str], units: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Read hourly files, detecting the Beijing layout; any other file is read as plain.

    Parameters
    ----------
    paths : sequence of path
        CSV files (all in one layout) or folders of ``*.csv`` / ``*.csv.gz`` files.
    units : mapping, optional
        Units of the plain layout (see :func:`read_plain`).
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.name.endswith((".csv", ".csv.gz")))
        else:
            files.append(p)
    if not files:
        raise AirInputError(problems=[Problem("no input file")])
    for f in files:
        if not f.exists():
            raise FileNotFoundError(2, "No such file or directory", str(f))
    beijing = [is_beijing(f) for f in files]
    if all(beijing):
        return read_beijing(files)
    if any(beijing):
        raise AirInputError(
            problems=[
                Problem("mixed layouts: Beijing and plain files together", file=str(f))
                for f in files
            ]
        )
    return pd.concat([read_plain(f, units) for f in files], ignore_index=True)
