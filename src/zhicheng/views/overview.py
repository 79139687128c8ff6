"""Read models of the cockpit's front page: the overview and the ranking table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from zhicheng.goals.statuses import status_label
from zhicheng.views import measures, queries
from zhicheng.views.context import RunContext, number, run_public

_NO_RANK = 10**9
#: Units the overview's ranking lists (the chosen unit is added when it is further down).
OVERVIEW_TOP = 10


def grades_public(ctx: RunContext, lang: str) -> list[dict[str, Any]]:
    """The maturity grades of the run's framework."""
    return [{"level": g.level, "name": g.name(lang), "min": g.min} for g in ctx.labels.grades]


def evidence_fields(ctx: RunContext, row: dict[str, Any], lang: str) -> dict[str, Any]:
    """Attainment, rank and grade statuses and the provisional grade of a result row (rules 2).

    ``provisional_grade`` is only set where the evidence is insufficient for a grade, and always
    comes with the coverage it rests on; rows of runs stored before rules 2 carry nulls here.
    """
    prov = ctx.labels.grade(row.get("provisional_grade"))
    return {
        "attainment": number(row.get("attainment")),
        "rank_status": row.get("rank_status"),
        "rank_status_name": status_label(row["rank_status"], lang) if row.get("rank_status") else None,
        "grade_status": row.get("grade_status"),
        "grade_status_name": status_label(row["grade_status"], lang) if row.get("grade_status") else None,
        "provisional_grade": row.get("provisional_grade"),
        "provisional_grade_name": prov.name(lang) if prov else None,
    }


def score_entry(ctx: RunContext, row: dict[str, Any], lang: str) -> dict[str, Any]:
    """One result row as the API shows it, with the node's name, the grade's name and its evidence."""
    node = ctx.labels.node(row["code"], row.get("level"))
    grade = ctx.labels.grade(row.get("grade"))
    return {
        "code": row["code"],
        "level": row.get("level") or node.level,
        "name": node.name(lang),
        "score": number(row.get("score")),
        "rank": row.get("rank"),
        "grade": row.get("grade"),
        "grade_name": grade.name(lang) if grade else None,
        "raw_value": number(row.get("raw_value")),
        "coverage": number(row.get("coverage")),
        "target": number(row.get("target")),
        "gap": number(row.get("gap")),
        "lift": number(row.get("lift")),
        "change": number(row.get("change")),
        "cagr": number(row.get("cagr")),
        "value_period": row.get("value_period"),
        **evidence_fields(ctx, row, lang),
    }


def _by_rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["rank"] if r.get("rank") is not None else _NO_RANK, r["unit_code"]))


