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
from zhicheng.evaluate.cells import CELL_COLUMNS, _cells, _default_mapping, per_unique
from zhicheng.evaluate.errors import IngestError
from zhicheng.evaluate.indicator_checks import (
    _conversion_units,
    _derive,
    _fractions,
    _plausible,
    _series_label,
    _store_inputs,
    _unknown_indicators,
)
from zhicheng.evaluate.ingest_report import IngestReport
from zhicheng.evaluate.keys import _resolve_periods, _resolve_units, name_lookup, short_name
from zhicheng.evaluate.mapping import Mapping, UnitsMapping, ValuesMapping, checksum, load_mapping
from zhicheng.evaluate.numbers import _duplicates, _parse_numbers, _suspicious
from zhicheng.evaluate.units import ingest_units
from zhicheng.readers import ReadFailure, SourceTable, read_source
from zhicheng.store.values import (
    batch_with_checksum,
    new_batch,
    read_units,
    read_values,
    write_values,
)

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

__all__ = [
    "CELL_COLUMNS",
    "Progress",
    "RTOL",
    "ingest_file",
    "name_lookup",
    "per_unique",
    "short_name",
    "split_stored",
]
