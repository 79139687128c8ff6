"""Reading into cells: a source table and its values mapping become one long table of text cells."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from zhicheng.errors import Problem
from zhicheng.evaluate.catalogue import Catalogue
from zhicheng.evaluate.errors import IngestError
from zhicheng.evaluate.mapping import ValuesMapping
from zhicheng.readers import ROW, SourceTable, header_key

#: Cells of a table in long form: source row, unit code, period, series name, text / number.
CELL_COLUMNS = [ROW, "unit_code", "period", "name", "column", "text"]



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
