"""Trends, comparison, the province filter and districts in a real browser."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cockpit.browser_support import LiveServer, shot, wait_ready
from zhicheng.store.schema import indicator_values, ingest_batches, units
from zhicheng.views import numbers

pytestmark = pytest.mark.browser


def api(server: LiveServer, path: str, **params: Any) -> Any:
    response = httpx.get(server.url + path, params=params, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def with_district(workspace_server: LiveServer) -> LiveServer:
    """The shared workspace plus one county-level city of Suzhou with one value (synthetic label)."""
    with workspace_server.engine.begin() as conn:
        conn.execute(units.insert().values(code="320581", name_zh="常熟市", name_en="Changshu", level="county",
                                           parent_code="320500", group_name="江苏省"))
        batch = conn.execute(ingest_batches.insert().values(
            source="synthetic test value", checksum="1" * 64, kind="file", ingested_by="tests",
            ingested_at=datetime.now(UTC), row_count=1)).inserted_primary_key[0]
        conn.execute(indicator_values.insert().values(unit_code="320581", indicator_id="D4.R1.I2", period="2020",
                                                      value=171234.5, batch_id=batch))
    return workspace_server


def test_unit_page_shows_change_trend_and_districts(page: Any, with_district: LiveServer) -> None:
    data = api(with_district, "/api/evaluation/units/320500")
    page.goto(with_district.url + "/unit/320500")
    wait_ready(page)
    assert data["trend"]["periods"] == ["2020"] and data["trend"]["series"][0]["scores"][0] == data["index"]["score"]
    change = data["index"]["change"]
    assert change is not None
    shown = page.get_by_test_id("unit-change").inner_text()
    assert numbers.text(abs(change), 1) in shown and "2015" in shown
    trend = page.evaluate("() => echarts.getInstanceByDom(document.querySelector('[data-testid=unit-trend]')).getOption()")
    assert trend["xAxis"][0]["data"] == ["2020"] and trend["series"][0]["data"] == [numbers.score(data["index"]["score"])]
    sub = page.locator("[data-testid=sub-units] tbody tr")
    assert sub.count() == 1 and "常熟市" in sub.first.inner_text() and "171,235 元/人" in sub.first.inner_text()  # CNY/person: whole yuan, half up
    shot(page, "unit-trend-districts")


def test_comparison_puts_units_side_by_side(page: Any, workspace_server: LiveServer) -> None:
    overview = api(workspace_server, "/api/cockpit/overview")
    chosen = ["320100", "440300", "510100"]
    page.goto(workspace_server.url + "/compare?units=" + ",".join(chosen))
    wait_ready(page)
    heads = page.locator("[data-testid=compare-table] thead th").all_inner_texts()[1:]
    names = {u["code"]: u["name"] for u in overview["units"]}
    assert heads == [names[c] for c in chosen]
    for slot, code in enumerate(overview["scores"]["codes"]):
        cells = page.locator(f"[data-testid=compare-table] tr[data-code='{code}'] td").all_inner_texts()
        want = [overview["scores"]["units"][u][slot] for u in chosen]
        assert cells == [numbers.text(v, 1) if v is not None else "暂无数据" for v in want]
    bars = page.evaluate("() => echarts.getInstanceByDom(document.querySelector('[data-testid=compare-bars]')).getOption()")
    assert [s["name"] for s in bars["series"]] == [names[c] for c in chosen]
    # A fourth unit from the pickers joins the comparison (and the address keeps the choice).
    page.locator("[data-testid=compare-pick][data-slot='3']").select_option("330100")
    wait_ready(page)
    assert page.url.endswith("units=320100%2C440300%2C510100%2C330100")
    assert page.locator("[data-testid=compare-table] thead th").count() == 5
    shot(page, "compare")


def test_ranking_filters_by_province(page: Any, workspace_server: LiveServer) -> None:
    ranking = api(workspace_server, "/api/evaluation/ranking")
    page.goto(workspace_server.url + "/ranking")
    wait_ready(page)
    page.get_by_test_id("ranking-province").select_option("广东省")
    rows = page.locator("[data-testid=full-ranking] tbody tr")
    expected = [r["unit_code"] for r in ranking["rows"] if r["group"] == "广东省"]
    assert sorted(expected) == ["440100", "440300"]
    assert [rows.nth(i).get_attribute("data-unit") for i in range(rows.count())] == expected
    assert "group=" in page.url
    page.reload()
    wait_ready(page)
    assert page.locator("[data-testid=full-ranking] tbody tr").count() == 2


def test_tables_download_as_files(page: Any, workspace_server: LiveServer) -> None:
    page.goto(workspace_server.url + "/ranking?code=D1")
    wait_ready(page)
    with page.expect_download() as info:
        page.get_by_test_id("export-ranking-xlsx").click()
    download = info.value
    assert download.suggested_filename == "ranking.xlsx"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
    assert sheet.cell(row=1, column=1).value == "排名" and "惠民服务" not in str(sheet.cell(row=1, column=3).value)
    assert sheet.max_row == 1 + page.locator("[data-testid=full-ranking] tbody tr").count()
    page.goto(workspace_server.url + "/indicator/D1.R1.I2")
    wait_ready(page)
    for table in ("node-across", "values-over-time", "values-across", "coverage", "batches"):
        assert page.get_by_test_id(f"export-{table}-csv").count() == 1, table
