"""`zhicheng survey validate|ingest|report` through Typer's runner, on a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.survey.conftest import UNIT, add_unit
from zhicheng.cli import app
from zhicheng.store import init_store

runner = CliRunner()

GOOD = """\
respondent_id,age_band,sex,city_as_place_to_live,neighbourhood_satisfaction,crime_concern
r1,25-44,female,4,5,1
r2,45-64,male,5,4,2
r3,65+,female,2,3,3
"""
MARGINS = """\
unit,dimension,category,share,source
C1,sex,female,0.5,test margins
C1,sex,male,0.5,test margins
"""


def flat(text: str) -> str:
    return " ".join(text.split())


def test_validate_ingest_report(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    add_unit(init_store(db))
    (tmp_path / "r.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "m.csv").write_text(MARGINS, encoding="utf-8")
    ok = runner.invoke(app, ["survey", "validate", str(tmp_path / "r.csv")])
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.stdout
    done = runner.invoke(app, ["survey", "ingest", str(tmp_path / "r.csv"), "--unit", UNIT, "--period", "2026",
                               "--db", db, "--margins", str(tmp_path / "m.csv")])
    assert done.exit_code == 0, done.output
    out = flat(done.stdout)
    assert "stored 2 margin rows" in out and "3 respondents, 9 answers" in out
    assert "2026: indicators D7.R2.I1 =" not in out  # fewer than 30 answers: nothing published
    assert "D7.R2.I1: no satisfaction question with 30 answers or more" in out
    rep = runner.invoke(app, ["survey", "report", "--db", db, "--unit", UNIT, "--json"])
    assert rep.exit_code == 0, rep.output
    data = json.loads(rep.stdout)
    assert data["weighting"].startswith("weighted: raked to sex (test margins)")
    city = next(q for q in data["questions"] if q["question_id"] == "city_as_place_to_live")
    assert city["n"] == 3 and city["warning"].startswith("only 3 answers")
    table = runner.invoke(app, ["survey", "report", "--db", db, "--wave", "1", "--lang", "en"])
    assert table.exit_code == 0, table.output
    assert "Overall," in table.stdout  # English question texts
    # alpha of the two wellbeing items: k/(k−1)(1 − (7/3 + 1)/(16/3)) = 0.75
    assert "│ wellbeing │ 2     │ 0.750" in table.stdout


def test_bad_file_exits_2_with_located_lines(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(GOOD.replace("r2,45-64,male,5", "r2,45-64,male,7"), encoding="utf-8")
    bad = runner.invoke(app, ["survey", "validate", str(tmp_path / "r.csv")])
    assert bad.exit_code == 2
    err = flat(bad.stderr)
    assert "row 3, column 'city_as_place_to_live': answer off the 1–5 scale" in err
    assert "Traceback" not in bad.output


def test_report_without_waves_is_a_clear_error(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    r = runner.invoke(app, ["survey", "report", "--db", db, "--unit", "NOPE"])
    assert r.exit_code == 2 and "no survey wave matches" in flat(r.stderr)
