"""The campaign pages in a real browser: an analyst fills a submission with an evidence upload,
a refused file shows its reason and leaves nothing, a reviewer approves from the progress board."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import serve, shot
from tests.support.campaign import (
    COORDINATION,
    DISTRICTS,
    GIGABIT,
    STATS,
    load_units,
    pdf_bytes,
)
from zhicheng.auth import create_token
from zhicheng.campaign import (
    Actor,
    AssignmentSpec,
    EvidenceStore,
    SubmissionInput,
    assign,
    create_campaign,
    get_submission,
    list_submissions,
    save_submission,
)
from zhicheng.store import init_store

pytestmark = pytest.mark.browser
REVIEWER = Actor("rita", "reviewer")


@dataclass
class CampaignServer:
    url: str
    engine: Any
    folder: Path
    cid: int
    tokens: dict[str, str]


@pytest.fixture()
def campaign_server(tmp_path_factory: pytest.TempPathFactory, cockpit_assets: None) -> Iterator[CampaignServer]:
    """A server over a store with two districts and a campaign assigning two indicators to statistics."""
    folder = tmp_path_factory.mktemp("campaign")
    engine = init_store(f"sqlite:///{folder / 'store.db'}")
    load_units(engine, folder)
    tokens = {"alice": create_token(engine, "analyst", "alice", STATS),
              "rita": create_token(engine, "reviewer", "rita")}
    cid = create_campaign(engine, REVIEWER, name="2024 年度城市自评", period="2024", deadline="2099-03-31",
                          units_=DISTRICTS)
    assign(engine, REVIEWER, cid, [AssignmentSpec(GIGABIT, STATS, ("alice",)), AssignmentSpec(COORDINATION, STATS)])
    for url in serve(engine):
        yield CampaignServer(url=url, engine=engine, folder=folder, cid=cid, tokens=tokens)
    engine.dispose()


def _sign_in(page: Any, server: CampaignServer, who: str, path: str) -> None:
    page.goto(server.url + path)
    page.fill("#token-input", server.tokens[who])
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("body[data-ready='1'] #main > :not(.loading)", timeout=15_000)


def _stored_files(server: CampaignServer) -> list[Path]:
    return sorted(p for p in (server.folder / "evidence").rglob("*") if p.is_file())


def test_analyst_fills_a_submission_with_evidence(page: Any, campaign_server: CampaignServer, tmp_path: Path) -> None:
    server = campaign_server
    _sign_in(page, server, "alice", "/campaigns/mine")
    assert page.get_by_test_id("who").inner_text() == f"alice · 填报员 · {STATS}"
    rows = page.locator("[data-testid=assignment]")
    expect(rows).to_have_count(4, timeout=15_000)  # two indicators × two districts
    assert page.get_by_test_id("count-due").inner_text() == "4"
    page.get_by_test_id(f"fill-{GIGABIT}-{DISTRICTS[0]}").click()
    page.wait_for_selector("[data-testid=submission-form]")
    assert "千兆光网家庭覆盖率" in page.locator("h1").inner_text()
    report = tmp_path / "运营商覆盖报表.pdf"
    report.write_bytes(pdf_bytes("operator report"))
    page.fill("#value", "88.5")
    page.fill("#comment", "数据来自三家运营商 2024 年末报表")
    page.set_input_files("#files", str(report))
    shot(page, "campaign-form")
    page.click("button[value=submit]")
    page.wait_for_selector("[data-testid=submission-status] [data-status=submitted]", timeout=15_000)
    assert page.get_by_test_id("form-message").inner_text() == "已提交审核（已提交）。"
    assert page.get_by_test_id("evidence-name").all_inner_texts() == ["运营商覆盖报表.pdf"]
    assert page.get_by_test_id("read-only").is_visible()
    # What the browser sent is what the store holds: the value, the comment and the file's digest.
    (listed,) = list_submissions(server.engine, REVIEWER, server.cid)
    sub = get_submission(server.engine, REVIEWER, server.cid, listed["id"])
    assert (sub["status"], sub["value"], sub["submitted_by"]) == ("submitted", 88.5, "alice")
    assert sub["comment"] == "数据来自三家运营商 2024 年末报表"
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    assert [(e["filename"], e["sha256"], e["media_type"]) for e in sub["evidence"]] == [
        ("运营商覆盖报表.pdf", digest, "application/pdf")]
    assert page.get_by_test_id("evidence-item").get_attribute("data-sha256") == digest
    assert _stored_files(server) == [server.folder / "evidence" / digest[:2] / digest]
    shot(page, "campaign-submitted")


def test_refused_file_shows_the_reason_and_keeps_nothing(browser: Any, campaign_server: CampaignServer,
                                                         tmp_path: Path) -> None:
    server = campaign_server
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    before = _stored_files(server)
    _sign_in(page, server, "alice", f"/campaigns/{server.cid}/submit?indicator={COORDINATION}&unit={DISTRICTS[1]}")
    fake = tmp_path / "会议纪要.pdf"
    fake.write_bytes(b"<html><script>alert('x')</script></html>")
    page.fill("#answer", "领导小组已成立")
    page.fill("#items_met", "4")
    page.fill("#items_total", "5")
    page.select_option("#maturity", "3")
    page.set_input_files("#files", str(fake))
    page.click("button[value=submit]")
    page.wait_for_selector("#form-msg.problems", timeout=15_000)
    assert "bytes are not application/pdf" in page.get_by_test_id("form-message").inner_text()
    assert page.get_by_test_id("submission-status").inner_text() == "未开始"
    assert [s for s in list_submissions(server.engine, REVIEWER, server.cid) if s["indicator_id"] == COORDINATION] == []
    assert _stored_files(server) == before
    assert errors == []
    context.close()


def _ensure_submitted(server: CampaignServer) -> None:
    """Alice's submission, as the analyst's test makes it through the browser."""
    evidence = EvidenceStore(server.folder / "evidence", max_bytes=1 << 20)
    save_submission(server.engine, evidence, Actor("alice", "analyst", STATS), server.cid,
                    SubmissionInput(GIGABIT, DISTRICTS[0], value=88.5),
                    [("运营商覆盖报表.pdf", io.BytesIO(pdf_bytes("operator report")))], submit=True)


def test_reviewer_approves_from_the_progress_board(page: Any, campaign_server: CampaignServer) -> None:
    server = campaign_server
    _ensure_submitted(server)
    _sign_in(page, server, "rita", f"/campaigns/{server.cid}")
    review = page.locator("[data-testid=review-table] tbody tr")
    # the board fills its tables after the page shell: wait for them rather than read at once
    expect(review).to_have_count(1, timeout=15_000)  # alice's submission
    expect(page.get_by_test_id("total-completion")).to_have_text("0%", timeout=15_000)
    page.check("#select-all")
    page.click("#approve-btn")
    page.wait_for_selector("[data-testid=total-completion]:text('25%')", timeout=15_000)
    row = page.locator(f"[data-testid=indicator-progress] tr[data-indicator='{GIGABIT}']")
    assert row.get_by_test_id("approved").inner_text() == "1"
    (sub,) = list_submissions(server.engine, REVIEWER, server.cid, status="approved")
    assert sub["value"] == 88.5 and sub["batch_id"] is not None
    shot(page, "campaign-board")


def test_campaign_pages_speak_chinese_and_name_units(page: Any, campaign_server: CampaignServer) -> None:
    from tests.cockpit.test_zh_labels_browser import english_words

    server = campaign_server
    _sign_in(page, server, "alice", "/campaigns/mine")
    expect(page.locator("[data-testid=assignment]")).to_have_count(4, timeout=15_000)
    found = {"/campaigns/mine": english_words(page) - {"alice"}}
    table = page.get_by_test_id("my-assignments").inner_text()
    assert not any(code in table for code in DISTRICTS)  # units by name, never by code
    days = page.get_by_test_id("days-left").all_inner_texts()
    assert days and all(d.endswith(" 天") and d.removesuffix(" 天").isdigit() for d in days), days
    page.goto(server.url + f"/campaigns/{server.cid}")
    page.wait_for_selector("body[data-ready='1'] #main > :not(.loading)", timeout=15_000)
    found[f"/campaigns/{server.cid}"] = english_words(page) - {"alice"}
    assert found == {k: set() for k in found}, found
