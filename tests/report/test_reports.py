"""The reports read as a reader reads them: the PDF's text, its fonts, its pages; the Word file's tables.

Every report is rendered by the real stack (Jinja2 templates, matplotlib charts, WeasyPrint,
python-docx) from the small built store of ``report_db``; the numbers are checked against what
`zhicheng results` gives for the same run.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pandas as pd
import pytest
from typer.testing import CliRunner

from zhicheng import numfmt
from zhicheng.cli import app

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")]
runner = CliRunner()
UNIT = "440300"
NAMES = {"zh": "深圳市", "en": "Shenzhen"}


def _invoke(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _results(db: str, level: str) -> pd.DataFrame:
    out = _invoke(["results", "--level", level, "--unit", UNIT, "--format", "csv", "--db", db])
    return pd.read_csv(io.StringIO(out), dtype={"unit_code": str})


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def city_reports(report_db: tuple[str, int], artefacts: Path) -> dict[tuple[str, str], Path]:
    """The city report of Shenzhen in both languages and every format (rendered once)."""
    db, _ = report_db
    out = {}
    for lang in ("zh", "en"):
        for fmt in ("pdf", "docx", "html"):
            path = artefacts / f"city-{UNIT}-{lang}.{fmt}"
            _invoke(["report", "--unit", UNIT, "--period", "2020", "--lang", lang, "--format", fmt, "--out",
                     str(path), "--db", db])
            out[(lang, fmt)] = path
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pdf_text_has_the_name_index_and_every_domain_score(report_db: tuple[str, int], lang: str,
                                                                city_reports: dict[tuple[str, str], Path]) -> None:
    db, _ = report_db
    text = _text(city_reports[(lang, "pdf")])
    flat = " ".join(text.split())
    assert NAMES[lang] in flat
    index = _results(db, "index").iloc[0]
    assert numfmt.score(index["score"]) in flat
    domains = _results(db, "domain")
    scored = domains[domains["score"].notna()]
    assert len(scored) >= 3
    name_col = "code_name_en" if lang == "en" else "code_name_zh"
    lines = text.splitlines()
    for _, d in scored.iterrows():
        # The domain's row of the table: its name, code and score as the results give it.
        row = next(line for line in lines if f"{d[name_col]} {d['code']}" in " ".join(line.split()))
        assert numfmt.score(d["score"]) in row.split(), (d["code"], row)
    # Every one of the seven domains is listed, the unscored with dashes.
    assert all(f" {code} " in f" {flat} " for code in ("D1", "D2", "D3", "D4", "D5", "D6", "D7"))
    # The summary says 证据不足 (no grade on 6 % coverage) and gives the rank interval.
    assert ("证据不足" if lang == "zh" else "insufficient evidence") in flat
    assert re.search(r"\d+–\d+", flat)
    # Sections a reader looks for, and the annex's values with their units of measure and years.
    heads = (["目录", "七大目标域", "最能提升等级的差距", "变化趋势", "碳排放", "数据来源与溯源", "评估方法", "附表"] if lang == "zh"
             else ["Contents", "The seven goal domains", "The gaps that lift", "Trends", "Carbon emissions",
                   "Data sources and provenance", "Method", "Annex"])
    assert all(h in flat for h in heads), [h for h in heads if h not in flat]
    gdp = _results(db, "indicator").set_index("code").loc["D4.R1.I2"]
    assert numfmt.amount(gdp["raw_value"], lang) in flat and "CNY/person" in flat
    # Page numbers (n / total) on the pages after the cover.
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(city_reports[(lang, "pdf")])],
                                                           capture_output=True, text=True).stdout).group(1))
    assert f"2 / {pages}" in flat or f"2/{pages}" in flat.replace(" ", "")


def test_the_pdf_embeds_its_cjk_fonts_and_its_pages_are_kept(city_reports: dict[tuple[str, str], Path],
                                                              artefacts: Path) -> None:
    for lang in ("zh", "en"):
        pdf = city_reports[(lang, "pdf")]
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        cjk = [line for line in fonts.splitlines() if "CJK" in line or "WenQuanYi" in line]
        assert cjk, fonts
        assert all(line.split()[-5] == "yes" for line in cjk)  # the "emb" column
        prefix = artefacts / f"page-{UNIT}-{lang}"
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(prefix)], check=True)
        pngs = sorted(artefacts.glob(f"{prefix.name}-*.png"))
        assert len(pngs) >= 4 and all(p.stat().st_size > 2000 for p in pngs)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_docx_holds_the_same_numbers(report_db: tuple[str, int], lang: str,
                                         city_reports: dict[tuple[str, str], Path]) -> None:
    db, _ = report_db
    document = docx.Document(str(city_reports[(lang, "docx")]))
    cells = [" ".join(c.text.split()) for t in document.tables for row in t.rows for c in row.cells]
    paragraphs = " ".join(p.text for p in document.paragraphs)
    assert NAMES[lang] in paragraphs
    index = _results(db, "index").iloc[0]
    assert numfmt.score(index["score"]) in cells + paragraphs.split()
    domains = _results(db, "domain")
    for _, d in domains[domains["score"].notna()].iterrows():
        assert numfmt.score(d["score"]) in cells, d["code"]
    # Table headers repeat on every page; charts are pictures; the contents are a TOC field.
    xml = document.element.xml
    assert "w:tblHeader" in xml and 'TOC \\o' in xml
    assert len(document.inline_shapes) >= 2
    assert "PAGE" in document.sections[0].footer._element.xml


def test_the_same_report_twice_gives_the_same_text(report_db: tuple[str, int], tmp_path: Path,
                                                   city_reports: dict[tuple[str, str], Path]) -> None:
    db, run_id = report_db
    again = tmp_path / "again.pdf"
    _invoke(["report", "--unit", UNIT, "--run", str(run_id), "--lang", "zh", "--out", str(again), "--db", db])
    assert _text(again) == _text(city_reports[("zh", "pdf")])
    html = tmp_path / "again.html"
    _invoke(["report", "--unit", "深圳", "--lang", "zh", "--format", "html", "--out", str(html), "--db", db])
    assert html.read_bytes() == city_reports[("zh", "html")].read_bytes()
    # The report records what it rests on.
    record = json.loads(Path(f"{again}.provenance.json").read_text(encoding="utf-8"))
    assert record["run_id"] == run_id and record["framework_version"] == "1.0.0" and record["rules"] == 2
    assert record["batches"] and "normalise" in record["method_config"]
    assert record["fingerprint"] == json.loads(
        Path(f"{city_reports[('zh', 'pdf')]}.provenance.json").read_text(encoding="utf-8"))["fingerprint"]


def test_data_never_becomes_markup(report_db: tuple[str, int], city_reports: dict[tuple[str, str], Path]) -> None:
    html = city_reports[("zh", "html")].read_text(encoding="utf-8")
    assert "<script" not in html
    # The source text of the batch (with its '+' and '/') is in the page as text.
    assert "china_300_cities_macro_2000_2024.csv.gz + census + CEADs" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_domain_report_ranks_every_unit(report_db: tuple[str, int], artefacts: Path, lang: str) -> None:
    db, _ = report_db
    pdf = artefacts / f"domain-D4-{lang}.pdf"
    _invoke(["report", "--domain", "D4", "--lang", lang, "--out", str(pdf), "--db", db])
    flat = " ".join(_text(pdf).split())
    every = pd.read_csv(io.StringIO(_invoke(["results", "--level", "domain", "--format", "csv", "--db", db])),
                        dtype={"unit_code": str})
    d4 = every[every["code"] == "D4"]
    assert len(d4) == 8
    for _, r in d4.iterrows():
        assert r["unit_code"] in flat and numfmt.score(r["score"]) in flat
    assert ("得分地图" if lang == "zh" else "Map of scores") in flat
    word_doc = artefacts / f"domain-D4-{lang}.docx"
    _invoke(["report", "--domain", "D4", "--lang", lang, "--format", "docx", "--out", str(word_doc), "--db", db])
    cells = [c.text for t in docx.Document(str(word_doc)).tables for row in t.rows for c in row.cells]
    assert all(numfmt.score(s) in cells for s in d4["score"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_campaign_report_lists_submissions_reviews_and_evidence(report_db: tuple[str, int], artefacts: Path,
                                                                lang: str) -> None:
    db, _ = report_db
    pdf = artefacts / f"campaign-1-{lang}.pdf"
    _invoke(["report", "--campaign", "1", "--lang", lang, "--out", str(pdf), "--db", db])
    flat = " ".join(_text(pdf).split())
    assert "2024 年度城市自评" in flat and "alice" in flat and "rita" in flat
    assert numfmt.amount(81.5, lang) in flat and numfmt.amount(77.25, lang) in flat
    assert "运营商报表.pdf" in flat and "photo.png" in flat
    assert (("已通过" in flat and "已提交待审" in flat) if lang == "zh" else ("approved" in flat and "submitted" in flat))
    word_doc = artefacts / f"campaign-1-{lang}.docx"
    _invoke(["report", "--campaign", "1", "--lang", lang, "--format", "docx", "--out", str(word_doc), "--db", db])
    cells = [c.text for t in docx.Document(str(word_doc)).tables for row in t.rows for c in row.cells]
    assert numfmt.amount(81.5, lang) in cells and "alice" in cells


def test_all_units_renders_every_city(report_db: tuple[str, int], tmp_path: Path) -> None:
    db, run_id = report_db
    out = _invoke(["report", "--all-units", "--run", str(run_id), "--format", "html", "--jobs", "2",
                   "--out", str(tmp_path / "all"), "--db", db])
    assert "wrote 8 reports" in out
    files = sorted(p.name for p in (tmp_path / "all").glob("*.html"))
    assert len(files) == 8 and "report-440300-2020-zh.html" in files


def test_bad_requests_are_clear_errors(report_db: tuple[str, int], tmp_path: Path) -> None:
    db, _ = report_db
    cases = [
        (["report", "--db", db], "name one report"),
        (["report", "--unit", UNIT, "--format", "odt", "--db", db], "unknown report format"),
        (["report", "--unit", UNIT, "--lang", "fr", "--db", db], "unknown language"),
        (["report", "--unit", "nowhere", "--db", db], "no unit"),
        (["report", "--domain", "D9", "--out", str(tmp_path / "x.pdf"), "--db", db], "D9"),
        (["report", "--campaign", "99", "--out", str(tmp_path / "y.pdf"), "--db", db], "99"),
    ]
    for args, words in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and words in " ".join(result.output.split()), (args, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_a_city_edits_its_templates(report_db: tuple[str, int], tmp_path: Path) -> None:
    from zhicheng.report.render import TEMPLATES

    db, _ = report_db
    mine = tmp_path / "templates"
    shutil.copytree(TEMPLATES, mine)
    city = mine / "city.html.j2"
    city.write_text(city.read_text(encoding="utf-8").replace("<h2>{{ w('summary') }}</h2>",
                                                             "<h2>{{ w('summary') }} · 本市定制</h2>"), encoding="utf-8")
    (mine / "report.css").write_text((mine / "report.css").read_text(encoding="utf-8") + "\nh2 { color: #8b0000; }\n",
                                     encoding="utf-8")
    out = tmp_path / "mine.html"
    _invoke(["report", "--unit", UNIT, "--format", "html", "--templates", str(mine), "--out", str(out), "--db", db])
    page = out.read_text(encoding="utf-8")
    assert "评估概要 · 本市定制" in page and "#8b0000" in page
    # A template that does not fit the data is a clear error, and no file is left behind.
    city.write_text("{{ doc.sections.no_such_section.value }}", encoding="utf-8")
    broken = runner.invoke(app, ["report", "--unit", UNIT, "--format", "html", "--templates", str(mine),
                                 "--out", str(tmp_path / "broken.html"), "--db", db])
    assert broken.exit_code == 2 and "report template" in broken.output and "Traceback" not in broken.output
    assert not (tmp_path / "broken.html").exists()
