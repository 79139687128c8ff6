"""Reading stored evaluation runs: results by level, a unit's gaps to targets, and exports.

These are the functions the CLI, the API and the cockpit read evaluation results with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.evaluate.errors import EvaluationError
from zhicheng.store.schema import evaluation_results, evaluation_runs, framework_versions, units

if TYPE_CHECKING:
    from zhicheng.goals.model import Framework

LEVELS = ("index", "domain", "requirement", "indicator")
#: Columns of :func:`read_results` (the first 21 as before rules 2; the last four added with them).
RESULT_FRAME_COLUMNS = ["run_id", "period", "unit_code", "unit_name_zh", "unit_name_en", "group_name", "level", "code",
                        "code_name_zh", "code_name_en", "raw_value", "score", "rank", "grade", "coverage", "target",
                        "gap", "lift", "change", "cagr", "value_period", "attainment", "rank_status", "grade_status",
                        "provisional_grade"]


@dataclass(frozen=True)
class RunInfo:
    """One stored run: id, period, base period, framework, unit count, when, and units left out."""

    run_id: int
    period: str
    base_period: str | None
    framework_id: str
    framework_version: str
    unit_count: int
    created_at: Any
    left_out: dict[str, float]
    config: str


def list_runs(engine: Engine) -> list[RunInfo]:
    """Every stored run, newest first."""
    r, fv = evaluation_runs, framework_versions
    stmt = (sa.select(r.c.id, r.c.period, r.c.base_period, fv.c.framework_id, fv.c.version, r.c.unit_count,
                      r.c.created_at, r.c.note, r.c.config)
            .join(fv, fv.c.id == r.c.framework_version_id).order_by(r.c.id.desc()))
    with engine.connect() as conn:
        rows = conn.execute(stmt).fetchall()
    out = []
    for row in rows:
        note = json.loads(row.note) if row.note else {}
        out.append(RunInfo(int(row.id), row.period, row.base_period, row.framework_id, row.version,
                           int(row.unit_count), row.created_at, dict(note.get("left_out") or {}), row.config))
    return out


def get_run(engine: Engine, run_id: int | None = None, *, period: str | None = None) -> RunInfo:
    """A run by id, else the latest run (of ``period`` when given)."""
    runs = list_runs(engine)
    for run in runs:
        if (run_id is None or run.run_id == run_id) and (period is None or run.period == str(period)):
            return run
    if run_id is not None:
        raise EvaluationError(f"no evaluation run {run_id} in the store")
    raise EvaluationError("no evaluation run in the store" + (f" for {period}" if period else "")
                          + ": run `zhicheng evaluate` first")


def _names(framework_content: str) -> pd.DataFrame:
    """Names (zh, en) of every node of a stored framework version."""
    doc = json.loads(framework_content)
    rows = [(doc["id"], doc.get("name", {}).get("zh", doc["id"]), doc.get("name", {}).get("en", doc["id"]))]
    for d in doc.get("domains", []):
        rows.append((d["id"], d["name"]["zh"], d["name"]["en"]))
        for r in d.get("requirements", []):
            rows.append((r["id"], r["name"]["zh"], r["name"]["en"]))
            rows.extend((i["id"], i["name"]["zh"], i["name"]["en"]) for i in r.get("indicators", []))
    return pd.DataFrame(rows, columns=["code", "code_name_zh", "code_name_en"])


def read_results(engine: Engine, run_id: int | None = None, *, level: str | None = None,
                 unit: str | None = None, period: str | None = None) -> pd.DataFrame:
    """Results of a run (default: the latest) as a frame with unit and node names.

    Columns: :data:`RESULT_FRAME_COLUMNS`; sorted by level (index first), code, rank. ``score``
    is the run's ranking score, ``attainment`` the attainment of target beside it (rules 2),
    ``coverage`` the share of the node's framework indicators the score rests on; ``rank_status``
    and ``grade_status`` say why a unit is (not) ranked or graded.
    """
    if level is not None and level not in LEVELS:
        raise EvaluationError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    run = get_run(engine, run_id, period=period)
    res, u, fv, r = evaluation_results, units, framework_versions, evaluation_runs
    stmt = (sa.select(res, u.c.name_zh.label("unit_name_zh"), u.c.name_en.label("unit_name_en"), u.c.group_name)
            .join(u, u.c.code == res.c.unit_code, isouter=True).where(res.c.run_id == run.run_id))
    if level is not None:
        stmt = stmt.where(res.c.level == level)
    if unit is not None:
        stmt = stmt.where(res.c.unit_code == unit)
    with engine.connect() as conn:
        rows = conn.execute(stmt)
        frame = pd.DataFrame(rows.fetchall(), columns=list(rows.keys()))
        content = conn.execute(sa.select(fv.c.content).join(r, r.c.framework_version_id == fv.c.id)
                               .where(r.c.id == run.run_id)).scalar_one()
    if unit is not None and frame.empty:
        from zhicheng.evaluate.lookup import absence_reason

        raise EvaluationError(f"unit {unit!r} is not in evaluation run {run.run_id}: "
                              f"{absence_reason(engine, run.run_id, unit)}")
    frame = frame.merge(_names(content), on="code", how="left")
    frame["period"] = run.period
    frame["level_order"] = frame["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    frame = frame.sort_values(["level_order", "code", "rank"], kind="mergesort").drop(columns="level_order")
    return frame[RESULT_FRAME_COLUMNS].reset_index(drop=True)


def scoreboard(engine: Engine, run_id: int | None = None) -> pd.DataFrame:
    """One row per unit: index score, rank, grade, coverage, statuses and every domain's score, best first."""
    frame = read_results(engine, run_id)
    idx = frame[frame["level"] == "index"].set_index("unit_code")
    dom = frame[frame["level"] == "domain"].pivot(index="unit_code", columns="code", values="score")
    cov = frame[frame["level"] == "domain"].pivot(index="unit_code", columns="code", values="coverage")
    out = idx[["unit_name_zh", "group_name", "score", "rank", "grade", "coverage", "attainment", "rank_status",
               "grade_status", "provisional_grade"]].join(dom).join(cov.add_suffix(" coverage"))
    return out.sort_values(["rank", "unit_name_zh"], kind="mergesort", na_position="last")


