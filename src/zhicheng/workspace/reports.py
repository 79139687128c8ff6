"""What the reports say, gathered from the services: the composition floor's side of ``zhicheng.report``.

:func:`city_document` reads a unit's page from the cockpit's read models (the same strengths,
weaknesses, gaps and rank interval the cockpit shows), the values and their sources from the
evaluation service, the air-quality indicators, the events of the unit and its grid cells and the
unit's CO2 inventory, and turns them into a :class:`~zhicheng.report.Document`. A
:class:`Gatherer` keeps what every report of a batch shares (the read-model cache, the carbon
inventories), so that rendering every unit reads those once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng import numfmt
from zhicheng.report.document import Document, ReportError, ReportNotFound
from zhicheng.report.labels import word
from zhicheng.store.schema import (
    evaluation_runs,
    framework_versions,
    indicator_values,
    ingest_batches,
    units,
)

#: The air-quality indicators a city report shows (HJ 663 annual evaluation).
AIR_INDICATORS = ("D3.R1.I1", "D3.R1.I2", "D3.R1.I7")
#: The event-workflow indicators: a unit that has them has the events without a grid cell.
EVENT_INDICATORS = ("D2.R1.I1", "D2.R1.I2")
EVENT_STATES = {
    "submitted": ("已受理", "submitted"), "accepted": ("已接收", "accepted"), "dispatched": ("已派遣", "dispatched"),
    "in_progress": ("处置中", "in progress"), "resolved": ("已处置", "resolved"), "closed": ("已办结", "closed"),
    "rejected": ("已驳回", "rejected"), "reopened": ("已重开", "reopened"),
}
REVIEW_STATES = {"draft": ("草稿", "draft"), "submitted": ("已提交待审", "submitted"), "returned": ("已退回", "returned"),
                 "resubmitted": ("已重新提交", "resubmitted"), "approved": ("已通过", "approved"),
                 "missing": ("未填报", "not started")}
PEAK_STATES = {"peaked": ("已达峰", "peaked"), "plateau": ("平台期", "plateau"), "rising": ("仍在上升", "still rising"),
               "unknown": ("数据不足", "too little data")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _num(value: Any) -> float | None:
    return None if numfmt.is_missing(value) else float(value)


def _grade_text(entry: dict[str, Any] | None, lang: str) -> tuple[str, str]:
    """The grade as people read it, and a note: 证据不足 with the provisional grade beside it."""
    if not entry:
        return numfmt.DASH, ""
    if entry.get("grade_name"):
        return str(entry["grade_name"]), ""
    if entry.get("grade_status") == "insufficient_evidence":
        prov = entry.get("provisional_grade_name")
        note = f"{word('provisional', lang)}: {prov}" if prov else ""
        return str(entry.get("grade_status_name") or "证据不足"), note
    return str(entry.get("grade_status_name") or numfmt.DASH), ""


@dataclass
class Gatherer:
    """Reads shared by the reports of one batch (one per process).

    With ``batch`` the whole run and every CO2 inventory are read once and kept for all the
    batch's reports; without it (one report) only the unit's own rows are read.
    """

    engine: Engine
    batch: bool = False
    _views: Any = None
    _frames: dict[Any, Any] = field(default_factory=dict)
    _carbon: dict[Any, Any] = field(default_factory=dict)

    @property
    def views(self) -> Any:
        """The cockpit's read models on this store (cached answers shared by the batch)."""
        if self._views is None:
            from zhicheng.workspace.services import report_service

            self._views = report_service(self.engine)
        return self._views

    def run_id(self, run_id: int | None, period: str | None = None) -> int:
        """The id of run ``run_id``, else of the newest run (of ``period``)."""
        from zhicheng.evaluate.results import get_run

        return get_run(self.engine, run_id, period=period).run_id

    def results(self, run_id: int, unit: str | None = None) -> pd.DataFrame:
        """The run's results with provenance columns: the unit's, or (batch, or no unit) all of them."""
        key = (run_id, None if self.batch or unit is None else unit)
        if key not in self._frames:
            from zhicheng.evaluate.export import with_provenance
            from zhicheng.evaluate.results import read_results

            self._frames[key] = with_provenance(self.engine, read_results(self.engine, run_id, unit=key[1]))
        frame = self._frames[key]
        return frame if unit is None else frame[frame["unit_code"] == unit]

    def carbon(self, unit: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """CO2 totals (``unit_code, year, co2_mt``) and the peaking table; the unit's only unless batch."""
        key = None if self.batch else unit
        if key not in self._carbon:
            from zhicheng.carbon import service as carbon

            if self.batch:
                ws = carbon.Workspace.read(self.engine)
            else:
                with self.engine.connect() as conn:
                    ws = carbon.Workspace(carbon.read_inventory(conn, units_=[unit]), pd.DataFrame(), {})
            if ws.inventory.empty:
                self._carbon[key] = (pd.DataFrame(columns=["unit_code", "year", "co2_mt"]), None)
            else:
                self._carbon[key] = (ws.emissions(), carbon.peak_table(ws).set_index("unit_code"))
        return self._carbon[key]


def _run_facts(engine: Engine, run_id: int) -> dict[str, Any]:
    r, fv = evaluation_runs, framework_versions
    with engine.connect() as conn:
        row = conn.execute(sa.select(r.c.id, r.c.period, r.c.base_period, r.c.config, r.c.created_at, r.c.note,
                                     fv.c.framework_id, fv.c.version, fv.c.checksum, fv.c.content)
                           .join(fv, fv.c.id == r.c.framework_version_id).where(r.c.id == run_id)).one()
    note = json.loads(row.note or "{}")
    content = json.loads(row.content)
    return {"run_id": int(row.id), "period": row.period, "base_period": row.base_period, "config": row.config,
            "run_created": str(row.created_at), "framework_id": row.framework_id, "framework_version": row.version,
            "framework_checksum": row.checksum, "framework_name": content.get("name", {}),
            "domains": [(d["id"], d["name"]) for d in content.get("domains", [])],
            "rules": int(note.get("rules", 1)) if isinstance(note, dict) else 1}


def _uncertainty(engine: Engine, run_id: int, lang: str) -> list[tuple[str, str]]:
    from zhicheng.store.schema_uncertainty import evaluation_uncertainty as eu

    with engine.connect() as conn:
        row = conn.execute(sa.select(eu.c.spec, eu.c.replications).where(eu.c.run_id == run_id).limit(1)).first()
    if row is None:
        return []
    spec = json.loads(row.spec)
    out = [("n", str(row.replications)), ("seed", str(spec.get("seed", "—"))),
           ("target", str(spec.get("target", "—")))]
    for item in spec.get("inputs", []):
        detail = {k: v for k, v in item.items() if k != "name"}
        out.append((str(item.get("name")), json.dumps(detail, ensure_ascii=False, sort_keys=True)))
    return out


def _sources(engine: Engine, batch_counts: dict[int, int]) -> list[dict[str, Any]]:
    if not batch_counts:
        return []
    b = ingest_batches
    with engine.connect() as conn:
        rows = conn.execute(sa.select(b.c.id, b.c.source, b.c.kind, b.c.ingested_by, b.c.ingested_at)
                            .where(b.c.id.in_(sorted(batch_counts))).order_by(b.c.id)).fetchall()
    return [{"batch_id": int(r.id), "source": r.source, "kind": r.kind, "ingested_by": r.ingested_by,
             "ingested_at": str(r.ingested_at)[:19], "values_used": batch_counts.get(int(r.id), 0)} for r in rows]


def _air(engine: Engine, unit: str, names: dict[str, str], units_of: dict[str, str]) -> dict[str, Any] | None:
    iv = indicator_values
    with engine.connect() as conn:
        rows = conn.execute(sa.select(iv.c.indicator_id, iv.c.period, iv.c.value)
                            .where(iv.c.unit_code == unit, iv.c.indicator_id.in_(AIR_INDICATORS))
                            .order_by(iv.c.indicator_id, iv.c.period)).fetchall()
    if not rows:
        return None
    years = sorted({str(r.period) for r in rows})
    by: dict[str, dict[str, float]] = {}
    for r in rows:
        by.setdefault(r.indicator_id, {})[str(r.period)] = float(r.value)
    return {"years": years, "rows": [{"code": c, "name": names.get(c, c), "unit": units_of.get(c, ""),
                                      "by_year": by[c]} for c in AIR_INDICATORS if c in by]}


def _events(engine: Engine, unit: str, lang: str) -> dict[str, Any] | None:
    from zhicheng.store.schema_events import events

    with engine.connect() as conn:
        children = [unit, *conn.execute(sa.select(units.c.code).where(units.c.parent_code == unit)).scalars()]
        where: sa.ColumnElement[bool] = events.c.grid_code.in_(children)
        has_city = conn.execute(sa.select(sa.func.count()).select_from(indicator_values).where(
            indicator_values.c.unit_code == unit, indicator_values.c.indicator_id.in_(EVENT_INDICATORS))).scalar_one()
        if has_city:
            where = sa.or_(where, events.c.grid_code.is_(None))
        by_status = conn.execute(sa.select(events.c.status, sa.func.count()).where(where)
                                 .group_by(events.c.status)).fetchall()
        by_service = conn.execute(sa.select(events.c.service_code, sa.func.count()).where(where)
                                  .group_by(events.c.service_code).order_by(sa.func.count().desc(),
                                                                             events.c.service_code).limit(10)).fetchall()
    total = sum(int(n) for _, n in by_status)
    if not total:
        return None
    return {"total": total,
            "by_status": [{"code": s, "name": _pick(EVENT_STATES.get(s, (s, s)), lang), "count": int(n)}
                          for s, n in sorted(by_status, key=lambda r: (-int(r[1]), r[0]))],
            "by_service": [{"name": s, "count": int(n)} for s, n in by_service]}


def _carbon(gatherer: Gatherer, unit: str, lang: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    series, peaks = gatherer.carbon(unit)
    if peaks is None or unit not in peaks.index:
        return None, None
    row = {str(k): v for k, v in peaks.loc[unit].to_dict().items()}
    own = series[series["unit_code"] == unit]
    section = {"status": _pick(PEAK_STATES.get(str(row["status"]), (str(row["status"]),) * 2), lang),
               "peak_year": int(row["peak_year"]), "peak_value": _num(row["peak_value"]),
               "latest_year": int(row["last_year"]), "latest_value": _num(row["last_value"])}
    chart = {"type": "line", "title": word("carbon", lang), "ylabel": "Mt CO2",
             "series": [{"name": "CO2", "x": [int(y) for y in own["year"]], "y": [float(v) for v in own["co2_mt"]]}]}
    return section, chart


def _entry_rows(entries: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    return [{k: e.get(k) for k in keys} for e in entries]


INDICATOR_KEYS = ("code", "name", "score", "raw_value", "unit", "target", "rank", "gap", "lift", "value_period")


def city_document(engine: Engine, unit: str, run_id: int | None = None, lang: str = "zh", *,
                  gatherer: Gatherer | None = None) -> Document:
    """The city report of ``unit`` (a code) for run ``run_id`` (the newest by default)."""
    from zhicheng.views.context import ReportNotFound as ViewNotFound

    g = gatherer or Gatherer(engine)
    rid = g.run_id(run_id)
    try:
        page = g.views.unit(unit, rid, lang)
    except ViewNotFound as exc:
        raise ReportNotFound(str(exc)) from None
    facts = _run_facts(engine, rid)
    mine = g.results(rid, unit)
    inds = mine[mine["level"] == "indicator"]
    name_col = "code_name_en" if lang == "en" else "code_name_zh"
    names = dict(zip(inds["code"], inds[name_col], strict=True))
    units_of = {c: u for c, u in zip(inds["code"], inds["unit_of_measure"], strict=True) if isinstance(u, str)}
    idx = page["index"] or {}
    grade_text, grade_note = _grade_text(idx, lang)
    unit_info = page["unit"]
    scored = {d["code"]: d for d in page["domains"]}
    domains = []
    for code, name in facts["domains"]:  # all seven, those without a score shown with dashes
        d = scored.get(code, {})
        text, _ = _grade_text(d, lang)
        domains.append({"code": code, "name": d.get("name") or name.get(lang) or name.get("zh") or code,
                        "score": d.get("score"), "rank": d.get("rank"), "coverage": d.get("coverage"),
                        "attainment": d.get("attainment"), "grade_text": text, "change": d.get("change")})
    gap_rows = _entry_rows(page["gaps"], INDICATOR_KEYS)
    gaps_after = _grades_after(engine, unit, rid, {int(g["level"]): str(g["name"]) for g in page["grades"]})
    for r in gap_rows:
        r["grade_after"] = gaps_after.get(r["code"])
    valued = inds[inds["raw_value"].notna()]
    annex = [{"code": r.code, "name": getattr(r, name_col), "value": _num(r.raw_value),
              "unit": r.unit_of_measure if isinstance(r.unit_of_measure, str) else "",
              "year": r.value_period if isinstance(r.value_period, str) else None,
              "batch_id": None if numfmt.is_missing(r.source_batch) else int(r.source_batch),  # type: ignore[arg-type]
              "score": _num(r.score)}
             for r in valued.itertuples(index=False)]
    counted = valued["source_batch"].dropna().astype(int).value_counts()
    batch_counts = {int(k): int(v) for k, v in zip(counted.index, counted.to_numpy(), strict=True)}
    trends = None
    if facts["base_period"]:
        rows = [{"code": idx.get("code"), "name": word("index", lang), "score": idx.get("score"),
                 "change": idx.get("change"), "cagr": _cagr(mine, idx.get("code"))}]
        rows += [{"code": d["code"], "name": d["name"], "score": d["score"], "change": d["change"],
                  "cagr": _cagr(mine, d["code"])} for d in domains]
        trends = {"base_period": facts["base_period"], "rows": rows}
    air = _air(engine, unit, names, units_of)
    carbon, carbon_chart = _carbon(g, unit, lang)
    fw_name = facts["framework_name"].get(lang) or facts["framework_name"].get("zh") or facts["framework_id"]
    sections: dict[str, Any] = {
        "summary": {"index": idx.get("score"), "attainment": idx.get("attainment"), "grade_text": grade_text,
                    "grade_note": grade_note, "rank": idx.get("rank"), "units_ranked": idx.get("units_ranked"),
                    "interval": idx.get("rank_interval"), "coverage": idx.get("coverage"),
                    "rank_status": idx.get("rank_status_name") or ""},
        "domains": domains,
        "strengths": _entry_rows(page["strengths"], INDICATOR_KEYS),
        "weaknesses": _entry_rows(page["weaknesses"], INDICATOR_KEYS),
        "gaps": gap_rows,
        "trends": trends,
        "air": air,
        "events": _events(engine, unit, lang),
        "carbon": carbon,
        "sources": _sources(engine, batch_counts),
        "method": {"framework_id": facts["framework_id"], "framework_name": fw_name,
                   "framework_version": facts["framework_version"], "rules": facts["rules"],
                   "run_created": facts["run_created"][:19], "config": facts["config"].strip(),
                   "uncertainty": _uncertainty(engine, rid, lang)},
        "annex": annex,
    }
    labels = [d["name"] for d in domains]
    charts: dict[str, dict[str, Any]] = {
        "radar": {"type": "radar", "labels": labels, "values": [d["score"] for d in domains]},
        "bars": {"type": "bars", "labels": labels, "values": [d["score"] for d in domains], "xlabel": word("score", lang)},
    }
    if trends:
        charts["trend"] = {"type": "bars", "signed": True, "labels": [r["name"] for r in trends["rows"]],
                           "values": [r["change"] for r in trends["rows"]],
                           "xlabel": f"{word('change', lang)} ({trends['base_period']} → {facts['period']})"}
    if air:
        charts["air"] = {"type": "line", "title": word("air", lang), "series": [
            {"name": r["name"], "x": air["years"], "y": [r["by_year"].get(y) for y in air["years"]]}
            for r in air["rows"] if r["code"] == "D3.R1.I2"] or [
            {"name": r["name"], "x": air["years"], "y": [r["by_year"].get(y) for y in air["years"]]}
            for r in air["rows"][:1]]}
    if carbon_chart:
        charts["carbon"] = carbon_chart
    toc = [("summary", word("summary", lang)), ("domains", word("domains", lang)),
           ("strengths", f"{word('strengths', lang)} · {word('weaknesses', lang)}"), ("gaps", word("gaps", lang)),
           ("trends", word("trends", lang))]
    toc += [(k, word(k, lang)) for k in ("air", "events", "carbon") if sections[k]]
    toc += [("sources", word("sources", lang)), ("method", word("method", lang)), ("annex", word("annex", lang))]
    provenance = {"report": "city", "unit": unit, "run_id": rid, "period": facts["period"],
                  "base_period": facts["base_period"], "framework_id": facts["framework_id"],
                  "framework_version": facts["framework_version"], "framework_checksum": facts["framework_checksum"],
                  "rules": facts["rules"], "method_config": facts["config"], "run_created": facts["run_created"],
                  "batches": sorted(int(b) for b in batch_counts)}
    shown = unit_info["name"]
    return Document(kind="city", lang=lang, title=word("city_title", lang, unit=shown),
                    subtitle=f"{shown} ({unit}) · " + word("subtitle", lang, period=facts["period"], run=rid),
                    sections=sections, provenance=provenance, charts=charts, toc=tuple(toc))


def _cagr(mine: pd.DataFrame, code: Any) -> float | None:
    hit = mine.loc[mine["code"] == code, "cagr"]
    return _num(hit.iloc[0]) if len(hit) else None


def _grades_after(engine: Engine, unit: str, run_id: int, names: dict[int, str]) -> dict[str, str]:
    """Indicator → the name of the (provisional) grade once it is on target (``zhicheng gaps``)."""
    from zhicheng.evaluate.results import unit_gaps

    gaps = unit_gaps(engine, unit, run_id)
    return {c: names.get(int(v), str(v)) for c, v in zip(gaps["code"], gaps["grade_after"], strict=True)
            if not numfmt.is_missing(v)}


def unit_codes(engine: Engine, run_id: int | None = None, level: str | None = "city") -> list[str]:
    """The units a run scored at the index (of ``level`` when given), in code order."""
    from zhicheng.evaluate.results import get_run
    from zhicheng.store.schema import evaluation_results as res

    rid = get_run(engine, run_id).run_id
    stmt = (sa.select(res.c.unit_code).join(units, units.c.code == res.c.unit_code)
            .where(res.c.run_id == rid, res.c.level == "index").order_by(res.c.unit_code))
    if level:
        stmt = stmt.where(units.c.level == level)
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


ProgressFn = Callable[[str], None]


def resolve_target(engine: Engine, kind: str, key: str, run_id: int | None = None,
                   period: str | None = None) -> tuple[str, int | None]:
    """The report's subject as a code and its run as an id, checked before any rendering.

    ``key`` is a unit code or name (city), a node code (domain) or a campaign number; raises
    :class:`ReportNotFound` for what does not exist and :class:`ReportError` for bad input.
    """
    from zhicheng.errors import NotFound
    from zhicheng.evaluate.errors import EvaluationError
    from zhicheng.evaluate.results import get_run

    if kind == "campaign":
        from zhicheng.campaign.service import get_campaign

        try:
            cid = int(key)
            get_campaign(engine, cid)
        except ValueError:
            raise ReportError(f"a campaign is named by its number, not {key!r}") from None
        except NotFound as exc:
            raise ReportNotFound(str(exc)) from None
        return str(cid), None
    try:
        rid = get_run(engine, run_id, period=period).run_id
    except EvaluationError as exc:
        raise ReportNotFound(str(exc)) from None
    from zhicheng.store.schema import evaluation_results as res

    if kind == "city":
        from zhicheng.evaluate.lookup import resolve_unit

        with engine.connect() as conn:
            in_run = set(conn.execute(sa.select(res.c.unit_code).where(res.c.run_id == rid, res.c.level == "index"))
                         .scalars())
        try:
            ref = resolve_unit(engine, key, prefer=in_run)
        except EvaluationError as exc:  # no such unit, or a name several units share
            raise (ReportNotFound if str(exc).startswith("no unit") else ReportError)(str(exc)) from None
        if ref.code not in in_run:
            raise ReportNotFound(f"{ref.name_zh} ({ref.code}) is not in evaluation run {rid}")
        return ref.code, rid
    with engine.connect() as conn:
        found = conn.execute(sa.select(res.c.code).where(res.c.run_id == rid, res.c.code == key).limit(1)).first()
    if found is None:
        raise ReportNotFound(f"run {rid} has no goal domain {key!r}")
    return key, rid


def write_report(engine: Engine, kind: str, key: str, out: Path, *, fmt: str = "pdf", lang: str = "zh",
                 run_id: int | None = None, templates: Path | None = None,
                 gatherer: Gatherer | None = None) -> tuple[Path, Document]:
    """Gather and render one report to ``out`` (atomic); returns the path and the document."""
    from zhicheng.report import render
    from zhicheng.report.document import check

    check(kind, fmt, lang)
    if kind == "city":
        doc = city_document(engine, key, run_id, lang, gatherer=gatherer)
    elif kind == "domain":
        doc = domain_document(engine, key, run_id, lang, gatherer=gatherer)
    else:
        try:
            cid = int(key)
        except ValueError:
            raise ReportError(f"a campaign is named by its number, not {key!r}") from None
        doc = campaign_document(engine, cid, lang)
    render.write(doc, fmt, out, templates=templates)
    sidecar = out.with_name(out.name + ".provenance.json")
    tmp = sidecar.with_name(sidecar.name + ".part")
    tmp.write_text(json.dumps({**doc.provenance, "fingerprint": doc.fingerprint(), "format": fmt, "lang": lang},
                              ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(sidecar)
    return out, doc


def domain_document(engine: Engine, domain: str, run_id: int | None = None, lang: str = "zh", *,
                    gatherer: Gatherer | None = None) -> Document:
    """The report of one goal domain (or any node) across units: ranking, map, distribution."""
    from zhicheng.views.context import ReportNotFound as ViewNotFound

    g = gatherer or Gatherer(engine)
    rid = g.run_id(run_id)
    frame = g.results(rid)
    if not (frame["code"] == domain).any():
        known = ", ".join(sorted(set(frame.loc[frame["level"] == "domain", "code"])))
        raise ReportNotFound(f"run {rid} has no goal domain {domain!r} (it has {known})")
    try:
        ranking = g.views.ranking(rid, domain, lang)
    except ViewNotFound as exc:
        raise ReportNotFound(str(exc)) from None
    facts = _run_facts(engine, rid)
    rows = [{"rank": r["rank"], "code": r["unit_code"], "name": r["name"], "group": r.get("group"),
             "score": r["score"], "coverage": r.get("coverage"), "grade_text": _grade_text(r, lang)[0]}
            for r in ranking["rows"]]
    scores = [r["score"] for r in rows if r["score"] is not None]
    median = float(pd.Series(scores).median()) if scores else None
    geo = json.loads(g.views.geojson(rid)[0])
    by_code = {r["code"]: r["score"] for r in rows}
    features = [{"geometry": f["geometry"], "value": by_code.get(str(f.get("id") or f["properties"].get("code")))}
                for f in geo.get("features", []) if f.get("geometry")
                and str(f.get("id") or f["properties"].get("code")) in by_code]
    node_name = ranking["node"]["name"]
    batches = sorted(int(b) for b in frame.loc[frame["code"].str.startswith(domain + "."), "source_batch"].dropna().unique())
    charts: dict[str, dict[str, Any]] = {
        "histogram": {"type": "histogram", "values": scores, "xlabel": word("score", lang), "ylabel": word("count", lang)},
        "bars": {"type": "bars", "labels": [r["name"] for r in rows[:25]], "values": [r["score"] for r in rows[:25]]},
    }
    if features:
        charts["map"] = {"type": "map", "features": features, "label": word("score", lang)}
    sections = {"node": {"code": domain, "name": node_name, "units": len(rows), "scored": len(scores),
                         "median": median},
                "ranking": rows,
                "sources": _sources(engine, {b: int((frame["source_batch"] == b).sum()) for b in batches}),
                "method": {"framework_id": facts["framework_id"],
                           "framework_name": facts["framework_name"].get(lang) or facts["framework_id"],
                           "framework_version": facts["framework_version"], "rules": facts["rules"],
                           "run_created": facts["run_created"][:19], "config": facts["config"].strip(),
                           "uncertainty": _uncertainty(engine, rid, lang)}}
    toc = [("ranking", word("ranking", lang)), ("map", word("map", lang)), ("distribution", word("distribution", lang)),
           ("sources", word("sources", lang)), ("method", word("method", lang))]
    provenance = {"report": "domain", "code": domain, "run_id": rid, "period": facts["period"],
                  "framework_id": facts["framework_id"], "framework_version": facts["framework_version"],
                  "framework_checksum": facts["framework_checksum"], "rules": facts["rules"],
                  "method_config": facts["config"], "run_created": facts["run_created"], "batches": batches}
    return Document(kind="domain", lang=lang, title=word("domain_title", lang, domain=node_name),
                    subtitle=f"{node_name} ({domain}) · " + word("subtitle", lang, period=facts["period"], run=rid),
                    sections=sections, provenance=provenance, charts=charts, toc=tuple(toc))


def campaign_document(engine: Engine, campaign_id: int, lang: str = "zh") -> Document:
    """The campaign report: who submitted what, the review state of each, the evidence list."""
    from zhicheng.campaign.progress import export_frame
    from zhicheng.campaign.service import get_campaign
    from zhicheng.errors import NotFound

    try:
        camp = get_campaign(engine, campaign_id, lang=lang)
    except NotFound as exc:
        raise ReportNotFound(str(exc)) from None
    frame = export_frame(engine, campaign_id, lang=lang)
    with engine.connect() as conn:
        names = dict(conn.execute(sa.select(units.c.code, units.c.name_en if lang == "en" else units.c.name_zh)).all())
    def text(value: Any) -> str:
        return "" if numfmt.is_missing(value) else str(value)

    rows = []
    for r in frame.to_dict("records"):
        state = text(r.get("status")) or "missing"
        rows.append({"indicator": r.get("indicator_id"), "name": text(r.get("indicator_name")),
                     "unit": names.get(r.get("unit_code")) or r.get("unit_code"), "unit_code": r.get("unit_code"),
                     "department": text(r.get("department")), "status": _pick(REVIEW_STATES.get(state, (state, state)), lang),
                     "value": _num(r.get("value")), "submitted_by": text(r.get("submitted_by")),
                     "reviewed_by": text(r.get("reviewed_by")), "evidence": text(r.get("evidence"))})
    states = pd.Series([r["status"] for r in rows], dtype=object).value_counts().sort_index()
    evidence = [{"indicator": r["indicator"], "unit": r["unit"], "file": item}
                for r in rows for item in str(r["evidence"]).split("; ") if item]
    sections = {"campaign": {"id": campaign_id, "name": camp["name"], "period": camp["period"],
                             "deadline": str(camp.get("deadline"))[:19], "status": camp.get("status"),
                             "framework": f"{camp.get('framework_id')} {camp.get('framework_version')}"},
                "states": [{"status": str(k), "count": int(v)} for k, v in states.items()],
                "submissions": rows, "evidence": evidence}
    toc = [("campaign", word("campaign", lang)), ("review", word("review_summary", lang)),
           ("submissions", word("submissions", lang)), ("evidence", word("evidence", lang))]
    batches = sorted({int(b) for b in frame.get("batch_id", pd.Series(dtype=float)).dropna()})
    provenance = {"report": "campaign", "campaign_id": campaign_id, "period": camp["period"],
                  "framework_id": camp.get("framework_id"), "framework_version": camp.get("framework_version"),
                  "batches": batches, "run_created": ""}
    return Document(kind="campaign", lang=lang, title=word("campaign_title", lang, campaign=camp["name"]),
                    subtitle=word("campaign_subtitle", lang, period=camp["period"], id=campaign_id),
                    sections=sections, provenance=provenance, charts={}, toc=tuple(toc))


# --- many reports in parallel processes -----------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(db: str, run_id: int, fmt: str, lang: str, out_dir: str, templates: str | None) -> None:
    from zhicheng.store import open_store

    engine = open_store(db)
    _WORKER.update(engine=engine, gatherer=Gatherer(engine, batch=True), run_id=run_id, fmt=fmt, lang=lang,
                   out_dir=Path(out_dir), templates=Path(templates) if templates else None)


def report_name(unit: str, period: str, lang: str, fmt: str) -> str:
    """The file name of a city report: ``report-<unit>-<period>-<lang>.<fmt>``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in unit)
    return f"report-{safe}-{period}-{lang}.{fmt}"


def _render_one(unit: str) -> tuple[str, str, float, float]:
    import time

    start, cpu = time.perf_counter(), time.process_time()
    w = _WORKER
    engine = w["engine"]
    period = _run_facts(engine, w["run_id"])["period"]
    out = w["out_dir"] / report_name(unit, period, w["lang"], w["fmt"])
    write_report(engine, "city", unit, out, fmt=w["fmt"], lang=w["lang"], run_id=w["run_id"],
                 templates=w["templates"], gatherer=w["gatherer"])
    return unit, str(out), time.perf_counter() - start, time.process_time() - cpu


def render_all_units(db: str, codes: Sequence[str], out_dir: Path, *, run_id: int, fmt: str = "pdf",
                     lang: str = "zh", jobs: int | None = None, templates: Path | None = None,
                     done: Callable[[str, str, float, float], None] | None = None,
                     ) -> list[tuple[str, str, float, float]]:
    """Render the city report of every unit in ``codes`` with ``jobs`` worker processes.

    Each process opens the store once and keeps its read caches for all its reports; ``done`` is
    called in this process as each report is written (for a progress bar) with the unit, the file,
    and the report's wall and CPU time in its worker [s].
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from zhicheng.report.document import check

    check("city", fmt, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(codes) or 1))
    context = multiprocessing.get_context("spawn")  # no inherited engine or matplotlib state
    results = []
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(db, run_id, fmt, lang, str(out_dir), str(templates) if templates else None)) as pool:
        futures = [pool.submit(_render_one, code) for code in codes]
        for future in as_completed(futures):
            item = future.result()
            results.append(item)
            if done:
                done(*item)
    return sorted(results)
