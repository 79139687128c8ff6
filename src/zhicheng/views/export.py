"""Every table of the cockpit as a file: CSV and XLSX with headers in the reader's language.

Each exported table is built from the same read model its page shows (so the file and the page
agree), its numbers rounded by :mod:`zhicheng.views.numbers` to the decimals of their unit of
measure, the unit of measure in a column of its own and the source of every value (the
evaluation run, or the ingest batch and its file) in the last column. XLSX files carry a second
sheet that names the sources and the moment of the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zhicheng.views import measures, numbers
from zhicheng.views.context import ReportNotFound

#: How a column's values are written: text, a score [points], an amount in the row's unit of
#: measure, a whole number, or a share [0–1] written as a percentage.
KINDS = ("text", "score", "amount", "int", "percent")


@dataclass(frozen=True)
class Column:
    """One column of an exported table: the row key, its bilingual header and how it is written."""

    key: str
    zh: str
    en: str
    kind: str = "text"

    def header(self, lang: str) -> str:
        """The header in ``lang``."""
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Table:
    """A table ready to write: title, columns, rows (dicts by column key) and its sources."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExportQuery:
    """What a page asked for: run, unit, node or indicator, period, the units compared, language."""

    run: int | None = None
    unit: str | None = None
    code: str | None = None
    period: str | None = None
    units: tuple[str, ...] = ()
    lang: str = "zh"


SOURCE = Column("source", "数据来源", "Source")
#: Kinds of ingest batches by name.
KIND_NAMES = {"file": {"zh": "文件", "en": "file"}, "api": {"zh": "接口", "en": "API"},
              "campaign": {"zh": "填报", "en": "campaign"}, "derived": {"zh": "推算", "en": "derived"},
              "sensing": {"zh": "传感", "en": "sensing"}}
MEASURE = Column("measure", "计量单位", "Unit of measure")


def _run_source(run: dict[str, Any], lang: str) -> str:
    if lang == "en":
        return f"evaluation run #{run['id']} ({run['period']})"
    return f"评价运行 #{run['id']}（{run['period']}）"


def _batch_source(batch: dict[str, Any] | None, batch_id: Any, lang: str) -> str:
    file = f"：{batch['source']}" if batch and lang != "en" else f": {batch['source']}" if batch else ""
    return (f"batch #{batch_id}{file}" if lang == "en" else f"导入批次 #{batch_id}{file}")


def _measure(unit: str | None, lang: str) -> str:
    return measures.unit_label(unit, lang) or ""


def _ranking(service: Any, q: ExportQuery) -> Table:
    data = service.ranking(q.run, q.code, q.lang)
    src = _run_source(data["run"], q.lang)
    rows = [{**r, "source": src} for r in data["rows"]]
    title = f"{'Ranking' if q.lang == 'en' else '排名'} · {data['node']['name']}"
    return Table("ranking", title, (
        Column("rank", "排名", "Rank", "int"), Column("unit_code", "单元代码", "Unit code"),
        Column("name", "单元", "Unit"), Column("group", "分组", "Group"),
        Column("score", "得分", "Score", "score"), Column("grade_name", "成熟度等级", "Maturity grade"),
        Column("grade_status_name", "定级状态", "Grade status"), Column("coverage", "数据覆盖率", "Data coverage", "percent"),
        SOURCE), rows, [src])


def _score_rows(entries: list[dict[str, Any]], src: str) -> list[dict[str, Any]]:
    return [{**e, "source": src} for e in entries]


NODE_COLUMNS = (
    Column("code", "代码", "Code"), Column("name", "名称", "Name"), Column("score", "得分", "Score", "score"),
    Column("rank", "排名", "Rank", "int"), Column("coverage", "数据覆盖率", "Data coverage", "percent"),
    Column("change", "变化（较基期）", "Change since base period", "score"),
)


def _unit_page(service: Any, q: ExportQuery) -> dict[str, Any]:
    unit = q.unit or (service.overview(q.run, None, q.lang).get("unit") or {}).get("code")
    if not unit:
        raise ReportNotFound("no unit to export")
    page: dict[str, Any] = service.unit(unit, q.run, q.lang)
    return page


def _domains(service: Any, q: ExportQuery) -> Table:
    page = _unit_page(service, q)
    src = _run_source(page["run"], q.lang)
    title = f"{page['unit']['name']} · {'Domains' if q.lang == 'en' else '目标域'}"
    return Table("domains", title, (*NODE_COLUMNS, SOURCE), _score_rows(page["domains"], src), [src])


