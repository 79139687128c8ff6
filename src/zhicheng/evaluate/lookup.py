"""Finding a unit by code or name (Chinese, English or pinyin), and saying why it is not in a run.

``--unit 深圳``, ``--unit 深圳市``, ``--unit Shenzhen`` and ``--unit 440300`` all name the same city.
A name that fits several units lists them (code, name, level, parent); a unit that a run does not
contain gets the reason the run recorded (other level, no data) or, when it is in the run but
not ranked, the share of the common indicator set it has.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import Problem
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.store.schema import evaluation_results, evaluation_runs, units

#: Suffixes of Chinese unit names that people leave out (深圳市 → 深圳, 兴安盟 → 兴安).
_SUFFIXES = ("特别行政区", "土家族苗族自治州", "藏族羌族自治州", "蒙古族藏族自治州", "自治州", "自治县", "地区",
             "林区", "市", "盟", "州", "县", "区", "省")
_NOT_LETTERS = re.compile(r"[^a-z]")


@dataclass(frozen=True)
class UnitRef:
    """A unit found: code, names, level and parent."""

    code: str
    name_zh: str
    name_en: str | None
    level: str
    parent_code: str | None

    def describe(self) -> str:
        """``440300 深圳市 (city, under 440000)``."""
        under = f", under {self.parent_code}" if self.parent_code else ""
        return f"{self.code} {self.name_zh}" + (f" / {self.name_en}" if self.name_en else "") + f" ({self.level}{under})"


def _stem(name: str) -> str:
    """A Chinese name without its administrative suffix (one suffix, longest first)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _latin(text: str) -> str:
    return _NOT_LETTERS.sub("", text.casefold())


def _pinyin(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(_stem(name)))


def find_units(engine: Engine, text: str) -> list[UnitRef]:
    """Units whose code is ``text`` or whose name fits it (exact first, then by stem or pinyin)."""
    text = text.strip()
    u = units
    cols = (u.c.code, u.c.name_zh, u.c.name_en, u.c.level, u.c.parent_code)
    with engine.connect() as conn:
        exact = conn.execute(sa.select(*cols).where(u.c.code == text)).fetchall()
        if exact:
            return [UnitRef(*r) for r in exact]
        rows = [UnitRef(*r) for r in conn.execute(sa.select(*cols).order_by(u.c.code))]
    named = [r for r in rows if r.name_zh == text or (r.name_en or "").casefold() == text.casefold()]
    if named:
        return named
    stem = _stem(text)
    by_stem = [r for r in rows if _stem(r.name_zh) == stem]
    if by_stem:
        return by_stem
    latin = _latin(text)
    if latin and latin == text.casefold().replace(" ", "").replace("-", "").replace("'", ""):
        by_latin = [r for r in rows if latin in {_latin(r.name_en or ""), _latin(_pinyin(r.name_zh))}
                    or _latin((r.name_en or "").split(",")[0]) == latin]
        if by_latin:
            return by_latin
    return [r for r in rows if r.name_zh.startswith(text)] if len(text) >= 2 and not latin else []


def resolve_unit(engine: Engine, text: str, *, prefer: set[str] | None = None) -> UnitRef:
    """The one unit ``text`` names; ``prefer`` (e.g. a run's units) settles a name several units share.

    Raises
    ------
    EvaluationError
        No unit fits (with a hint), or several do (each candidate listed).
    """
    found = find_units(engine, text)
    if len(found) > 1 and prefer:
        preferred = [r for r in found if r.code in prefer]
        if len(preferred) == 1:
            return preferred[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise EvaluationError(f"no unit has the code or name {text!r}: give a unit code (e.g. 440300) or a "
                              "Chinese or English name (深圳, 深圳市, Shenzhen)")
    raise EvaluationError(f"{text!r} names {len(found)} units: give one of their codes",
                          [Problem(r.describe()) for r in sorted(found, key=lambda r: r.code)[:20]])


def _note(engine: Engine, run_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        text = conn.execute(sa.select(evaluation_runs.c.note).where(evaluation_runs.c.id == run_id)).scalar()
    return json.loads(text or "{}")


def absence_reason(engine: Engine, run_id: int, unit: UnitRef | str, lang: str = "zh") -> str:
    """Why ``unit`` has no results in run ``run_id``: other level, no data, or not considered."""
    ref = unit if isinstance(unit, UnitRef) else None
    code = ref.code if ref else str(unit)
    note = _note(engine, run_id)
    reason = (note.get("not_in_run") or {}).get(code)
    level = note.get("level")
    if reason is None and level:
        with engine.connect() as conn:
            own = conn.execute(sa.select(units.c.level).where(units.c.code == code)).scalar()
        if own is not None and own != level:
            reason = f"other_level:{own}"
    if reason and reason.startswith("other_level:"):
        other = reason.split(":", 1)[1]
        return (f"层级不同:该单位为 {other} 级,本次评估比较 {level} 级单位" if lang == "zh" else
                f"other level: the unit is a {other}, the run compares units of level {level}")
    if reason == "no_data" or reason is None:
        return ("无数据:评估期及回溯年份内没有该单位的绩效指标值" if lang == "zh" else
                "no data: the store has no performance indicator value of the unit for the run's period "
                "(or its look-back years)")
    return reason


def rank_reason(engine: Engine, run_id: int, code: str, lang: str = "zh") -> str | None:
    """Why a unit of the run is not ranked (its share of the common set), or None when it is ranked."""
    r = evaluation_results
    with engine.connect() as conn:
        status = conn.execute(sa.select(r.c.rank_status).where(r.c.run_id == run_id, r.c.unit_code == code,
                                                               r.c.level == "index")).scalar()
    if status in (None, "ranked"):
        return None
    note = _note(engine, run_id)
    share = (note.get("left_out") or {}).get(code)
    if status == "sole_unit":
        return ("单独分组:比较组内只有该单位,不参与排名" if lang == "zh" else
                "alone in its comparison group: not ranked against other units")
    need = _min_coverage(engine, run_id)
    have = f"{share:.0%}" if isinstance(share, (int, float)) else "–"
    return (f"数据不足:仅有共同指标集的 {have}(排名至少需要 {need:.0%})" if lang == "zh" else
            f"too little data: {have} of the common indicator set (ranking needs {need:.0%})")


def _min_coverage(engine: Engine, run_id: int) -> float:
    from zhicheng.evaluate.config import stored_config

    with engine.connect() as conn:
        text = conn.execute(sa.select(evaluation_runs.c.config).where(evaluation_runs.c.id == run_id)).scalar()
    try:
        return float(stored_config(text).min_coverage)
    except ValueError:
        return 0.5
