"""The unit page's report button in chromium: it queues a city report, polls the job, offers the PDF."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cockpit.browser_support import LiveServer, shot, sign_in, wait_ready
from zhicheng.auth import create_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_report_button_makes_a_pdf(page: Any, workspace_server: LiveServer) -> None:
    token = create_token(workspace_server.engine, "analyst", "report-button")
    sign_in(page, workspace_server.url, token)  # the session cookie, as the sign-in page sets it
    page.goto(workspace_server.url + "/unit/440300")
    wait_ready(page)
    button = page.get_by_test_id("report-button")
    assert button.inner_text() == "生成评估报告 (PDF)"
    button.click()
    link = page.get_by_test_id("report-download")
    link.wait_for(timeout=120_000)
    assert link.inner_text() == "下载报告"
    href = link.get_attribute("href")
    assert href and href.startswith("blob:")
    with page.expect_download() as got:
        link.click()
    saved = got.value
    assert saved.suggested_filename == "report-440300-zh.pdf"
    with open(saved.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    shot(page, "unit-report-button")


def test_without_a_token_the_button_says_why(page: Any, workspace_server: LiveServer) -> None:
    page.goto(workspace_server.url + "/unit/440300")
    wait_ready(page)
    page.get_by_test_id("report-button").click()
    status = page.get_by_test_id("report-status")
    page.wait_for_function("() => document.querySelector('[data-testid=report-status]').textContent.includes('生成失败')")
    assert "生成失败" in status.inner_text()
    page.console_log.errors.clear()  # the refused POST (401) is logged by the browser; it is what we test
