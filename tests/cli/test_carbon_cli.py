"""`zhicheng carbon` load / inventory / peak / decompose / targets / checks, through Typer's runner."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.carbon.conftest import CITIES, PROVINCES, carbon_db  # noqa: F401  (session fixture)
from zhicheng.cli import app

runner = CliRunner()


def test_load_twice_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "provinces"
    folder.mkdir()
    shutil.copy(next(PROVINCES.glob("*2019.xlsx")), folder)
    db = str(tmp_path / "s.db")
    first = runner.invoke(app, ["carbon", "load", "--provinces", str(folder), "--cities", str(CITIES), "--db", db])
    assert first.exit_code == 0, first.output
    assert "30 read" in first.output and "30 province units added" in first.output
    again = runner.invoke(app, ["carbon", "load", "--provinces", str(folder), "--cities", str(CITIES), "--db", db])
    assert again.exit_code == 0 and again.output.count("already loaded") == 2


def test_inventory_formats(carbon_db: str, tmp_path: Path) -> None:  # noqa: F811
    csv = runner.invoke(app, ["carbon", "inventory", "--unit", "110000", "--by", "group", "--year", "2019",
                              "--format", "csv", "--db", carbon_db])
    assert csv.exit_code == 0, csv.output
    frame = pd.read_csv(io.StringIO(csv.stdout))
    assert list(frame.columns) == ["unit_code", "name", "year", "group", "group_name", "value_mt", "share", "scope"]
    assert frame["value_mt"].sum() == pytest.approx(89.1845, abs=1e-3)
    assert "交通运输" in set(frame["group_name"])
    en = runner.invoke(app, ["carbon", "inventory", "--unit", "110000", "--by", "field", "--format", "json",
                             "--lang", "en", "--db", carbon_db])
    assert {r["field_name"] for r in json.loads(en.stdout)} == {"Production", "Transport", "Consumption"}
    out = tmp_path / "inv.xlsx"
    x = runner.invoke(app, ["carbon", "inventory", "--by", "total", "--format", "xlsx", "--out", str(out), "--db", carbon_db])
    assert x.exit_code == 0, x.output
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]] == ["unit_code", "name", "year", "value_mt"]
    table = runner.invoke(app, ["carbon", "inventory", "--unit", "130000", "--by", "total", "--db", carbon_db])
    assert table.exit_code == 0 and "河北省" in table.output


def test_peak_decompose_targets_checks(carbon_db: str) -> None:  # noqa: F811
    peak = runner.invoke(app, ["carbon", "peak", "--format", "json", "--db", carbon_db])
    rows = {r["unit_code"]: r for r in json.loads(peak.stdout)}
    assert rows["110000"]["status"] in {"peaked", "plateau", "rising", "unknown"} and rows["110000"]["status_name"]
    dec = runner.invoke(app, ["carbon", "decompose", "--unit", "110000", "--from", "2014", "--to", "2019",
                              "--format", "json", "--db", carbon_db])
    assert dec.exit_code == 0, dec.output
    effects = json.loads(dec.stdout)
    assert sum(e["value_mt"] for e in effects) == pytest.approx(effects[0]["change_mt"], abs=1e-9)
    assert {e["effect"] for e in effects} == {"population", "affluence", "intensity", "structure", "fuel_mix"}
    every = runner.invoke(app, ["carbon", "decompose", "--from", "2014", "--to", "2019", "--format", "csv",
                                "--db", carbon_db])
    assert pd.read_csv(io.StringIO(every.stdout))["unit_code"].nunique() >= 30
    tg = runner.invoke(app, ["carbon", "targets", "--unit", "110000", "--peak-by", "2025", "--format", "json",
                             "--db", carbon_db])
    assert tg.exit_code == 0, tg.output
    got = {r["id"]: r for r in json.loads(tg.stdout)}
    assert got["cn_13fyp"]["prices"] == "current prices" and "user-peak-2015-2025" in got
    checks = runner.invoke(app, ["carbon", "checks", "--format", "json", "--db", carbon_db])
    bj = [r for r in json.loads(checks.stdout) if r["city_code"] == "110100" and r["year"] == 2019][0]
    assert bj["agrees"] is False


def test_bad_input_is_one_clear_line(carbon_db: str, tmp_path: Path) -> None:  # noqa: F811
    missing = runner.invoke(app, ["carbon", "decompose", "--unit", "110000", "--from", "2012", "--to", "2019",
                                  "--db", carbon_db])
    assert missing.exit_code == 2 and "no inventory for 2012" in missing.output
    assert "Traceback" not in missing.output
    fmt = runner.invoke(app, ["carbon", "peak", "--format", "pdf", "--db", carbon_db])
    assert fmt.exit_code == 2 and "unknown format" in fmt.output
    empty = runner.invoke(app, ["carbon", "peak", "--db", str(tmp_path / "empty.db")])
    assert empty.exit_code == 2 and "zhicheng carbon load" in empty.output
