"""Every cockpit table as CSV and XLSX: headers in the reader's language, rounded values, units, sources."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.cockpit.cockpit_workspace import Workspace
from zhicheng.views import export, numbers

PARAMS = {
    "ranking": {}, "domains": {"unit": "440300"}, "indicators": {"unit": "440300"},
    "node-across": {"code": "D1.R1.I2"}, "node-children": {"code": "D1", "unit": "440300"},
    "values-over-time": {"code": "D1.R1.I2", "unit": "440300"}, "values-across": {"code": "D1.R1.I2"},
    "coverage": {"code": "D1.R1.I2"}, "batches": {"code": "D1.R1.I2"},
    "compare": {"units": "440300,320100"}, "sub-units": {"unit": "440300"},
}


def _csv(workspace: Workspace, table: str, **params: str) -> list[list[str]]:
    r = workspace.client.get(f"/api/export/{table}.csv", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel to read the Chinese headers
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_every_table_exports_in_both_formats(workspace: Workspace) -> None:
    assert set(PARAMS) == set(export.TABLES)
    for table, params in PARAMS.items():
        rows = _csv(workspace, table, **params)
        assert rows[0], table
        r = workspace.client.get(f"/api/export/{table}.xlsx", params=params)
        assert r.status_code == 200 and r.headers["content-disposition"] == f'attachment; filename="{table}.xlsx"'
        book = load_workbook(io.BytesIO(r.content))
        sheet = book.worksheets[0]
        assert [c.value for c in sheet[1]] == rows[0], table
        assert sheet.max_row == len(rows), table
        assert book.worksheets[1].title == "来源"


def test_ranking_export_matches_the_page_numbers(workspace: Workspace) -> None:
    ranking = workspace.client.get("/api/evaluation/ranking").json()
    rows = _csv(workspace, "ranking")
    assert rows[0] == ["排名", "单元代码", "单元", "分组", "得分", "成熟度等级", "定级状态", "数据覆盖率 [%]", "数据来源"]
    body = rows[1:]
    assert [r[1] for r in body] == [r["unit_code"] for r in ranking["rows"]]
    # The score as the page shows it (one decimal, one rounding rule), and where it comes from.
    assert [r[4] for r in body] == [numbers.text(r["score"], 1).replace(",", "") for r in ranking["rows"]]
    run = ranking["run"]
    assert {r[8] for r in body} == {f"评价运行 #{run['id']}（{run['period']}）"}
    en = _csv(workspace, "ranking", lang="en")
    assert en[0][:5] == ["Rank", "Unit code", "Unit", "Group", "Score"] and en[1][8].startswith("evaluation run #")


def test_values_carry_their_unit_of_measure_and_batch(workspace: Workspace) -> None:
    values = workspace.client.get("/api/evaluation/indicators/D1.R1.I2/values", params={"unit": "440300"}).json()
    rows = _csv(workspace, "values-over-time", code="D1.R1.I2", unit="440300")
    assert rows[0] == ["评价期", "数值", "计量单位", "数据来源"]
    batch = values["batches"][0]
    for row, point in zip(rows[1:], values["over_time"], strict=True):
        # per 100 residents: one decimal, half away from zero (as the page shows it)
        assert row == [point["period"], f"{numbers.rounded(point['value'], 1):.1f}", "每百人",
                       f"导入批次 #{batch['id']}：{batch['source']}"]
    book = load_workbook(io.BytesIO(workspace.client.get(
        "/api/export/values-over-time.xlsx", params={"code": "D1.R1.I2", "unit": "440300", "lang": "en"}).content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["Period", "Value", "Unit of measure", "Source"]
    first = sheet.cell(row=2, column=2)
    assert first.value == numbers.rounded(values["over_time"][0]["value"], 1) and first.number_format == "0.0"
    assert sheet.cell(row=2, column=3).value == "per 100 residents"
    sources = [r[1].value for r in book.worksheets[1].iter_rows(min_row=3)]
    assert sources == [f"batch #{batch['id']}: {batch['source']}"]


@pytest.mark.parametrize(("path", "status"), [("/api/export/nothing.csv", 404), ("/api/export/ranking.pdf", 404),
                                              ("/api/export/node-across.csv", 404),
                                              ("/api/export/domains.csv?unit=999999", 404)])
def test_bad_exports_are_refused(workspace: Workspace, path: str, status: int) -> None:
    r = workspace.client.get(path)
    assert r.status_code == status and r.json()["error"]["message"]
