"""The indicators of the values: derived ones computed, unknown ones, fractions for percentages and values outside the plausible range found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from zhicheng.errors import Problem
from zhicheng.evaluate.catalogue import Catalogue
from zhicheng.evaluate.cells import per_unique
from zhicheng.evaluate.derive import DeriveFailure, evaluate_expression
from zhicheng.evaluate.keys import _group_problems
from zhicheng.evaluate.mapping import (
    CONVERSIONS,
    DENOMINATOR_PREFIX,
    KNOWN_UNITS,
    IndicatorSpec,
    ValuesMapping,
    expression_names,
)
from zhicheng.readers import ROW
from zhicheng.store.values import read_values


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
