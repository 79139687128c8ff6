"""Data intake: a file (CSV, XLSX, JSON; long or wide) and its mapping become stored indicator values.

The path is: read every cell as text → resolve units and periods → parse numbers and convert units
→ check (unknown units and indicators, non-numeric values, duplicates, suspicious repeats,
fractions given for percentages, values outside the plausible range) → derive indicators → write.
Every check is vectorised over the whole table and every problem is collected before anything is
written; the write is one transaction, and a file already ingested (same checksum of data and
mapping) or whose values are all already stored changes nothing.
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.evaluate.catalogue import Catalogue
from zhicheng.evaluate.derive import DeriveFailure, evaluate_expression
from zhicheng.evaluate.errors import IngestError
from zhicheng.evaluate.ingest_report import IngestReport
from zhicheng.evaluate.mapping import (
    CONVERSIONS,
    DENOMINATOR_PREFIX,
    KNOWN_UNITS,
    IndicatorSpec,
    Mapping,
    UnitsMapping,
    ValuesMapping,
    checksum,
    expression_names,
    load_mapping,
)
from zhicheng.evaluate.units import ingest_units
from zhicheng.readers import ROW, ReadFailure, SourceTable, header_key, read_source
from zhicheng.store.values import (
    batch_with_checksum,
    new_batch,
    read_units,
    read_values,
    write_values,
)

#: Cells of a table in long form: source row, unit code, period, series name, text / number.
CELL_COLUMNS = [ROW, "unit_code", "period", "name", "column", "text"]
_PERIOD = re.compile(r"^\d{4}(-\d{2}|-\d{2}-\d{2}|Q[1-4]|H[12])?$")
#: Tolerance under which a re-ingested value counts as unchanged.
RTOL = 1e-12

Progress = Callable[[str], None]


def _no_progress(_message: str) -> None:
    return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


# --------------------------------------------------------------------------- reading into cells


def per_unique(series: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a text operation to the distinct values only and spread the result back.

    Keys (units, periods, indicator names) repeat across a long file: this keeps string work
    proportional to the number of distinct keys, not to the number of rows.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    done = func(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    if done.dtype == object and all(isinstance(v, bool) for v in done):
        return pd.Series(done.astype(bool)[codes], index=series.index)
    # The result stays categorical: later grouping and duplicate checks work on integer codes.
    result_codes, categories = pd.factorize(done, use_na_sentinel=True)
    values = pd.Categorical.from_codes(result_codes[codes], categories=pd.Index(categories))
    return pd.Series(values, index=series.index)


def _default_mapping(source: SourceTable, catalogue: Catalogue) -> ValuesMapping:
    """The mapping a file without one is read with: long if it has indicator/value columns."""
    cols = set(source.frame.columns)
    if {"indicator", "value"} <= cols:
        return ValuesMapping(layout="long")
    return ValuesMapping(layout="wide")


def _missing_columns(source: SourceTable, mapping: ValuesMapping, needed: list[str]) -> list[Problem]:
    have = set(source.frame.columns)
    return [
        Problem("missing column (the mapping or layout needs it)", source.name, 1, col)
        for col in dict.fromkeys(needed)
        if header_key(col) not in have
    ]


def _wide_series(source: SourceTable, mapping: ValuesMapping, catalogue: Catalogue) -> dict[str, str]:
    """Series name -> file column, for the wide layout (one period's names)."""
    if mapping.columns:
        return {name: spec.column for name, spec in mapping.columns.items()}
    skip = {ROW, mapping.unit.column, mapping.period.column}
    return {c: c for c in source.frame.columns if c not in skip}


def _periods_of(frame: pd.DataFrame, mapping: ValuesMapping) -> list[tuple[str, pd.Series]]:
    spec = mapping.period
    if spec.column is not None:
        return [("", frame[header_key(spec.column)].astype(str))]
    if spec.value is not None:
        return [("", pd.Series(spec.value, index=frame.index))]
    return [(p, pd.Series(p, index=frame.index)) for p in spec.values or []]


def _cells(source: SourceTable, mapping: ValuesMapping, catalogue: Catalogue) -> pd.DataFrame:
    """The table as long cells (see :data:`CELL_COLUMNS`), unit and period still as text."""
    frame = source.frame
    unit_col = header_key(mapping.unit.column)
    parts = []
    if mapping.layout == "long":
        needed = [mapping.unit.column, mapping.indicator_column, mapping.value_column]
        needed += [mapping.period.column] if mapping.period.column else []
        problems = _missing_columns(source, mapping, needed)
        if problems:
            raise IngestError(problems)
        for _, period in _periods_of(frame, mapping):
            parts.append(pd.DataFrame({
                ROW: frame[ROW], "unit_code": frame[unit_col], "period": period,
                "name": per_unique(frame[header_key(mapping.indicator_column)], lambda s: s.str.strip()),
                "column": header_key(mapping.value_column), "text": frame[header_key(mapping.value_column)],
            }))
        return pd.concat(parts, ignore_index=True)
    series = _wide_series(source, mapping, catalogue)
    needed = [mapping.unit.column] + ([mapping.period.column] if mapping.period.column else [])
    for tag in mapping.period.values or [""]:
        needed += [col.replace("{period}", tag) for col in series.values()]
    problems = _missing_columns(source, mapping, needed)
    if problems:
        raise IngestError(problems)
    periods = _periods_of(frame, mapping)
    for tag, period in periods:
        for name, col in series.items():
            key = header_key(col.replace("{period}", tag))
            parts.append(pd.DataFrame({
                ROW: frame[ROW], "unit_code": frame[unit_col], "period": period,
                "name": name, "column": key, "text": frame[key],
            }))
    if not parts:
        raise IngestError([Problem("no value columns to read (give `columns:` in the mapping)", source.name, 1)])
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- keys


def _group_problems(bad: pd.DataFrame, what: str, file: str, column: str) -> list[Problem]:
    """One problem per distinct bad key, at its first row, counting the other rows."""
    first = bad.groupby("key", sort=False)[ROW].agg(["min", "nunique"])
    out = []
    for key, (row, count) in first.iterrows():
        more = f" (and {count - 1} more rows)" if count > 1 else ""
        out.append(Problem(f"{what} {key!r}{more}", file, int(row), column))
    return out


def _resolve_units(
    cells: pd.DataFrame, mapping: ValuesMapping, known: pd.DataFrame, file: str
) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Replace unit text by store codes; returns cells, problems and warnings (skipped units)."""
    spec = mapping.unit
    def clean(s: pd.Series) -> pd.Series:
        s = s.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
        return s.replace(spec.recode) if spec.recode else s

    text = per_unique(cells["unit_code"], clean)
    if spec.by == "name":
        lookup = name_lookup(known, spec.level)
        codes = per_unique(text, lambda s: short_name(s).map(lookup))
    else:
        pool = set((known if spec.level is None else known[known["level"] == spec.level])["code"])
        codes = per_unique(text, lambda s: s.where(s.isin(pool)))
    shown = text
    blank = text == ""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if blank.any():
        rows = cells.loc[blank, ROW].drop_duplicates()
        problems += [Problem("empty unit", file, int(r), spec.column) for r in rows]
    unknown = codes.isna() & ~blank
    if unknown.any():
        bad = pd.DataFrame({"key": shown[unknown], ROW: cells.loc[unknown, ROW]})
        listed = _group_problems(bad, "unknown unit", file, spec.column)
        if spec.unknown == "skip":
            warnings += [Problem("skipped: " + p.reason, p.file, p.row, p.column) for p in listed]
        else:
            problems += listed
    out = cells.assign(unit_code=codes)
    return out[codes.notna()], problems, warnings


#: Peoples named in the names of autonomous regions and prefectures (壮族自治区, 朝鲜族自治州 …).
_PEOPLES = "朝鲜|土家|苗|侗|布依|彝|哈尼|傣|景颇|白|傈僳|藏|羌|回|蒙古|哈萨克|柯尔克孜|壮|维吾尔"
# Some names drop 族 (新疆维吾尔自治区, 博尔塔拉蒙古自治州); 内蒙古 keeps its 蒙古.
_SHORT = re.compile(
    rf"(?:(?:{_PEOPLES})族|维吾尔|柯尔克孜|(?<=..)蒙古)*自治[州区县旗]$|特别行政区$|地区$|[省市盟]$"
)


def short_name(names: pd.Series) -> pd.Series:
    """Chinese place names without their type suffix (省, 市, 自治州, 地区, 盟 …): 保定市 → 保定."""
    return names.astype(str).str.strip().str.replace(_SHORT, "", regex=True)


def name_lookup(known: pd.DataFrame, level: str | None) -> pd.Series:
    """Short name → unit code, also under the parent's short name as prefix (河北保定 → 130600).

    Names that would match two units are left out (they must be given by code).
    """
    pool = known if level is None else known[known["level"] == level]
    parents = known.set_index("code")["name_zh"]
    short = short_name(pool["name_zh"])
    parent_short = short_name(pool["parent_code"].map(parents).fillna(""))
    # Autonomous prefectures are also called by short name + 州 (恩施土家族苗族自治州 → 恩施州).
    prefecture = pool["name_zh"].str.endswith("自治州")
    short_zhou = short[prefecture] + "州"
    keys = pd.concat([short, parent_short + short, short_zhou, parent_short[prefecture] + short_zhou],
                     ignore_index=True)
    codes = pd.concat([pool["code"], pool["code"], pool["code"][prefecture], pool["code"][prefecture]],
                      ignore_index=True)
    table = pd.DataFrame({"key": keys, "code": codes}).drop_duplicates()
    table = table[table["key"] != ""].drop_duplicates("key", keep=False)
    return table.set_index("key")["code"]


def _resolve_periods(cells: pd.DataFrame, mapping: ValuesMapping, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    text = per_unique(cells["period"],
                      lambda s: s.astype(str).str.strip().str.replace(r"^(\d{4})\.0$", r"\1", regex=True))
    bad = ~per_unique(text, lambda s: s.str.match(_PERIOD)).astype(bool)
    column = mapping.period.column or "period"
    problems = []
    if bad.any():
        frame = pd.DataFrame({"key": text[bad], ROW: cells.loc[bad, ROW]})
        problems = _group_problems(frame, "bad period (use YYYY, YYYY-MM, YYYYQn or YYYYHn)", file, column)
    return cells.assign(period=text)[~bad], problems


# --------------------------------------------------------------------------- numbers


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


# --------------------------------------------------------------------------- indicators


def _series_label(spec: IndicatorSpec, mapping: ValuesMapping) -> str:
    if spec.expr is not None:
        return spec.expr
    src = spec.source or ""
    return mapping.columns[src].column if src in mapping.columns else src


def _store_inputs(conn: sa.Connection, cells: pd.DataFrame, mapping: ValuesMapping) -> pd.DataFrame:
    """Series the mapping reads from the store, as cells (same unit and period as the file)."""
    if not mapping.store_inputs:
        return cells.iloc[:0]
    ids = {v: k for k, v in mapping.store_inputs.items()}
    stored = read_values(conn, periods=set(cells["period"]), indicators=set(ids), units_=set(cells["unit_code"]))
    return pd.DataFrame({
        ROW: -1, "unit_code": stored["unit_code"], "period": stored["period"],
        "name": stored["indicator_id"].map(ids), "column": "(store)", "value": stored["value"],
    })


def _missing_inputs(ind: str, expr: str, wide: pd.DataFrame, mapping: ValuesMapping, file: str) -> list[Problem]:
    """Warn when an expression's inputs are only partly there (so some values cannot be derived)."""
    names = sorted(expression_names(expr))
    present = pd.DataFrame({n: wide[n].notna() if n in wide.columns else False for n in names}, index=wide.index)
    # Rows with a value in the file but some input missing (store-only rows are not this file's).
    in_file = [n for n in names if n not in mapping.store_inputs] or names
    partial = present[in_file].any(axis=1) & ~present.all(axis=1)
    out = []
    for name in names:
        lacking = int((partial & ~present[name]).sum())
        if lacking:
            where = f"store {mapping.store_inputs[name]}" if name in mapping.store_inputs else "file"
            out.append(Problem(f"{ind} not derived for {lacking} unit-periods: no value of {name!r} ({where})",
                               file, None, expr))
    return out


def _derive(cells: pd.DataFrame, stored: pd.DataFrame, mapping: ValuesMapping,
            file: str) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Indicator values from the cells: identity, one series each (``from``), or expressions.

    Returns the values, the problems and the warnings (inputs partly missing).
    """
    if not mapping.indicators:
        return cells.rename(columns={"name": "indicator_id"}), [], []
    parts = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    wide: pd.DataFrame | None = None
    rows: pd.Series | None = None
    for ind, spec in mapping.indicators.items():
        if spec.source is not None:
            sub = cells[cells["name"] == spec.source]
            parts.append(sub.assign(indicator_id=ind, value=sub["value"] * spec.factor()))
            continue
        if wide is None:
            both = pd.concat([cells, stored], ignore_index=True)
            wide = both.pivot_table(index=["unit_code", "period"], columns="name", values="value", aggfunc="first")
            rows = cells.groupby(["unit_code", "period"])[ROW].min()
        try:
            values = evaluate_expression(spec.expr or "", wide) * spec.factor()
        except DeriveFailure as exc:
            problems.append(Problem(f"{ind}: {exc}", file, None, spec.expr))
            continue
        warnings += _missing_inputs(ind, spec.expr or "", wide, mapping, file)
        assert rows is not None
        frame = values.rename("value").reset_index()
        frame[ROW] = rows.reindex(values.index).to_numpy()
        frame["indicator_id"] = ind
        frame["column"] = f"{ind} = {spec.expr}"
        parts.append(frame)
    if not parts:
        return cells.iloc[:0].assign(indicator_id=[]), problems, warnings
    out = pd.concat(parts, ignore_index=True)
    out = out[out["value"].notna()]
    inf = np.isinf(out["value"])
    if inf.any():
        problems += [Problem(f"{i}: derived value is not finite (division by zero?)", file, int(r) if r >= 0 else None, c)
                     for i, r, c in zip(out.loc[inf, "indicator_id"], out.loc[inf, ROW], out.loc[inf, "column"], strict=True)]
        out = out[~inf]
    return out, problems, warnings


def _unknown_indicators(values: pd.DataFrame, catalogue: Catalogue, file: str, column: str) -> list[Problem]:
    ids = values["indicator_id"]
    known = per_unique(ids, lambda s: s.isin(catalogue.ids) | s.str.startswith(DENOMINATOR_PREFIX))
    bad = ~known.astype(bool)
    if not bad.any():
        return []
    frame = pd.DataFrame({"key": ids[bad], ROW: values.loc[bad, ROW]})
    return _group_problems(frame, "unknown indicator", file, column)


def _fractions(values: pd.DataFrame, catalogue: Catalogue, file: str) -> list[Problem]:
    """Shares given as fractions (0–1) for an indicator measured in %."""
    pct = catalogue.percent_ids()
    sub = values[values["indicator_id"].isin(pct)]
    if sub.empty:
        return []
    stats = sub.groupby("indicator_id").agg(lo=("value", "min"), hi=("value", "max"), n=("value", "size"),
                                            row=(ROW, "min"), column=("column", "first"))
    odd = stats[(stats["n"] >= 5) & (stats["lo"] >= 0) & (stats["hi"] <= 1.0)]
    return [Problem(f"{ind} is in % but every value lies between 0 and 1: shares given as fractions? "
                    "Declare `convert: fraction->%` in the mapping", file, int(r["row"]), str(r["column"]))
            for ind, r in odd.iterrows()]


def _plausible(values: pd.DataFrame, catalogue: Catalogue, file: str) -> tuple[pd.Series, list[Problem]]:
    """Values outside their indicator's plausible range: the mask and one problem each."""
    lo = values["indicator_id"].map(catalogue.low).astype(float)
    hi = values["indicator_id"].map(catalogue.high).astype(float)
    v = values["value"]
    bad = (v < lo) | (v > hi)
    if not bad.any():
        return bad, []
    b = values[bad]
    return bad, [Problem(f"{i}: {val:g} is outside the plausible range [{lo_:g}, {hi_:g}]", file,
                    int(r) if r >= 0 else None, c)
            for i, val, lo_, hi_, r, c in zip(b["indicator_id"], b["value"], lo[bad], hi[bad], b[ROW], b["column"], strict=True)]


def _conversion_units(mapping: ValuesMapping, catalogue: Catalogue, file: str) -> list[Problem]:
    """A direct mapping whose conversion yields a unit other than the indicator's."""
    problems = []
    for ind, spec in mapping.indicators.items():
        conv = spec.convert or (mapping.columns[spec.source].convert if spec.source in mapping.columns else None)
        unit = catalogue.unit.get(ind)
        if spec.expr is not None or conv is None or unit is None:
            continue
        target = CONVERSIONS[conv].target
        if unit in KNOWN_UNITS and unit != target:
            problems.append(Problem(f"bad unit conversion for {ind}: {conv} gives {target} but {ind} is in {unit}",
                                    file, None, spec.source))
    return problems


# --------------------------------------------------------------------------- the whole path


@dataclass
class _Prepared:
    values: pd.DataFrame
    warnings: list[Problem]
    excluded: int
    rows: int


def _prepare(conn: sa.Connection, source: SourceTable, mapping: ValuesMapping, catalogue: Catalogue,
             mapping_name: str) -> _Prepared:
    """Read, resolve, parse, check and derive; raises :class:`IngestError` with every problem."""
    file = source.name
    problems = _conversion_units(mapping, catalogue, mapping_name)
    cells = _cells(source, mapping, catalogue)
    known = read_units(conn)
    cells, unit_problems, warnings = _resolve_units(cells, mapping, known, file)
    cells, period_problems = _resolve_periods(cells, mapping, file)
    cells, number_problems = _parse_numbers(cells, mapping, file)
    problems += unit_problems + period_problems + number_problems
    problems += _duplicates(cells, file, mapping.layout)
    cells = cells.drop_duplicates(["unit_code", "period", "name"])
    cells, suspicious, excluded_warn, excluded_repeats = _suspicious(cells, mapping, file)
    problems += suspicious
    warnings += excluded_warn
    stored = _store_inputs(conn, cells, mapping)
    values, derive_problems, derive_warnings = _derive(cells, stored, mapping, file)
    problems += derive_problems
    warnings += derive_warnings
    column = mapping.indicator_column if mapping.layout == "long" else "(header)"
    problems += _unknown_indicators(values, catalogue, file, column)
    problems += _fractions(values, catalogue, file)
    outside, range_problems = _plausible(values, catalogue, file)
    excluded = 0
    if mapping.out_of_range == "exclude":
        warnings += [Problem("excluded, " + p.reason, p.file, p.row, p.column) for p in range_problems]
        values, excluded = values[~outside], int(outside.sum())
    else:
        problems += range_problems
    if problems:
        raise IngestError(problems)
    return _Prepared(values, warnings, excluded + excluded_repeats, len(source.frame))


def split_stored(conn: sa.Connection, values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Split values into new, changed and unchanged against the store (one query)."""
    keys = ["unit_code", "indicator_id", "period"]
    existing = read_values(conn, periods=values["period"].unique().tolist(),
                           indicators=values["indicator_id"].unique().tolist())
    if existing.empty:
        return values, values.iloc[:0], 0
    merged = values.merge(existing[[*keys, "value"]], on=keys, how="left", suffixes=("", "_old"))
    is_new = merged["value_old"].isna()
    same = ~is_new & np.isclose(merged["value"], merged["value_old"], rtol=RTOL, atol=0.0)
    changed = merged[~is_new & ~same]
    return merged[is_new], changed, int(same.sum())


def _conversions(mapping: ValuesMapping) -> tuple[str, ...]:
    """The unit conversions a mapping applies, as ``column: conversion`` lines."""
    out = [f"{spec.column}: {spec.convert}" for spec in mapping.columns.values() if spec.convert]
    out += [f"{ind} ({_series_label(spec, mapping)}): {spec.convert}"
            for ind, spec in mapping.indicators.items() if spec.convert]
    return tuple(out)


def _ingest_values(engine: Engine, source: SourceTable, mapping: ValuesMapping, catalogue: Catalogue,
                   digest: str, mapping_name: str, dry_run: bool, user: str, progress: Progress) -> IngestReport:
    with engine.begin() as conn:
        progress(f"checking {len(source.frame):,} rows")
        prepared = _prepare(conn, source, mapping, catalogue, mapping_name)
        values = prepared.values
        new, changed, unchanged = split_stored(conn, values)
        report = IngestReport(
            source=source.name, checksum=digest, dry_run=dry_run, rows_read=prepared.rows,
            values_new=len(new), values_updated=len(changed), values_unchanged=unchanged,
            values_excluded=prepared.excluded,
            indicators={str(k): int(v) for k, v in values["indicator_id"].value_counts().sort_index().items() if v},
            conversions=_conversions(mapping),
            warnings=tuple(prepared.warnings),
        )
        if dry_run or (new.empty and changed.empty):
            return report
        note = json.dumps({"excluded": prepared.excluded, "warnings": [str(w) for w in prepared.warnings[:200]],
                           "mapping": mapping_name}, ensure_ascii=False)
        batch = new_batch(conn, source=source.name, checksum=digest, ingested_by=user,
                          row_count=len(new) + len(changed), note=note)
        progress(f"writing {len(new) + len(changed):,} values")
        write_values(conn, new, changed, batch)
    return _replace(report, batch_id=batch)


def _replace(report: IngestReport, **changes: Any) -> IngestReport:
    from dataclasses import replace

    return replace(report, **changes)


def ingest_file(
    engine: Engine,
    path: str | Path,
    *,
    mapping: str | Path | None = None,
    catalogue: Catalogue | None = None,
    dry_run: bool = False,
    ingested_by: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Validate ``path`` with its ``mapping`` and write its values (or units) in one transaction.

    Parameters
    ----------
    engine
        An initialised store (:func:`zhicheng.store.init_store`).
    path
        CSV (optionally ``.gz``), XLSX or JSON file.
    mapping
        Mapping YAML (see :mod:`zhicheng.evaluate.mapping`); without one, the file must use
        indicator ids and store unit codes, in the long (unit, indicator, period, value) or the
        wide (unit, period, one column per indicator id) layout.
    catalogue
        The indicators values may be given for (default: the built-in framework's).
    dry_run
        Validate and report only; nothing is written.
    ingested_by
        Who ingests (stored with the batch; default: the login name).
    progress
        Called with a short message at each stage (``checking …``, ``writing …``).

    Raises
    ------
    IngestError
        With every problem found (file, row, column, reason); nothing has been written.
    """
    progress = progress or _no_progress
    path = Path(path)
    catalogue = catalogue or Catalogue.builtin()
    model: Mapping
    if mapping is not None:
        model, mapping_raw, problems = load_mapping(Path(mapping))
        if problems:
            raise IngestError(problems)
        mapping_name = str(mapping)
    else:
        model, mapping_raw, mapping_name = ValuesMapping(), b"", "(no mapping)"
    try:
        source = read_source(path, encoding=model.encoding, sheet=model.sheet)
    except ReadFailure as exc:
        raise IngestError([exc.problem]) from None
    digest = checksum(source.raw, mapping_raw)
    with engine.connect() as conn:
        earlier = batch_with_checksum(conn, digest)
    if earlier is not None:
        return IngestReport(source=source.name, checksum=digest, dry_run=dry_run,
                            already_ingested_as=earlier, rows_read=len(source.frame))
    user = ingested_by or _user()
    if isinstance(model, UnitsMapping):
        return ingest_units(engine, source, model, digest, dry_run=dry_run, user=user)
    if mapping is None:
        model = _default_mapping(source, catalogue)
    return _ingest_values(engine, source, model, catalogue, digest, mapping_name, dry_run, user, progress)
