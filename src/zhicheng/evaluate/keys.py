"""The keys of the cells: units resolved by code or name, periods checked."""

from __future__ import annotations

import re

import pandas as pd

from zhicheng.errors import Problem
from zhicheng.evaluate.cells import per_unique
from zhicheng.evaluate.mapping import ValuesMapping
from zhicheng.goals.periods import PERIOD, PERIOD_FORMS
from zhicheng.readers import ROW


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
    bad = ~per_unique(text, lambda s: s.str.match(PERIOD)).astype(bool)
    column = mapping.period.column or "period"
    problems = []
    if bad.any():
        frame = pd.DataFrame({"key": text[bad], ROW: cells.loc[bad, ROW]})
        problems = _group_problems(frame, f"bad period (use {PERIOD_FORMS})", file, column)
    return cells.assign(period=text)[~bad], problems