def unit_gaps(engine: Engine, unit: str, run_id: int | None = None, *, framework: Framework | None = None) -> pd.DataFrame:
    """A unit's indicators by how much reaching each target would lift its index, largest first.

    Columns: ``code, code_name_zh, code_name_en, raw_value, target, gap, score, lift, index_after,
    grade_after, value_period, attainment, rank_status`` where ``index_after`` is the index (its
    attainment of target where the run has it, else its score) with that one indicator on target
    and ``grade_after`` its maturity grade (``framework.grade_for``) — a provisional grade where the
    unit's evidence is insufficient.
    """
    frame = read_results(engine, run_id, unit=unit)
    index = frame[frame["level"] == "index"]
    # Lifts are points of attainment of target where the run has it (rules 2), else of the score.
    basis = "attainment" if len(index) and pd.notna(index["attainment"].iloc[0]) else "score"
    now = float(pd.to_numeric(index[basis], errors="coerce").iloc[0]) if len(index) else np.nan
    inds = frame[frame["level"] == "indicator"].copy()
    inds["index_after"] = now + inds["lift"].fillna(0.0)
    if framework is None:
        from zhicheng.goals import builtin_framework

        framework = builtin_framework()
    inds["grade_after"] = [framework.grade_for(s).level if np.isfinite(s) else None for s in inds["index_after"]]
    inds = inds.sort_values(["lift", "gap"], ascending=[False, False], kind="mergesort", na_position="last")
    cols = ["code", "code_name_zh", "code_name_en", "raw_value", "target", "gap", "score", "lift", "index_after",
            "grade_after", "value_period", "attainment", "rank_status"]
    return inds[cols].reset_index(drop=True)


def export_results(frame: pd.DataFrame, path: str | Path, fmt: str) -> Path:
    """Write results as ``csv``, ``json`` (records) or ``xlsx`` (one sheet per level, with ranks and grades)."""
    path = Path(path)
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "json":
        path.write_text(frame.to_json(orient="records", force_ascii=False, indent=1), encoding="utf-8")
    elif fmt == "xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            for level in LEVELS:
                part = frame[frame["level"] == level]
                if not part.empty:
                    part.drop(columns="level").to_excel(xl, sheet_name=level, index=False)
    else:
        raise EvaluationError(f"unknown format {fmt!r}: use csv, json or xlsx")
    return path