def _indicators(service: Any, q: ExportQuery) -> Table:
    page = _unit_page(service, q)
    src = _run_source(page["run"], q.lang)
    rows = [{**e, "measure": _measure(e.get("unit"), q.lang), "source": src} for e in page["indicators"]]
    title = f"{page['unit']['name']} · {'Indicators' if q.lang == 'en' else '指标'}"
    return Table("indicators", title, (
        Column("code", "代码", "Code"), Column("name", "指标", "Indicator"), Column("score", "得分", "Score", "score"),
        Column("rank", "排名", "Rank", "int"), Column("raw_value", "原始值", "Raw value", "amount"), MEASURE,
        Column("target", "目标", "Target", "amount"), Column("gap", "差距", "Gap", "amount"),
        Column("lift", "可提升指数", "Index lift", "score"), Column("value_period", "数据期", "Data period"),
        Column("change", "变化（较基期）", "Change since base period", "amount"),
        Column("cagr", "年均增速", "CAGR", "percent"), SOURCE), rows, [src])


def _node(service: Any, q: ExportQuery, part: str) -> Table:
    if not q.code:
        raise ReportNotFound("no goal-tree node to export")
    data = service.node(q.code, q.run, q.unit, q.lang)
    src = _run_source(data["run"], q.lang)
    if part == "children":
        return Table("children", f"{data['node']['name']} · {'Below' if q.lang == 'en' else '下级得分'}",
                     (*NODE_COLUMNS, SOURCE), _score_rows(data["children"], src), [src])
    unit = data["node"].get("unit")
    rows = [{**r, "measure": _measure(unit, q.lang), "unit": unit, "source": src} for r in data["across"]]
    raw = (Column("raw_value", "原始值", "Raw value", "amount"), MEASURE) if data["node"]["level"] == "indicator" else ()
    return Table("across", f"{data['node']['name']} · {'Across units' if q.lang == 'en' else '各单元对比'}", (
        Column("rank", "排名", "Rank", "int"), Column("unit_code", "单元代码", "Unit code"),
        Column("name", "单元", "Unit"), Column("score", "得分", "Score", "score"), *raw, SOURCE), rows, [src])


def _values(service: Any, q: ExportQuery, part: str) -> Table:
    if not q.code:
        raise ReportNotFound("no indicator to export")
    v = service.indicator_values(q.code, q.run, q.unit, q.period, q.lang)
    unit = v["indicator"].get("unit")
    batches = {b["id"]: b for b in v["batches"]}
    name = v["indicator"]["name"]
    en = q.lang == "en"
    if part == "batches":
        rows = [{**b, "kind_name": KIND_NAMES.get(b["kind"], {}).get(q.lang, b["kind"])} for b in v["batches"]]
        return Table("batches", f"{name} · {'Source batches' if en else '数据来源批次'}", (
            Column("id", "批次", "Batch", "int"), Column("source", "来源", "Source"), Column("kind_name", "类型", "Kind"),
            Column("ingested_at", "导入时间", "Ingested"), Column("ingested_by", "导入者", "Ingested by"),
            Column("row_count", "行数", "Rows", "int"), Column("checksum", "校验和", "Checksum")), rows,
            [_batch_source(b, b["id"], q.lang) for b in v["batches"]])
    if part == "coverage":
        return Table("coverage", f"{name} · {'Data coverage' if en else '数据覆盖率'}", (
            Column("period", "评价期", "Period"), Column("units", "单元数", "Units", "int"),
            Column("of", "单元总数", "Of units", "int"), Column("share", "覆盖率", "Coverage", "percent")),
            v["coverage"], [])
    if part == "over-time":
        raw = v["over_time"]
        label = f"{name} · {(v.get('unit') or {}).get('name', '')} · {'Values over time' if en else '历年数值'}"
        cols: tuple[Column, ...] = (Column("period", "评价期", "Period"), Column("value", "数值", "Value", "amount"))
    else:
        raw = v["across_units"]
        label = f"{name} · {'Values across units' if en else '各单元数值'} ({v['period']})"
        cols = (Column("unit_code", "单元代码", "Unit code"), Column("name", "单元", "Unit"),
                Column("value", "数值", "Value", "amount"))
    rows = [{**r, "unit": unit, "measure": _measure(unit, q.lang),
             "source": _batch_source(batches.get(r["batch_id"]), r["batch_id"], q.lang)} for r in raw]
    used = sorted({r["batch_id"] for r in raw})
    return Table(part, label, (*cols, MEASURE, SOURCE), rows,
                 [_batch_source(batches.get(b), b, q.lang) for b in used])


def _compare(service: Any, q: ExportQuery) -> Table:
    base = service.overview(q.run, None, q.lang)
    names = {u["code"]: u["name"] for u in base["units"]}
    chosen = [u for u in q.units if u in names][:5]
    if not chosen:
        raise ReportNotFound("no units to compare")
    src = _run_source(base["run"], q.lang)
    cols = [Column("name", "目标域", "Domain")]
    cols += [Column(f"u{i}", names[u], names[u], "score") for i, u in enumerate(chosen)]
    rows = []
    for slot, code in enumerate(base["scores"]["codes"]):
        row: dict[str, Any] = {"code": code, "name": base["scores"]["names"][slot], "source": src}
        for i, u in enumerate(chosen):
            row[f"u{i}"] = base["scores"]["units"].get(u, [None] * (slot + 1))[slot]
        rows.append(row)
    return Table("compare", "Compare units" if q.lang == "en" else "单元对比", (*cols, SOURCE), rows, [src])


