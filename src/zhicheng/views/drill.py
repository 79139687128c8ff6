"""Read models of the drill-down: a node of the goal tree, a unit, an indicator's values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from zhicheng.views import queries
from zhicheng.views.context import ReportNotFound, RunContext, number, run_public
from zhicheng.views.labels import LEVELS, Labels, Node
from zhicheng.views.measures import unit_label
from zhicheng.views.overview import grades_public, ranking_rows, score_entry

#: How many indicators the unit page lists as strengths, weaknesses and gaps.
TOP_N = 5
GAPS_N = 8


def node_public(node: Node, labels: Labels, lang: str) -> dict[str, Any]:
    """A goal-tree node with its path from the index, as the API shows it."""
    return {
        "code": node.code,
        "level": node.level,
        "name": node.name(lang),
        "path": [{"code": n.code, "level": n.level, "name": n.name(lang)} for n in labels.path(node.code)],
        "unit": node.unit,
        "unit_label": unit_label(node.unit, lang),
        "direction": node.direction,
        "target": node.target,
        "definition": node.definition,
        "definition_text": definition_in(node.definition, lang),
    }


def definition_in(text: str | None, lang: str) -> str | None:
    """The part of a bilingual definition ("中文。English.") in ``lang``; the whole when it is one language."""
    if not text:
        return text
    for k, ch in enumerate(text):
        # The Chinese part ends at the full stop after which the English part starts.
        if ch == "。" and text[k + 1:].strip()[:1].isascii() and text[k + 1:].strip():
            zh, en = text[:k + 1].strip(), text[k + 1:].strip()
            return en if lang == "en" else zh
    return text


def _children_codes(conn: Connection, ctx: RunContext, node: Node, unit: str) -> list[str]:
    if node.children:
        return list(node.children)
    depth = LEVELS.index(node.level) if node.level in LEVELS else len(LEVELS) - 1
    if depth >= len(LEVELS) - 1:
        return []
    below = queries.results(conn, ctx.run_id, levels=[LEVELS[depth + 1]], unit=unit)
    prefix = "" if node.level == "index" else node.code + "."
    return sorted(r["code"] for r in below if r["code"].startswith(prefix))


@dataclass(frozen=True)
class NodeAcross:
    """One node of a run for every unit (unit-independent, cached once per run, node and lang)."""

    node: Node
    rows: list[dict[str, Any]]
    ranked: list[dict[str, Any]]


def node_across(conn: Connection, ctx: RunContext, code: str, lang: str) -> NodeAcross:
    """Every unit's result at node ``code``; :class:`ReportNotFound` for an unknown node."""
    node = ctx.labels.node(code)
    rows = queries.results(conn, ctx.run_id, levels=[node.level], code=code)
    if not rows and code not in ctx.labels.nodes:
        raise ReportNotFound(f"run {ctx.run_id} has no goal-tree node {code!r}")
    return NodeAcross(node=node, rows=rows, ranked=ranking_rows(ctx, rows, lang))


def node_detail(conn: Connection, ctx: RunContext, across: NodeAcross, unit: str | None,
                lang: str) -> dict[str, Any]:
    """A domain, requirement or indicator: the unit's score, its children, every unit's score."""
    node = across.node
    chosen = unit or (across.ranked[0]["unit_code"] if across.ranked else None)
    if chosen is not None:
        ctx.require_unit(chosen)
    own = next((r for r in across.rows if r["unit_code"] == chosen), None)
    children: list[dict[str, Any]] = []
    if chosen is not None:
        codes = _children_codes(conn, ctx, node, chosen)
        order = {c: i for i, c in enumerate(codes)}
        rows = queries.results(conn, ctx.run_id, codes=codes, unit=chosen) if codes else []
        children = [score_entry(ctx, r, lang) for r in sorted(rows, key=lambda r: order[r["code"]])]
    return {
        "run": run_public(ctx.run),
        "node": node_public(node, ctx.labels, lang),
        "unit": ctx.unit_public(chosen, lang) if chosen else None,
        "own": score_entry(ctx, own, lang) if own else None,
        "children": children,
        "across": across.ranked,
        "trend": [
            {"period": str(r["period"]), "run_id": r["run_id"], "score": number(r["score"]),
             "raw_value": number(r["raw_value"]), "rank": r["rank"]}
            for r in (queries.node_trend(conn, node.code, chosen, ctx.labels.framework_id) if chosen else [])
        ],
        "grades": grades_public(ctx, lang),
    }


