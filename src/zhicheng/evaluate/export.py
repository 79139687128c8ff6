"""Results as tables for analysts: CSV and JSON for machines, XLSX for people.

CSV and JSON keep the column names of :data:`zhicheng.evaluate.results.RESULT_FRAME_COLUMNS` and
add :data:`PROVENANCE_COLUMNS` after them (the measurement unit, the ingest batch and its source
of each indicator value; the year a value came from is ``value_period``). XLSX is for people: headers
in Chinese or English, numbers rounded by the one formatter's precision (:mod:`zhicheng.numfmt`),
the title and header rows frozen, columns as wide as their text.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng import numfmt
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.evaluate.results import LEVELS, get_run
from zhicheng.goals.statuses import status_label
from zhicheng.store.schema import (
    evaluation_runs,
    framework_versions,
    indicator_values,
    ingest_batches,
)

#: Columns added to the result frame for export (never renamed, only added).
PROVENANCE_COLUMNS = ["unit_of_measure", "source_batch", "source"]

#: XLSX headers: column → (zh, en).
HEADERS: dict[str, tuple[str, str]] = {
    "run_id": ("评估运行", "run"),
    "period": ("评估期", "period"),
    "unit_code": ("单元代码", "unit code"),
    "unit_name_zh": ("单元名称", "unit name (zh)"),
    "unit_name_en": ("单元英文名", "unit name (en)"),
    "group_name": ("所属分组", "group"),
    "level": ("层级", "level"),
    "code": ("指标代码", "code"),
    "code_name_zh": ("名称", "name (zh)"),
    "code_name_en": ("英文名称", "name (en)"),
    "raw_value": ("原始值", "value"),
    "unit_of_measure": ("计量单位", "unit of measure"),
    "value_period": ("数值年份", "value year"),
    "source_batch": ("数据批次", "source batch"),
    "source": ("数据来源", "source"),
    "score": ("得分", "score"),
    "attainment": ("达标度", "attainment"),
    "coverage": ("覆盖率", "coverage"),
    "rank": ("排名", "rank"),
    "grade": ("成熟度等级", "maturity grade"),
    "provisional_grade": ("暂定等级", "provisional grade"),
    "grade_status": ("定级状态", "grade status"),
    "rank_status": ("排名状态", "rank status"),
    "target": ("目标值", "target"),
    "gap": ("差距", "gap"),
    "lift": ("提升潜力", "lift"),
    "change": ("变化", "change"),
    "cagr": ("年均增长率", "CAGR"),
}
#: The XLSX column order (people read the unit, the node and its value first).
XLSX_COLUMNS = ["unit_code", "unit_name_zh", "unit_name_en", "group_name", "code", "code_name_zh", "code_name_en",
                "raw_value", "unit_of_measure", "value_period", "source_batch", "source", "score", "attainment",
                "coverage", "rank", "grade", "provisional_grade", "grade_status", "rank_status", "target", "gap",
                "lift", "change", "cagr", "period", "run_id"]
#: Number formats of the XLSX cells, by column (the precision the cockpit shows).
SCORE_COLUMNS = ("score", "attainment", "lift")
AMOUNT_COLUMNS = ("raw_value", "target", "gap", "change")
SHEET_NAMES = {"index": ("综合指数", "index"), "domain": ("领域", "domains"),
               "requirement": ("要求", "requirements"), "indicator": ("指标", "indicators")}
PRECISION_NOTE = (
    "得分、达标度、提升潜力保留 1 位小数；原始值、目标值、差距最多 2 位小数；覆盖率与年均增长率为百分比（整数）。",
    "Scores, attainment and lift to 1 decimal; values, targets and gaps to at most 2 decimals; "
    "coverage and CAGR as whole percents.",
)
MAX_WIDTH = 60


def _framework_units(engine: Engine, run_id: int) -> dict[str, str]:
    """Indicator id → its measurement unit, from the framework version the run used."""
    with engine.connect() as conn:
        content = conn.execute(
            sa.select(framework_versions.c.content)
            .join(evaluation_runs, evaluation_runs.c.framework_version_id == framework_versions.c.id)
            .where(evaluation_runs.c.id == run_id)).scalar_one()
    doc = json.loads(content)
    return {i["id"]: str(i.get("unit") or "") for d in doc.get("domains", []) for r in d.get("requirements", [])
            for i in r.get("indicators", [])}


def english_name(name_zh: Any) -> str | None:
    """A Chinese place name in pinyin without its administrative suffix (深圳市 → Shenzhen)."""
    if numfmt.is_missing(name_zh) or not str(name_zh):
        return None
    from pypinyin import lazy_pinyin

    from zhicheng.evaluate.lookup import _stem

    text = "".join(lazy_pinyin(_stem(str(name_zh))))
    return text[:1].upper() + text[1:] if text.isascii() else None


def with_provenance(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (of :func:`read_results`) with :data:`PROVENANCE_COLUMNS` added and English names filled.

    The source of an indicator value is the ingest batch its ``(unit, indicator, value_period)`` is
    stored with; rows above the indicator level have none.
    """
    out = frame.copy()
    if out.empty:
        return out.assign(**{c: pd.Series(dtype=object) for c in PROVENANCE_COLUMNS})
    run_id = int(out["run_id"].iloc[0])
    units_of = _framework_units(engine, run_id)
    is_ind = out["level"] == "indicator"
    out["unit_of_measure"] = np.where(is_ind, out["code"].map(units_of).fillna(""), "")
    out["unit_of_measure"] = out["unit_of_measure"].replace("", None)
    inds = out.loc[is_ind & out["value_period"].notna(), ["unit_code", "code", "value_period"]]
    sources = pd.DataFrame(columns=["unit_code", "code", "value_period", "source_batch", "source"])
    if len(inds):
        iv, b = indicator_values, ingest_batches
        stmt = (sa.select(iv.c.unit_code, iv.c.indicator_id.label("code"), iv.c.period.label("value_period"),
                          iv.c.batch_id.label("source_batch"), b.c.source)
                .join(b, b.c.id == iv.c.batch_id)
                .where(iv.c.indicator_id.in_(sorted(set(inds["code"]))),
                       iv.c.period.in_(sorted(set(inds["value_period"].astype(str))))))
        if inds["unit_code"].nunique() <= 500:
            stmt = stmt.where(iv.c.unit_code.in_(sorted(set(inds["unit_code"]))))
        with engine.connect() as conn:
            rows = conn.execute(stmt)
            sources = pd.DataFrame(rows.fetchall(), columns=list(rows.keys()))
    out["value_period"] = out["value_period"].astype(object)
    merged = out.merge(sources, on=["unit_code", "code", "value_period"], how="left")
    merged["source_batch"] = merged["source_batch"].astype("Int64")
    missing_en = merged["unit_name_en"].isna() | (merged["unit_name_en"].astype(str) == "")
    if missing_en.any():
        names = {n: english_name(n) for n in merged.loc[missing_en, "unit_name_zh"].unique()}
        merged.loc[missing_en, "unit_name_en"] = merged.loc[missing_en, "unit_name_zh"].map(names)
    return merged


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(column: str, value: Any, lang: str) -> Any:
    if numfmt.is_missing(value):
        return None
    if column in SCORE_COLUMNS:
        return numfmt.round_to(value, numfmt.SCORE_DECIMALS)
    if column in AMOUNT_COLUMNS:
        return numfmt.round_to(value, numfmt.AMOUNT_DECIMALS)
    if column in ("coverage", "cagr"):
        return numfmt.round_to(value, numfmt.PERCENT_DECIMALS + 2)
    if column in ("rank_status", "grade_status"):
        return status_label(value, lang)
    if column in ("rank", "grade", "provisional_grade", "run_id", "source_batch"):
        return int(value)
    return value if isinstance(value, str) else (value.item() if hasattr(value, "item") else value)


