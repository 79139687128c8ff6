"""Broken input files: each gives located problems (file, row, column, reason) and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from zhicheng.evaluate import IngestError, ingest_file

# case: (data file, mapping file or None, reason fragment, row, column)
CASES: dict[str, tuple[str, str | None, str, int | None, str | None]] = {
    "unknown unit": ("unknown_unit.csv", None, "unknown unit '999999'", 3, "unit"),
    "unknown indicator": ("unknown_indicator.csv", None, "unknown indicator 'D9.R9.I9'", 3, "indicator"),
    "non-numeric value": ("non_numeric.csv", None, "not a number: '15.7万'", 3, "value"),
    "outside plausible range": ("out_of_range.csv", None, "130 is outside the plausible range [0, 100]", 2, "value"),
    "duplicate key": ("duplicate_keys.csv", None, "duplicate key (unit, indicator 'D4.R1.I2', period): same as row 2", 3, None),
    "suspicious repeat": ("suspicious_repeat.csv", None, "250 for 8 of 8 units in 2020", 2, "value"),
    "missing column": ("missing_column.csv", "missing_column.yaml", "missing column", 1, "常住人口(万人)"),
    "empty file": ("empty.csv", None, "file is empty", None, None),
    "header only": ("header_only.csv", None, "no data rows", None, None),
    "bad encoding": ("bad_encoding.csv", None, "bad encoding", 3, None),
    "bad period": ("bad_period.csv", None, "bad period", 3, "period"),
    "fractions for %": ("fractions.csv", None, "shares given as fractions", 2, "value"),
    "bad JSON": ("bad_json.json", None, "not valid JSON", 2, None),
    "not a workbook": ("not_a_workbook.xlsx", None, "not an Excel workbook", None, None),
    "unknown conversion": ("bad_conversion.csv", "bad_conversion.yaml", "unknown unit conversion '万元->米'", 4, None),
    "conversion to the wrong unit": ("wrong_unit_conversion.csv", "wrong_unit_conversion.yaml",
                                     "bad unit conversion for D4.R2.I1: 万元->元 gives 元 but D4.R2.I1 is in %", None, "tertiary"),
    "division by zero": ("division_by_zero.csv", "division_by_zero.yaml", "not finite", 3, "D4.R1.I2 = gdp / pop"),
    "unreadable mapping": ("bad_yaml.csv", "bad_yaml.yaml", "unreadable YAML", 3, None),
    "blank unit": ("blank_unit.csv", None, "empty unit", 3, "unit"),
    "bad boundary": ("bad_boundary.csv", "bad_boundary.yaml", "bad boundary", 2, "boundary"),
    "unknown parent unit": ("unknown_parent.csv", "unknown_parent.yaml", "unknown parent unit '449900'", 2, "parent"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_file_is_refused_with_located_problem_and_store_unchanged(
    shared_store: Engine, case: str, broken: Path, fingerprint: Any
) -> None:
    data, mapping, reason, row, column = CASES[case]
    store = shared_store
    before = fingerprint(store)
    with pytest.raises(IngestError) as info:
        ingest_file(store, broken / data, mapping=None if mapping is None else broken / mapping)
    matching = [p for p in info.value.problems if reason in p.reason]
    assert matching, [str(p) for p in info.value.problems]
    problem = matching[0]
    expected_file = mapping if reason.startswith(("unknown unit conversion", "unreadable YAML", "bad unit conversion")) else data
    assert problem.file is not None and Path(problem.file).name == expected_file
    assert problem.row == row
    assert problem.column == column
    assert str(info.value).endswith("; nothing was written")
    assert fingerprint(store) == before


def test_every_problem_of_a_file_is_reported_at_once(shared_store: Engine, tmp_path: Path, fingerprint: Any) -> None:
    bad = tmp_path / "many.csv"
    bad.write_text(
        "unit,indicator,period,value\n"
        "999999,D4.R1.I2,2020,135000\n"      # unknown unit
        "440100,D9.R9.I9,2020,1\n"           # unknown indicator
        "440300,D4.R1.I2,2020,abc\n"         # not a number
        "440400,D4.R2.I1,2020,250\n"         # outside [0, 100]
        "440600,D4.R1.I2,2020,90000\n"
        "440600,D4.R1.I2,2020,91000\n",      # duplicate key
        encoding="utf-8",
    )
    store = shared_store
    before = fingerprint(store)
    with pytest.raises(IngestError) as info:
        ingest_file(store, bad)
    rows = sorted((p.row, p.reason.split(":")[0].split(" '")[0]) for p in info.value.problems)
    assert rows == [
        (2, "unknown unit"),
        (3, "unknown indicator"),
        (4, "not a number"),
        (5, "D4.R2.I1"),
        (7, "duplicate key (unit, indicator"),
    ]
    assert fingerprint(store) == before


def test_dry_run_validates_without_writing(
    shared_store: Engine, tmp_path: Path, broken: Path, fingerprint: Any
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("unit,indicator,period,value\n440100,D4.R1.I2,2020,135000\n", encoding="utf-8")
    store = shared_store
    before = fingerprint(store)
    report = ingest_file(store, good, dry_run=True)
    assert (report.dry_run, report.values_new, report.batch_id) == (True, 1, None)
    assert fingerprint(store) == before
    with pytest.raises(IngestError):
        ingest_file(store, broken / "unknown_unit.csv", dry_run=True)
