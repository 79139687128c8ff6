"""`zhicheng framework` show / validate / export, through Typer's runner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from zhicheng.cli import app
from zhicheng.goals import builtin_framework, load_framework
from zhicheng.goals.loader import catalogue_dir

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_show_tree_with_counts_in_both_languages() -> None:
    zh = runner.invoke(app, ["framework", "show"])
    assert zh.exit_code == 0, zh.output
    out = flat(zh.stdout)
    n = len(builtin_framework().indicators())
    assert f"7 目标域 · 30 要求 · {n} 指标" in out
    assert "D1 惠民服务 (权重 1; 8 要求, 41 指标)" in out
    assert "D3.R1.I2 PM2.5 年均浓度 [µg/m³, ↓, sensor]" in out
    assert "5 引领级 ≥ 95" in out
    en = runner.invoke(app, ["framework", "show", "--lang", "en"])
    assert en.exit_code == 0
    out = flat(en.stdout)
    assert f"7 domains · 30 requirements · {n} indicators" in out
    assert "D2.R1.I1 City events closed within SLA [%, ↑, event]" in out


def test_show_a_users_file(tmp_path: Path) -> None:
    path = tmp_path / "fw.json"
    assert runner.invoke(app, ["framework", "export", "--out", str(path)]).exit_code == 0
    result = runner.invoke(app, ["framework", "show", "--lang", "en", "--file", str(path)])
    assert result.exit_code == 0
    assert "Seven goal domains of the new-type smart city" in flat(result.stdout)


def test_validate_summary() -> None:
    folder = str(catalogue_dir())
    result = runner.invoke(app, ["framework", "validate", folder])
    assert result.exit_code == 0, result.output
    n = len(builtin_framework().indicators())
    assert (f"valid framework zhicheng-7d 1.0.0 — 7 domains, 30 requirements, {n} indicators, "
            "5 grades") in flat(result.stdout)


def test_export_json_to_stdout_is_the_contract() -> None:
    result = runner.invoke(app, ["framework", "export", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["id"] == "zhicheng-7d" and doc["version"] == "1.0.0"
    assert len(doc["domains"]) == 7
    reqs = [r for d in doc["domains"] for r in d["requirements"]]
    assert len(reqs) == 30
    inds = [i for r in reqs for i in r["indicators"]]
    assert len(inds) >= 90
    assert all(len(r["indicators"]) >= 3 for r in reqs)
    for i in inds:
        assert i["name"]["zh"] and i["name"]["en"] and i["unit"]
        assert i["direction"] in (1, -1)
    air = next(i for i in inds if i["id"] == "D3.R1.I1")
    assert air["unit"] == "%" and air["kind"] == "sensor" and air["direction"] == 1


def test_export_json_file_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "fw.json"
    result = runner.invoke(app, ["framework", "export", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0
    assert f"wrote {out}" in flat(result.stdout)
    assert load_framework(out) == builtin_framework()


def test_export_csv_one_row_per_indicator(tmp_path: Path) -> None:
    out = tmp_path / "fw.csv"
    result = runner.invoke(app, ["framework", "export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM so that Excel reads the Chinese text
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    fw = builtin_framework()
    assert [r["indicator_id"] for r in rows] == [i.id for i in fw.indicators()]
    pm = next(r for r in rows if r["indicator_id"] == "D3.R1.I2")
    assert (pm["domain_id"], pm["requirement_id"], pm["unit"], pm["direction"]) == (
        "D3", "D3.R1", "µg/m³", "-1")
    assert pm["domain_zh"] == "生态宜居" and pm["requirement_en"] == "Environmental protection"
    assert "ISO 37120:2018" in pm["standards"]
    # stdout form has the same rows
    stdout = runner.invoke(app, ["framework", "export", "--format", "csv"]).stdout
    assert list(csv.DictReader(io.StringIO(stdout))) == rows


def test_export_xlsx_sheets(tmp_path: Path) -> None:
    out = tmp_path / "fw.xlsx"
    result = runner.invoke(app, ["framework", "export", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["domains", "requirements", "indicators"]
    fw = builtin_framework()
    domains = list(wb["domains"].iter_rows(values_only=True))
    assert domains[0][:3] == ("domain_id", "name_zh", "name_en")
    assert [r[0] for r in domains[1:]] == [d.id for d in fw.domains]
    assert sum(r[4] for r in domains[1:]) == 30
    reqs = list(wb["requirements"].iter_rows(values_only=True))
    assert len(reqs) == 31
    inds = list(wb["indicators"].iter_rows(values_only=True))
    header = inds[0]
    assert len(inds) - 1 == len(fw.indicators())
    row = dict(zip(header, next(r for r in inds if r[header.index("indicator_id")] == "D5.R1.I2"),
                   strict=True))
    assert (row["band_lo"], row["band_hi"], row["direction"]) == (60, 85, 1)


def test_export_xlsx_needs_out() -> None:
    result = runner.invoke(app, ["framework", "export", "--format", "xlsx"])
    assert result.exit_code == 2
    assert "--format xlsx needs --out" in flat(result.stderr)
