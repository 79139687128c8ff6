"""`zhicheng campaign create|assign|status|export` through Typer's runner, on a real SQLite store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.support.campaign import (
    ALICE,
    DISTRICTS,
    ENV,
    GIGABIT,
    ONLINE,
    REVIEWER,
    STATS,
    load_units,
    pdf_bytes,
)
from zhicheng.auth import create_token
from zhicheng.campaign import EvidenceStore, SubmissionInput, approve, save_submission
from zhicheng.cli import app
from zhicheng.store import init_store

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "store.db"
    engine = init_store(path)
    load_units(engine, tmp_path)
    create_token(engine, "analyst", "alice", STATS)
    engine.dispose()
    return str(path)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_create_assign_status_export(db: str, tmp_path: Path) -> None:
    made = runner.invoke(app, ["campaign", "create", "--db", db, "--name", "2024 年度自评", "--period", "2024",
                               "--deadline", "2099-06-30", "--unit", DISTRICTS[0], "--unit", DISTRICTS[1]])
    assert made.exit_code == 0, made.output
    cid = int(made.stdout.strip().splitlines()[-1])
    plan = tmp_path / "plan.csv"
    plan.write_text(f"indicator_id,department,assignees\n{ONLINE},{ENV},\n", encoding="utf-8")
    for args in (["--indicator", GIGABIT, "--department", STATS, "--user", "alice"], ["--file", str(plan)]):
        done = runner.invoke(app, ["campaign", "assign", str(cid), "--db", db, *args])
        assert done.exit_code == 0, done.output
    assert "2 in all" in flat(done.stdout)

    engine = init_store(db)
    evidence = EvidenceStore(tmp_path / "evidence", max_bytes=1 << 20)
    sub = save_submission(engine, evidence, ALICE, cid, SubmissionInput(GIGABIT, DISTRICTS[0], value=86.0),
                          [("报表.pdf", io.BytesIO(pdf_bytes()))], submit=True)
    approve(engine, REVIEWER, cid, [sub["id"]])

    shown = runner.invoke(app, ["campaign", "status", str(cid), "--db", db], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    lines = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
             for line in shown.stdout.splitlines() if line.count("│") > 5}
    # expected, missing, draft, submitted, returned, resubmitted, approved, completion, overdue
    assert lines[STATS] == ["2", "1", "0", "0", "0", "0", "1", "50%", "0"]
    assert lines[ENV] == ["2", "2", "0", "0", "0", "0", "0", "0%", "0"]
    assert lines["all"] == ["4", "3", "0", "0", "0", "0", "1", "25%", "0"]

    out = tmp_path / "export.csv"
    assert runner.invoke(app, ["campaign", "export", str(cid), "--db", db, "--out", str(out)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["indicator_id"], r["unit_code"], r["status"]) for r in rows] == [
        (GIGABIT, DISTRICTS[0], "approved"), (GIGABIT, DISTRICTS[1], "missing"),
        (ONLINE, DISTRICTS[0], "missing"), (ONLINE, DISTRICTS[1], "missing")]
    assert rows[0]["value"] == "86.0" and rows[0]["indicator_name"] == "千兆光网家庭覆盖率"
    assert rows[0]["evidence"].startswith("报表.pdf sha256:") and rows[0]["batch_id"] != ""
    book = tmp_path / "export.xlsx"
    assert runner.invoke(app, ["campaign", "export", str(cid), "--db", db, "-o", str(book), "--lang", "en"]).exit_code == 0
    sheet = load_workbook(book).active
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert first["indicator_name"] == "Households covered by gigabit fibre"
    assert first["value"] == 86.0 and sheet.max_row == 5
    engine.dispose()


def test_bad_input_gives_located_lines_and_exit_2(db: str, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["campaign", "create", "--db", db, "--name", "x", "--period", "2024",
                              "--deadline", "next week", "--unit", "999999"])
    assert bad.exit_code == 2
    assert "unknown unit '999999'" in bad.output and "'next week' is not an ISO date" in bad.output
    assert "Traceback" not in bad.output
    made = runner.invoke(app, ["campaign", "create", "--db", db, "--name", "x", "--period", "2024",
                               "--deadline", "2099-01-01", "--unit", DISTRICTS[0]])
    cid = made.stdout.strip().splitlines()[-1]
    plan = tmp_path / "plan.csv"
    plan.write_text("indicator_id,department,assignees\nD1.R1.I99,统计局,\nD1.R1.I3,统计局,mallory\n", encoding="utf-8")
    bad = runner.invoke(app, ["campaign", "assign", cid, "--db", db, "--file", str(plan)])
    assert bad.exit_code == 2
    assert "row 1, column 'indicator_id': unknown indicator 'D1.R1.I99'" in bad.output
    assert "row 2, column 'assignees': 'mallory' is not an analyst of '统计局'" in bad.output
    assert runner.invoke(app, ["campaign", "status", "42", "--db", db]).exit_code == 2
    wrong = runner.invoke(app, ["campaign", "export", cid, "--db", db, "--out", str(tmp_path / "x.json")])
    assert wrong.exit_code == 2 and "export as .csv or .xlsx" in wrong.output