def _sub_units(service: Any, q: ExportQuery) -> Table:
    page = _unit_page(service, q)
    rows = []
    for c in page["children"]["units"]:
        for v in c["values"] or [{}]:
            rows.append({**v, "unit_code": c["code"], "name": c["name"], "score": c["score"], "indicator": v.get("name"),
                         "measure": _measure(v.get("unit"), q.lang),
                         "source": _batch_source(None, v["batch_id"], q.lang) if v else ""})
    return Table("sub-units", f"{page['unit']['name']} · {'Districts and counties' if q.lang == 'en' else '下级单元（区县）'}", (
        Column("unit_code", "单元代码", "Unit code"), Column("name", "单元", "Unit"),
        Column("score", "综合指数", "Composite index", "score"), Column("indicator_id", "指标代码", "Indicator code"),
        Column("indicator", "指标", "Indicator"),
        Column("period", "数据期", "Data period"), Column("value", "数值", "Value", "amount"), MEASURE, SOURCE),
        rows, [])


#: Every exportable table by name (the name is part of the export's path, a contract).
TABLES: dict[str, Callable[[Any, ExportQuery], Table]] = {
    "ranking": _ranking,
    "domains": _domains,
    "indicators": _indicators,
    "node-across": lambda s, q: _node(s, q, "across"),
    "node-children": lambda s, q: _node(s, q, "children"),
    "values-over-time": lambda s, q: _values(s, q, "over-time"),
    "values-across": lambda s, q: _values(s, q, "across"),
    "coverage": lambda s, q: _values(s, q, "coverage"),
    "batches": lambda s, q: _values(s, q, "batches"),
    "compare": _compare,
    "sub-units": _sub_units,
}


def build(service: Any, name: str, query: ExportQuery) -> Table:
    """The table ``name`` for ``query``; :class:`ReportNotFound` for an unknown table."""
    builder = TABLES.get(name)
    if builder is None:
        raise ReportNotFound(f"no exportable table {name!r} (one of {', '.join(sorted(TABLES))})")
    return builder(service, query)


def _places(column: Column, row: dict[str, Any]) -> int:
    if column.kind == "score":
        return measures.SCORE_DECIMALS
    if column.kind == "amount":
        return measures.decimals(row.get("unit"))
    if column.kind == "percent":
        return 1
    return 0


def cell(column: Column, row: dict[str, Any]) -> Any:
    """The value written for ``column`` of ``row``: rounded numbers, percentages [%], text."""
    value = row.get(column.key)
    if value is None or column.kind == "text":
        return value
    if not isinstance(value, int | float):
        return value
    if column.kind == "percent":
        return numbers.rounded(float(value) * 100, 1)
    if column.kind == "int":
        return int(value) if float(value).is_integer() else numbers.rounded(float(value), 1)
    return numbers.rounded(float(value), _places(column, row))


def headers(table: Table, lang: str) -> list[str]:
    """The header row in ``lang``; percentages say so."""
    return [c.header(lang) + (" [%]" if c.kind == "percent" else "") for c in table.columns]


def to_csv(table: Table, lang: str) -> bytes:
    """The table as CSV (UTF-8 with a byte-order mark, which Excel needs to read Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(table, lang))
    for row in table.rows:
        values = []
        for c in table.columns:
            v = cell(c, row)
            values.append("" if v is None else f"{v:.{_places(c, row)}f}" if isinstance(v, float) else v)
        writer.writerow(values)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, lang: str) -> bytes:
    """The table as an XLSX workbook: the table's sheet (rounded numbers, their formats) and its sources."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_name(table.name)
    sheet.append(headers(table, lang))
    for c in sheet[1]:
        c.font = Font(bold=True)
    for row in table.rows:
        sheet.append([cell(c, row) for c in table.columns])
        for col, c in zip(sheet[sheet.max_row], table.columns, strict=True):
            if isinstance(col.value, float):
                places = _places(c, row)
                col.number_format = "0" if places == 0 else "0." + "0" * places
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("Sources" if lang == "en" else "来源")
    notes.append(["Table" if lang == "en" else "表格", table.title])
    notes.append(["Exported" if lang == "en" else "导出时间", datetime.now(UTC).isoformat(timespec="seconds")])
    for s in table.sources:
        notes.append(["Source" if lang == "en" else "数据来源", s])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    return name[:31]
