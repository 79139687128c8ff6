"""The numbers of the cells: parsed and converted, duplicates and suspicious repeats found."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zhicheng.errors import Problem
from zhicheng.evaluate.mapping import ValuesMapping
from zhicheng.readers import ROW


def _parse_numbers(cells: pd.DataFrame, mapping: ValuesMapping, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse cell text to numbers (thousands separators allowed); missing markers become NaN."""
    # Fast path: most cells are plain numbers; only the others are cleaned (blanks, missing
    # markers, thousands separators) and parsed again.
    values = pd.to_numeric(cells["text"], errors="coerce")
    slow = values.isna()
    text = cells["text"].where(slow, "")
    missing = pd.Series(False, index=cells.index)
    bad = pd.Series(False, index=cells.index)
    if slow.any():
        odd = cells.loc[slow, "text"].astype(str).str.strip()
        is_missing = odd.isin(mapping.missing)
        cleaned = odd.str.replace(r"(?<=\d)[,，](?=\d{3})", "", regex=True)
        again = pd.to_numeric(cleaned.where(~is_missing), errors="coerce")
        values.loc[slow] = again
        missing.loc[slow] = is_missing
        text.loc[slow] = odd
        bad = values.isna() & ~missing
    bad |= np.isinf(values.fillna(0.0))
    problems = [
        Problem(f"not a number: {t!r}", file, int(r), c)
        for t, r, c in zip(text[bad].tolist(), cells.loc[bad, ROW].tolist(), cells.loc[bad, "column"].tolist(), strict=True)
    ]
    factors = {name: spec.factor() for name, spec in mapping.columns.items()}
    factor = cells["name"].map(factors).fillna(1.0).astype(float) if factors else 1.0
    out = cells.assign(value=values.astype(float) * factor).drop(columns="text")
    return out[out["value"].notna()], problems


def _duplicates(cells: pd.DataFrame, file: str, layout: str) -> list[Problem]:
    keys = ["unit_code", "period", "name"]
    dup = cells.duplicated(keys, keep=False)
    if not dup.any():
        return []
    d = cells[dup]
    first = d.groupby(keys)[ROW].transform("min")
    again = d[d[ROW] != first]
    again = again.assign(first=first[again.index])
    if layout == "wide":
        again = again.drop_duplicates(ROW)
        return [Problem(f"duplicate unit and period: same as row {f}", file, int(r), None)
                for r, f in zip(again[ROW].tolist(), again["first"].tolist(), strict=True)]
    return [Problem(f"duplicate key (unit, indicator {n!r}, period): same as row {f}", file, int(r), None)
            for r, n, f in zip(again[ROW].tolist(), again["name"].tolist(), again["first"].tolist(), strict=True)]


def _suspicious(
    cells: pd.DataFrame, mapping: ValuesMapping, file: str
) -> tuple[pd.DataFrame, list[Problem], list[Problem], int]:
    """One value repeated across many units of a period: problems, or excluded with warnings."""
    spec = mapping.suspicious
    group = cells.groupby(["name", "period"], sort=False)["unit_code"].transform("size")
    same = cells.groupby(["name", "period", "value"], sort=False)["unit_code"].transform("size")
    flag = (same >= spec.min_units) & (same >= spec.repeat_share * group)
    if not flag.any():
        return cells, [], [], 0
    flagged = cells[flag].assign(n=same[flag], of=group[flag])
    listed = []
    for (_name, column), part in flagged.groupby(["name", "column"], sort=False):
        periods = sorted(set(part["period"]))
        last = part[part["period"] == periods[-1]].iloc[0]
        span = periods[0] if len(periods) == 1 else f"{len(periods)} periods, {periods[0]}–{periods[-1]}"
        listed.append(Problem(
            f"suspicious: one value repeats across many units of a period ({span}), e.g. "
            f"{last['value']:g} for {last['n']} of {last['of']} units in {periods[-1]}; {len(part):,} values",
            file, int(part[ROW].min()), str(column)))
    if spec.action == "exclude":
        warnings = [Problem("excluded, " + p.reason, p.file, p.row, p.column) for p in listed]
        return cells[~flag], [], warnings, int(flag.sum())
    return cells, listed, [], 0