def _number_format(column: str) -> str | None:
    if column in SCORE_COLUMNS:
        return "0.0"
    if column in AMOUNT_COLUMNS:
        return "#,##0.00"
    if column in ("coverage", "cagr"):
        return "0%"
    return None


def write_xlsx(frame: pd.DataFrame, path: Path, levels: list[str], lang: str = "zh") -> Path:
    """People's workbook: one sheet per level asked, a title row, a header row (both frozen)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    li = 0 if lang == "zh" else 1
    wb = Workbook()
    wb.remove(wb.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for level in levels:
        part = frame[frame["level"] == level]
        ws = wb.create_sheet(level)
        ws.title = level
        cols = [c for c in XLSX_COLUMNS if c in part.columns]
        if level != "indicator":
            cols = [c for c in cols if c not in ("raw_value", "unit_of_measure", "value_period", "source_batch",
                                                 "source", "target", "gap", "lift")]
        run = f"{part['run_id'].iloc[0]}" if len(part) else "–"
        period = f"{part['period'].iloc[0]}" if len(part) else "–"
        title = (f"{SHEET_NAMES[level][0]} · 评估期 {period} · 运行 {run} · {PRECISION_NOTE[0]}" if li == 0
                 else f"{SHEET_NAMES[level][1]} · period {period} · run {run} · {PRECISION_NOTE[1]}")
        ws.append([title])
        ws.cell(row=1, column=1).font = bold
        ws.append([HEADERS[c][li] for c in cols])
        widths = [_display_width(HEADERS[c][li]) for c in cols]
        for record in part[cols].itertuples(index=False, name=None):
            row = [_cell(c, v, lang) for c, v in zip(cols, record, strict=True)]
            ws.append(row)
            for j, (c, v) in enumerate(zip(cols, row, strict=True)):
                shown = (numfmt.score(v) if c in SCORE_COLUMNS else numfmt.amount(v, lang) if c in AMOUNT_COLUMNS
                         else numfmt.percent(v) if c in ("coverage", "cagr") else str(v if v is not None else ""))
                widths[j] = max(widths[j], _display_width(shown))
        for j, c in enumerate(cols, start=1):
            head = ws.cell(row=2, column=j)
            head.font, head.fill, head.alignment = bold, fill, Alignment(wrap_text=False)
            fmt = _number_format(c)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                    cell.number_format = fmt
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, widths[j - 1] + 2)
        ws.freeze_panes = "A3"
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path


def export(frame: pd.DataFrame, path: Path | None, fmt: str, *, levels: list[str], lang: str = "zh") -> str | Path:
    """Write ``frame`` (with provenance) as ``csv``, ``json`` or ``xlsx``; without ``path``, the text."""
    if lang not in ("zh", "en"):
        raise EvaluationError(f"unknown language {lang!r}: use zh or en")
    if fmt == "xlsx":
        if path is None:
            raise EvaluationError("--format xlsx needs --out FILE.xlsx")
        return write_xlsx(frame, path, levels, lang)
    if fmt == "csv":
        text = frame.to_csv(index=False)
    elif fmt == "json":
        text = frame.to_json(orient="records", force_ascii=False, indent=1)
    else:
        raise EvaluationError(f"unknown format {fmt!r}: use csv, json or xlsx")
    if path is None:
        return text
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    tmp.replace(path)
    return path


def results_table(engine: Engine, run_id: int | None, level: str, unit: str | None = None) -> tuple[pd.DataFrame,
                                                                                                     list[str]]:
    """The results of ``level`` (or ``all``) with provenance, and the levels they hold."""
    from zhicheng.evaluate.results import read_results

    if level not in (*LEVELS, "all"):
        raise EvaluationError(f"unknown level {level!r}: use one of {', '.join(LEVELS)} or all")
    get_run(engine, run_id)
    frame = read_results(engine, run_id, level=None if level == "all" else level, unit=unit)
    return with_provenance(engine, frame), list(LEVELS) if level == "all" else [level]
