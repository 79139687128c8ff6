"""The workspace commands through the CLI runner: init, ingest, evaluate, results, gaps, demo."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from zhicheng.cli import app
from zhicheng.goals import builtin_framework

FRAMEWORK = builtin_framework()

DATA = Path(__file__).resolve().parents[2] / "data"
UNITS = "code,name\n440100,广州市\n440300,深圳市\n320100,南京市\n"
VALUES = ("unit,indicator,period,value\n"
          "440100,D4.R1.I2,2020,150000\n440300,D4.R1.I2,2020,80000\n320100,D4.R1.I2,2020,40000\n"
          "440100,D4.R2.I1,2020,70\n440300,D4.R2.I1,2020,50\n320100,D4.R2.I1,2020,40\n")


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[CliRunner, str, Path]:
    runner = CliRunner()
    db = str(tmp_path / "ws.db")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "units.yaml").write_text("kind: units\ncode: code\nname_zh: name\n", encoding="utf-8")
    (tmp_path / "values.csv").write_text(VALUES, encoding="utf-8")
    assert runner.invoke(app, ["init", "--db", db]).exit_code == 0
    result = runner.invoke(app, ["ingest", str(tmp_path / "units.csv"), "-m", str(tmp_path / "units.yaml"), "--db", db])
    assert result.exit_code == 0, result.output
    return runner, db, tmp_path


def test_ingest_evaluate_results_and_gaps(workspace: tuple[CliRunner, str, Path]) -> None:
    runner, db, tmp = workspace
    dry = runner.invoke(app, ["ingest", str(tmp / "values.csv"), "--dry-run", "--db", db])
    assert dry.exit_code == 0 and "would write 6 new" in dry.output
    done = runner.invoke(app, ["ingest", str(tmp / "values.csv"), "--db", db])
    assert done.exit_code == 0 and "wrote 6 new" in done.output
    again = runner.invoke(app, ["ingest", str(tmp / "values.csv"), "--db", db])
    assert "already ingested as batch 2: nothing changed" in again.output
    ev = runner.invoke(app, ["evaluate", "--period", "2020", "--db", db])
    assert ev.exit_code == 0, ev.output
    assert "run 1: 3 units evaluated for 2020" in ev.output
    csv = runner.invoke(app, ["results", "--level", "index", "--format", "csv", "--db", db])
    frame = pd.read_csv(io.StringIO(csv.output), dtype={"unit_code": str})
    # Min-max across the ranked units (OECD/JRC Handbook 2008, §5.2): GDP (x − 40000) / 110000,
    # tertiary (x − 40) / 30 → 广州 100/100, 深圳 36.4/33.3, 南京 0/0; index = their mean.
    assert frame["unit_code"].tolist() == ["440100", "440300", "320100"]
    assert frame["score"].tolist() == pytest.approx([100, (40000 / 110000 * 100 + 100 / 3) / 2, 0])
    # Attainment of target beside it (worst → target, capped): 深圳 66.7 on both.
    assert frame["attainment"].tolist() == pytest.approx([100, 200 / 3, 0])
    # Every score carries its coverage (2 of the framework's performance indicators) and statuses.
    n_perf = sum(1 for i in FRAMEWORK.indicators() if i.role == "performance")
    assert frame["coverage"].tolist() == pytest.approx([2 / n_perf] * 3)
    assert set(frame["rank_status"]) == {"ranked"} and set(frame["grade_status"]) == {"insufficient_evidence"}
    assert frame["grade"].isna().all() and frame["provisional_grade"].notna().all()
    js = runner.invoke(app, ["results", "--level", "indicator", "--unit", "440300", "--format", "json", "--db", db])
    records = json.loads(js.output)
    assert {r["code"]: r["gap"] for r in records} == {"D4.R1.I2": pytest.approx(20000), "D4.R2.I1": pytest.approx(5)}
    out = tmp / "results.xlsx"
    xl = runner.invoke(app, ["results", "--level", "all", "--format", "xlsx", "--out", str(out), "--db", db])
    assert xl.exit_code == 0
    assert list(pd.read_excel(out, sheet_name=None, engine="openpyxl")) == ["index", "domain", "requirement", "indicator"]
    table = runner.invoke(app, ["results", "--level", "domain", "--db", db])
    assert table.exit_code == 0 and "产业发展" in table.output
    gaps = runner.invoke(app, ["gaps", "--unit", "440300", "--db", db])
    assert gaps.exit_code == 0 and "深圳市 (440300) 2020" in gaps.output and "D4.R1.I2" in gaps.output
    assert "证据不足" in gaps.output and "provisional grade after" in gaps.output
    # A unit by its name, with or without the suffix, in Chinese or pinyin.
    for name in ("深圳", "深圳市", "Shenzhen"):
        by_name = runner.invoke(app, ["gaps", "--unit", name, "--db", db])
        assert by_name.exit_code == 0 and "深圳市 (440300) 2020" in by_name.output, (name, by_name.output)
    table_csv = runner.invoke(app, ["results", "--level", "all", "--format", "csv", "--db", db])
    every = pd.read_csv(io.StringIO(table_csv.output), dtype={"unit_code": str})
    scored = every[every["score"].notna()]
    assert scored["coverage"].notna().all()  # coverage printed with every score


def test_errors_are_located_lines_and_exit_2(workspace: tuple[CliRunner, str, Path]) -> None:
    runner, db, tmp = workspace
    bad = tmp / "bad.csv"
    bad.write_text("unit,indicator,period,value\n999999,D4.R1.I2,2020,1\n440100,D4.R1.I2,2020,x\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(bad), "--db", db])
    assert result.exit_code == 2
    text = " ".join(result.output.split())  # the error console wraps long lines
    assert f"{bad}, row 2, column 'unit': unknown unit '999999'" in text
    assert f"{bad}, row 3, column 'value': not a number: 'x'" in text
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["ingest", str(tmp / "nope.csv"), "--db", db])
    assert missing.exit_code == 2 and "No such file" in missing.output
    nothing = runner.invoke(app, ["results", "--db", db])
    assert nothing.exit_code == 2 and "no evaluation run" in " ".join(nothing.output.split())
    fmt = runner.invoke(app, ["results", "--format", "pdf", "--db", db])
    assert fmt.exit_code == 2 and "unknown format" in fmt.output


@pytest.mark.slow
def test_demo_builds_the_real_workspace_and_is_rerunnable(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "demo.db")
    first = runner.invoke(app, ["demo", "--db", db])
    assert first.exit_code == 0, first.output
    out = first.output
    # The data-quality problems of the provenance notes are caught and handled visibly.
    assert "excluded, suspicious: one value repeats across many units" in out and "互联网宽带接入用户" in out
    assert "D4.R2.I1 (第三产业增加值占GDP比重(%)): fraction->%" in out
    assert "skipped: unknown unit '341400'" in out
    assert "cities evaluated for 2020" in out and "top 10" in out and "bottom 10" in out
    second = runner.invoke(app, ["demo", "--db", db])
    assert second.exit_code == 0
    assert second.output.count("already ingested as batch") == 4
    assert "evaluation run 1:" in second.output


def test_an_unreachable_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", "--db", "postgresql+psycopg://nobody:x@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "cannot open the store" in " ".join(result.output.split())
    assert "Traceback" not in result.output
