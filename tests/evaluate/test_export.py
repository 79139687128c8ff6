"""`zhicheng results` as tables for analysts: the level asked, provenance columns, XLSX for people."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from zhicheng.cli import app
from zhicheng.evaluate.results import RESULT_FRAME_COLUMNS

runner = CliRunner()


def _csv(db: str, level: str) -> pd.DataFrame:
    out = runner.invoke(app, ["results", "--level", level, "--format", "csv", "--db", db])
    assert out.exit_code == 0, out.output
    return pd.read_csv(io.StringIO(out.output), dtype={"unit_code": str, "value_period": str})


@pytest.mark.parametrize("level", ["index", "domain", "requirement", "indicator"])
def test_each_format_writes_exactly_the_level_asked(report_db: tuple[str, int], level: str, tmp_path: Path) -> None:
    db, _ = report_db
    assert set(_csv(db, level)["level"]) == {level}
    js = runner.invoke(app, ["results", "--level", level, "--format", "json", "--db", db])
    assert {r["level"] for r in json.loads(js.output)} == {level}
    out = tmp_path / "r.xlsx"
    xl = runner.invoke(app, ["results", "--level", level, "--format", "xlsx", "--out", str(out), "--db", db])
    assert xl.exit_code == 0, xl.output
    assert load_workbook(out).sheetnames == [level]


def test_all_levels_and_the_machine_columns_are_kept(report_db: tuple[str, int]) -> None:
    db, _ = report_db
    every = _csv(db, "all")
    assert set(every["level"]) == {"index", "domain", "requirement", "indicator"}
    # CSV/JSON keep every column they had, in the same order, and add the provenance after them.
    assert list(every.columns[: len(RESULT_FRAME_COLUMNS)]) == RESULT_FRAME_COLUMNS
    assert list(every.columns[len(RESULT_FRAME_COLUMNS):]) == ["unit_of_measure", "source_batch", "source"]


def test_indicator_values_carry_unit_year_and_source(report_db: tuple[str, int]) -> None:
    db, _ = report_db
    inds = _csv(db, "indicator")
    valued = inds[inds["raw_value"].notna()]
    assert len(valued) > 20
    gdp = valued[valued["code"] == "D4.R1.I2"]
    assert set(gdp["unit_of_measure"]) == {"CNY/person"}  # the goal model's unit of GDP per person
    assert set(gdp["value_period"]) == {"2020"}
    assert gdp["source"].str.contains("china_300_cities_macro").all()
    assert gdp["source_batch"].notna().all()
    # The context indicators (census 2020) have their own year and unit too.
    old = valued[valued["code"] == "D1.R7.I6"]
    assert set(old["value_period"]) == {"2020"} and old["unit_of_measure"].notna().all()
    # Rows above the indicator level have no measurement unit or source.
    doms = _csv(db, "domain")
    assert doms["unit_of_measure"].isna().all() and doms["source"].isna().all()
    # unit_name_en is filled (the store has it, or the pinyin of the Chinese name).
    assert inds["unit_name_en"].notna().all()


@pytest.mark.parametrize(("lang", "score_head", "unit_head", "title_word"),
                         [("zh", "得分", "单元名称", "评估期"), ("en", "score", "unit name (zh)", "period")])
def test_xlsx_is_for_people(report_db: tuple[str, int], tmp_path: Path, lang: str, score_head: str,
                            unit_head: str, title_word: str) -> None:
    db, _ = report_db
    out = tmp_path / f"results-{lang}.xlsx"
    args = ["results", "--level", "all", "--format", "xlsx", "--out", str(out), "--lang", lang, "--db", db]
    assert runner.invoke(app, args).exit_code == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["index", "domain", "requirement", "indicator"]
    ws = wb["indicator"]
    assert title_word in str(ws.cell(1, 1).value)  # the title row states the precision
    heads = [c.value for c in ws[2]]
    assert score_head in heads and unit_head in heads
    assert ws.freeze_panes == "A3"  # title and header rows frozen
    col = heads.index(score_head) + 1
    scores = [ws.cell(r, col).value for r in range(3, ws.max_row + 1)]
    numbers = [s for s in scores if s is not None]
    assert numbers and all(round(s, 1) == s for s in numbers)
    assert ws.cell(3, col).number_format == "0.0"
    # Columns are as wide as their text: the name column is wider than the code column.
    name_col = heads.index(unit_head)
    from openpyxl.utils import get_column_letter

    widths = {h: ws.column_dimensions[get_column_letter(i + 1)].width for i, h in enumerate(heads)}
    longest = max(len(str(ws.cell(r, name_col + 1).value or "")) for r in range(3, ws.max_row + 1))
    assert widths[unit_head] >= 2 * longest  # CJK characters count double
    # The rounded scores are the CSV's scores rounded to one decimal.
    csv = _csv(db, "indicator")
    expected = sorted(round(v, 1) for v in csv["score"].dropna())
    assert sorted(numbers) == pytest.approx(expected, abs=1e-9)
    uom = heads.index("计量单位" if lang == "zh" else "unit of measure") + 1
    assert any(ws.cell(r, uom).value == "CNY/person" for r in range(3, ws.max_row + 1))
    en_col = heads.index("单元英文名" if lang == "zh" else "unit name (en)") + 1
    assert all(ws.cell(r, en_col).value for r in range(3, ws.max_row + 1))


def test_xlsx_without_out_and_bad_lang_are_clear_errors(report_db: tuple[str, int]) -> None:
    db, _ = report_db
    no_out = runner.invoke(app, ["results", "--format", "xlsx", "--db", db])
    assert no_out.exit_code == 2 and "--out" in no_out.output
    bad = runner.invoke(app, ["results", "--lang", "fr", "--db", db])
    assert bad.exit_code == 2 and "unknown language" in bad.output