def ranking_rows(ctx: RunContext, rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Result rows of one node for every unit, best rank first, with unit names and intervals."""
    out = []
    for row in _by_rank(rows):
        unit = ctx.unit_public(row["unit_code"], lang)
        grade = ctx.labels.grade(row.get("grade"))
        out.append({
            "unit_code": row["unit_code"],
            "name": unit["name"],
            "group": unit["group"],
            "score": number(row.get("score")),
            "raw_value": number(row.get("raw_value")),
            "rank": row.get("rank"),
            "grade": row.get("grade"),
            "grade_name": grade.name(lang) if grade else None,
            "coverage": number(row.get("coverage")),
            "rank_interval": ctx.interval(row["unit_code"]) if row.get("level") == "index" else None,
            **evidence_fields(ctx, row, lang),
        })
    return out


def ranking(conn: Connection, ctx: RunContext, code: str | None, lang: str) -> dict[str, Any]:
    """The ranking of every unit on node ``code`` (the index by default)."""
    code = code or ctx.index_code or ""
    node = ctx.labels.node(code)
    rows = queries.results(conn, ctx.run_id, levels=[node.level], code=code)
    return {
        "run": run_public(ctx.run),
        "node": {"code": code, "level": node.level, "name": node.name(lang)},
        "has_intervals": bool(ctx.intervals) and node.level == "index",
        "grades": grades_public(ctx, lang),
        "rows": ranking_rows(ctx, rows, lang),
    }


def _choose_unit(ctx: RunContext, index_rows: list[dict[str, Any]], unit: str | None) -> str | None:
    if unit is not None:
        ctx.require_unit(unit)
        return unit
    ranked = _by_rank(index_rows)
    return ranked[0]["unit_code"] if ranked else None


def _domain_order(ctx: RunContext) -> list[str]:
    root = ctx.labels.node(ctx.index_code or "")
    return list(root.children)


def _index_block(ctx: RunContext, row: dict[str, Any] | None, n_ranked: int, lang: str) -> dict[str, Any] | None:
    if row is None:
        return None
    entry = score_entry(ctx, row, lang)
    entry["units_ranked"] = n_ranked
    entry["rank_interval"] = ctx.interval(row["unit_code"])
    nxt = ctx.labels.next_grade(row.get("grade"))
    score = entry["score"]
    top = max((g.level for g in ctx.labels.grades), default=None)
    entry["at_top_grade"] = top is not None and row.get("grade") == top
    entry["next_grade"] = (
        {"level": nxt.level, "name": nxt.name(lang), "min": nxt.min,
         "points_needed": max(0.0, nxt.min - score) if score is not None else None}
        if nxt else None
    )
    return entry


@dataclass(frozen=True)
class OverviewBase:
    """The unit-independent part of the overview of one run in one language (cached once)."""

    public: dict[str, Any]
    index_rows: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    order: list[str]
    by_unit: dict[str, list[dict[str, Any]]]


def overview_base(conn: Connection, ctx: RunContext, lang: str, runs: list[dict[str, Any]]) -> OverviewBase:
    """Read the run's index and domain rows once: map values, ranking, selectors' lists."""
    rows = queries.results(conn, ctx.run_id, levels=["index", "domain"])
    index_rows = [r for r in rows if r["level"] == "index"]
    order = _domain_order(ctx) or sorted({r["code"] for r in rows if r["level"] == "domain"})
    codes = [ctx.index_code or "", *order]
    scores: dict[str, list[float | None]] = {u: [None] * len(codes) for u in ctx.units}
    slot = {c: i for i, c in enumerate(codes)}
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_unit.setdefault(r["unit_code"], []).append(r)
        if r["code"] in slot and r["unit_code"] in scores:
            scores[r["unit_code"]][slot[r["code"]]] = number(r.get("score"))
    public = {
        "empty": False,
        "lang": lang,
        "runs": [run_public(r) for r in runs],
        "run": run_public(ctx.run),
        "framework": {"id": ctx.labels.framework_id, "version": ctx.labels.version,
                      "name": ctx.labels.name(ctx.index_code or "", lang)},
        "units": [ctx.unit_public(c, lang) for c in sorted(ctx.units)],
        "grades": grades_public(ctx, lang),
        "scores": {"codes": codes, "names": [ctx.labels.name(c, lang) for c in codes], "units": scores},
        "has_intervals": bool(ctx.intervals),
        "map": {"units_with_boundary": sum(bool(u.get("has_boundary")) for u in ctx.units.values())},
        "measures": measures.public(lang),
    }
    return OverviewBase(public=public, index_rows=index_rows, ranking=ranking_rows(ctx, index_rows, lang),
                        order=order, by_unit=by_unit)


def overview(ctx: RunContext, base: OverviewBase, unit: str | None, lang: str) -> dict[str, Any]:
    """Everything the overview page shows for ``unit`` (the best ranked when None), in one answer."""
    chosen = _choose_unit(ctx, base.index_rows, unit)
    mine = base.by_unit.get(chosen or "", [])
    own_index = next((r for r in mine if r["level"] == "index"), None)
    own_domains = {r["code"]: r for r in mine if r["level"] == "domain"}
    # Every domain of the framework is shown, scored or not (a radar needs all seven axes).
    domains = [own_domains.get(c) or {"code": c, "level": "domain", "unit_code": chosen} for c in base.order]
    return {
        **base.public,
        "unit": ctx.unit_public(chosen, lang) if chosen else None,
        "index": _index_block(ctx, own_index, sum(r.get("rank") is not None for r in base.index_rows), lang),
        "domains": [score_entry(ctx, r, lang) for r in domains],
        "ranking": _top(base.ranking, chosen),
    }


def _top(rows: list[dict[str, Any]], chosen: str | None) -> list[dict[str, Any]]:
    top = rows[:OVERVIEW_TOP]
    if chosen is not None and all(r["unit_code"] != chosen for r in top):
        top += [r for r in rows if r["unit_code"] == chosen]
    return top


def empty_overview(lang: str) -> dict[str, Any]:
    """The overview of a store with no evaluation yet."""
    return {
        "empty": True, "lang": lang, "runs": [], "run": None, "framework": None, "units": [],
        "unit": None, "index": None, "domains": [], "grades": [], "scores": {"codes": [], "names": [], "units": {}},
        "ranking": [], "has_intervals": False, "map": {"units_with_boundary": 0},
        "measures": measures.public(lang),
    }