def _indicator_entries(ctx: RunContext, rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        entry = score_entry(ctx, r, lang)
        node = ctx.labels.node(r["code"], "indicator")
        entry["unit"] = node.unit
        entry["unit_label"] = unit_label(node.unit, lang)
        entry["direction"] = node.direction
        entry["domain"] = ctx.labels.path(r["code"])[1].code if len(ctx.labels.path(r["code"])) > 1 else None
        out.append(entry)
    return out


def strengths_and_weaknesses(scored: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The unit's best and weakest indicators, so that the two lists never contradict the scores.

    Strengths are the :data:`TOP_N` best scores; weaknesses the :data:`TOP_N` lowest of the rest
    that still have room to grow: below the full score (100) and with the target not yet met
    (a gap above 0, where a target is known), and below every strength.
    """
    by_score = sorted(scored, key=lambda e: (-e["score"], e["code"]))
    strengths = by_score[:TOP_N]
    floor = min((e["score"] for e in strengths), default=float("inf"))
    weaknesses = [
        e for e in by_score[::-1][:len(by_score) - len(strengths)]
        if e["score"] < 100.0 and e["score"] < floor and not (e["gap"] is not None and e["gap"] <= 0)
    ]
    return strengths, weaknesses[:TOP_N]


def _gaps(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Indicators whose reaching the target would lift the index most (by lift, else by gap)."""
    with_lift = [e for e in entries if e["lift"] is not None and e["lift"] > 0]
    if with_lift:
        return sorted(with_lift, key=lambda e: (-e["lift"], e["code"]))[:GAPS_N]
    with_gap = [e for e in entries if e["gap"] is not None and e["gap"] > 0]
    return sorted(with_gap, key=lambda e: (-e["gap"], e["code"]))[:GAPS_N]


def unit_page(conn: Connection, ctx: RunContext, unit: str, lang: str) -> dict[str, Any]:
    """A unit's page: index and grade, domains, strengths, weaknesses and the gaps to close."""
    ctx.require_unit(unit)
    rows = queries.results(conn, ctx.run_id, unit=unit)
    by_level: dict[str, list[dict[str, Any]]] = {lvl: [] for lvl in LEVELS}
    for r in rows:
        by_level.setdefault(r["level"], []).append(r)
    order = {c: i for i, c in enumerate(ctx.labels.nodes)}
    for level_rows in by_level.values():
        level_rows.sort(key=lambda r: (order.get(r["code"], 10**6), r["code"]))
    index_row = by_level["index"][0] if by_level["index"] else None
    indicators = _indicator_entries(ctx, by_level["indicator"], lang)
    strengths, weaknesses = strengths_and_weaknesses([e for e in indicators if e["score"] is not None])
    index = score_entry(ctx, index_row, lang) if index_row else None
    top = max((g.level for g in ctx.labels.grades), default=None)
    at_top = index is not None and top is not None and index["grade"] == top
    if index is not None:
        index["at_top_grade"] = at_top
    if index is not None:
        index["units_ranked"] = len(ctx.units)
        index["rank_interval"] = ctx.interval(unit)
        nxt = ctx.labels.next_grade(index["grade"])
        index["next_grade"] = (
            {"level": nxt.level, "name": nxt.name(lang), "min": nxt.min,
             "points_needed": max(0.0, nxt.min - index["score"]) if index["score"] is not None else None}
            if nxt else None
        )
    # Every domain of the framework, scored or not, as the overview lists them ("no data" alike).
    own_domains = {r["code"]: r for r in by_level["domain"]}
    root = ctx.labels.node(ctx.index_code or "")
    domain_codes = list(root.children) or list(own_domains)
    domains = [own_domains.get(c) or {"code": c, "level": "domain", "unit_code": unit} for c in domain_codes]
    domains += [r for c, r in own_domains.items() if c not in domain_codes]
    return {
        "run": run_public(ctx.run),
        "unit": ctx.unit_public(unit, lang),
        "trend": unit_trend(conn, ctx, unit, lang),
        "children": unit_children(conn, ctx, unit, lang),
        "index": index,
        "domains": [score_entry(ctx, r, lang) for r in domains],
        "requirements": [score_entry(ctx, r, lang) for r in by_level["requirement"]],
        "indicators": indicators,
        "strengths": strengths,
        "weaknesses": weaknesses,
        # A unit at the top grade has no grade to reach: no gaps "to lift the grade" then.
        "at_top_grade": at_top,
        "gaps": [] if at_top else _gaps(indicators),
        "grades": grades_public(ctx, lang),
    }


def unit_trend(conn: Connection, ctx: RunContext, unit: str, lang: str) -> dict[str, Any]:
    """The unit's index and domain scores over the periods of every run of the same framework."""
    rows = queries.unit_trend(conn, unit, ctx.labels.framework_id, ["index", "domain"])
    periods = sorted({str(r["period"]) for r in rows})
    slot = {p: i for i, p in enumerate(periods)}
    codes = [ctx.index_code or "", *(list(ctx.labels.node(ctx.index_code or "").children))]
    series: dict[str, list[float | None]] = {c: [None] * len(periods) for c in codes}
    for r in rows:
        series.setdefault(r["code"], [None] * len(periods))[slot[str(r["period"])]] = number(r["score"])
    return {
        "periods": periods,
        "base_period": ctx.run.get("base_period"),
        "series": [{"code": c, "name": ctx.labels.name(c, lang), "scores": s} for c, s in series.items()],
    }


def unit_children(conn: Connection, ctx: RunContext, unit: str, lang: str) -> dict[str, Any]:
    """The unit's own districts and counties (区县): their scores where the run has them, their values."""
    kids = queries.child_units(conn, unit)
    values = queries.latest_values(conn, [k["code"] for k in kids], str(ctx.run["period"]))
    scores = {r["unit_code"]: r for r in queries.results(conn, ctx.run_id, levels=["index"])
              if r["unit_code"] in {k["code"] for k in kids}}
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for v in values:
        node = ctx.labels.node(v["indicator_id"], "indicator")
        by_unit.setdefault(v["unit_code"], []).append({
            "indicator_id": v["indicator_id"], "name": node.name(lang), "unit": node.unit,
            "unit_label": unit_label(node.unit, lang), "period": v["period"], "value": number(v["value"]),
            "batch_id": v["batch_id"],
        })
    return {
        "units": [
            {"code": k["code"], "name": (k["name_en"] if lang == "en" and k["name_en"] else k["name_zh"]) or k["code"],
             "level": k["level"], "score": number(scores[k["code"]]["score"]) if k["code"] in scores else None,
             "rank": scores[k["code"]]["rank"] if k["code"] in scores else None,
             "values": by_unit.get(k["code"], [])}
            for k in kids
        ],
    }


def _choose_period(ctx: RunContext | None, coverage: list[dict[str, Any]], period: str | None) -> str | None:
    periods = [c["period"] for c in coverage]
    if period is not None:
        return period
    if ctx is not None and ctx.run["period"] in periods:
        return str(ctx.run["period"])
    return periods[-1] if periods else None


@dataclass(frozen=True)
class IndicatorAcross:
    """An indicator's unit-independent part: coverage per period, every unit's value in one period."""

    node: Node
    period: str | None
    coverage: list[dict[str, Any]]
    across: list[dict[str, Any]]
    names: dict[str, dict[str, Any]]


def indicator_across(conn: Connection, ctx: RunContext | None, labels: Labels, indicator_id: str,
                     period: str | None) -> IndicatorAcross:
    """Coverage per period (one GROUP BY) and every unit's value in the chosen period."""
    node = labels.node(indicator_id, "indicator")
    coverage = queries.indicator_coverage(conn, indicator_id)
    if not coverage and indicator_id not in labels.nodes:
        raise ReportNotFound(f"no indicator {indicator_id!r} in the goal model or the data")
    chosen = _choose_period(ctx, coverage, period)
    across = queries.indicator_across(conn, indicator_id, chosen) if chosen else []
    names = queries.unit_names(conn, [r["unit_code"] for r in across])
    return IndicatorAcross(node=node, period=chosen, coverage=coverage, across=across, names=names)


def indicator_values(conn: Connection, ctx: RunContext | None, labels: Labels, common: IndicatorAcross,
                     unit: str | None, lang: str) -> dict[str, Any]:
    """An indicator's values over time (one unit) and across units (one period), sources, coverage."""
    across = common.across
    chosen_unit = unit or (ctx and _first_unit(ctx, across)) or (across[0]["unit_code"] if across else None)
    series = queries.indicator_series(conn, indicator_id=common.node.code, unit=chosen_unit) if chosen_unit else []
    names = dict(common.names)
    if chosen_unit and chosen_unit not in names:
        names.update(queries.unit_names(conn, [chosen_unit]))
    total = int(ctx.run["unit_count"] or len(ctx.units)) if ctx else len(names) or None

    def unit_name(code: str) -> str:
        row = names.get(code, {})
        return str((row.get("name_en") if lang == "en" else None) or row.get("name_zh") or code)

    batch_ids = [r["batch_id"] for r in series] + [r["batch_id"] for r in across]
    return {
        "run": run_public(ctx.run) if ctx else None,
        "indicator": node_public(common.node, labels, lang),
        "unit": {"code": chosen_unit, "name": unit_name(chosen_unit)} if chosen_unit else None,
        "period": common.period,
        "over_time": [{"period": r["period"], "value": number(r["value"]), "batch_id": r["batch_id"]} for r in series],
        "across_units": [
            {"unit_code": r["unit_code"], "name": unit_name(r["unit_code"]), "value": number(r["value"]),
             "batch_id": r["batch_id"]}
            for r in across
        ],
        "coverage": [
            {"period": c["period"], "units": int(c["units"]), "of": total,
             "share": (min(1.0, int(c["units"]) / total) if total else None)}
            for c in common.coverage
        ],
        "batches": queries.batches(conn, batch_ids),
    }


def _first_unit(ctx: RunContext, across: list[dict[str, Any]]) -> str | None:
    """The best-ranked unit of the run that has a value (for a page opened without a unit)."""
    present = {r["unit_code"] for r in across}
    return next((c for c in sorted(ctx.units) if c in present), None)
