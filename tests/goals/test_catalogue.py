"""The built-in catalogue: the seven domains and 30 requirements of the seed, measurable indicators."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from zhicheng.goals import Framework, builtin_framework, framework_to_dict, load_framework
from zhicheng.goals.model import DOMAIN_ID, INDICATOR_ID, REQUIREMENT_ID

GOALS_README = Path(__file__).resolve().parents[2] / "src" / "zhicheng" / "goals" / "README.md"

#: Requirements per domain in the seed article (seed/README.md): 8+7+3+2+3+5+2 = 30.
SEED_REQUIREMENTS = {"D1": 8, "D2": 7, "D3": 3, "D4": 2, "D5": 3, "D6": 5, "D7": 2}
SEED_DOMAINS = {
    "D1": "惠民服务", "D2": "精准治理", "D3": "生态宜居", "D4": "产业发展",
    "D5": "数字基础", "D6": "体制机制", "D7": "社会协同",
}


@pytest.fixture(scope="module")
def fw() -> Framework:
    return builtin_framework()


def test_seven_domains_thirty_requirements_in_seed_order(fw: Framework) -> None:
    assert [d.id for d in fw.domains] == list(SEED_REQUIREMENTS)
    assert {d.id: len(d.requirements) for d in fw.domains} == SEED_REQUIREMENTS
    assert len(fw.requirements()) == 30
    assert {d.id: d.name.zh for d in fw.domains} == SEED_DOMAINS


def test_at_least_three_indicators_per_requirement(fw: Framework) -> None:
    counts = {r.id: len(r.indicators) for r in fw.requirements()}
    assert min(counts.values()) >= 3, counts
    assert len(fw.indicators()) >= 90


def test_every_indicator_is_complete(fw: Framework) -> None:
    for i in fw.indicators():
        assert i.name.zh.strip() and i.name.en.strip(), i.id
        assert re.search(r"[\u4e00-\u9fff]", i.name.zh), f"{i.id} zh name has no Chinese"
        assert not re.search(r"[\u4e00-\u9fff]", i.name.en), f"{i.id} en name has Chinese"
        assert i.unit.strip(), i.id
        assert i.direction in (1, -1), i.id
        assert len(i.definition) >= 30, f"{i.id} definition too short to compute from"
        assert i.target is not None, f"{i.id} has no default target"
        assert i.plausible is not None, f"{i.id} has no plausible range"
        lo, hi = i.plausible
        assert lo <= i.target <= hi, i.id
        if i.unit == "%":
            assert lo >= 0 and hi <= 100 or i.id in {"D6.R3.I3", "D6.R3.I4"}, i.id


def test_kinds_all_used(fw: Framework) -> None:
    kinds = Counter(i.kind for i in fw.indicators())
    assert set(kinds) == {"statistic", "sensor", "event", "survey", "checklist"}


def test_ids_are_nested_and_unique(fw: Framework) -> None:
    ids = []
    for d in fw.domains:
        assert DOMAIN_ID.match(d.id)
        ids.append(d.id)
        for n, r in enumerate(d.requirements, start=1):
            assert REQUIREMENT_ID.match(r.id) and r.id == f"{d.id}.R{n}"
            ids.append(r.id)
            for k, i in enumerate(r.indicators, start=1):
                assert INDICATOR_ID.match(i.id) and i.id == f"{r.id}.I{k}"
                ids.append(i.id)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("ident", "zh", "unit", "direction", "kind"),
    [
        ("D3.R1.I1", "空气质量优良天数比例", "%", 1, "sensor"),
        ("D3.R1.I2", "PM2.5 年均浓度", "µg/m³", -1, "sensor"),
        ("D2.R1.I1", "事件按时办结率", "%", 1, "event"),
        ("D2.R1.I2", "事件平均处置时长", "h", -1, "event"),
        ("D3.R3.I1", "人均二氧化碳排放", "t CO2/person", -1, "statistic"),
        ("D3.R3.I2", "单位GDP二氧化碳排放", "t CO2/10^4 CNY", -1, "statistic"),
    ],
)
def test_indicators_the_live_modules_compute(
    fw: Framework, ident: str, zh: str, unit: str, direction: int, kind: str
) -> None:
    i = fw.indicator(ident)
    assert (i.name.zh, i.unit, i.direction, i.kind) == (zh, unit, direction, kind)


def _readme_table() -> list[list[str]]:
    rows = []
    for line in GOALS_README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `D"):
            rows.append(cells)
    return rows


def test_readme_tables_match_the_catalogue(fw: Framework) -> None:
    """The intake mapping in goals/README.md names real indicators with their unit and direction."""
    rows = _readme_table()
    assert len(rows) >= 18
    for cells in rows:
        ident = cells[0].strip("`")
        i = fw.indicator(ident)
        assert cells[1].startswith(i.name.zh), ident
        assert cells[2] == i.unit.replace("10^4", "10⁴").replace("score 0-100", "score 0–100"), ident
        assert int(cells[3]) == i.direction, ident


def test_statistics_indicators_named_by_the_issue_exist(fw: Framework) -> None:
    names = {i.name.zh for i in fw.indicators()}
    for wanted in ["人均地区生产总值", "第三产业增加值占GDP比重", "固定宽带用户普及率", "移动电话用户普及率",
                   "人均教育支出", "教育支出占一般公共预算支出比重", "科学技术支出占一般公共预算支出比重",
                   "每万人普通高校在校生数", "常住人口城镇化率", "65岁及以上人口占比"]:
        assert wanted in names


def test_standards_are_recognised_references(fw: Framework) -> None:
    known = re.compile(r"^(GB/T 33356-2016 |GB/T 33171 |GB 3095-2012 |HJ 6[36]3-|ISO 3712[02]:20(18|19) |ITU U4SSC KPI )")
    cited = [s for i in fw.indicators() for s in i.standards]
    assert cited, "no standard mapped at all"
    for s in cited:
        assert known.match(s), s


def test_grades_are_five_increasing_levels(fw: Framework) -> None:
    assert [g.level for g in fw.grades] == [1, 2, 3, 4, 5]
    assert [g.min for g in fw.grades] == [0, 55, 70, 85, 95]
    assert fw.grade_for(0).name.zh == "准备级"
    assert fw.grade_for(58.03).name.en == "Start-up"  # mean of the 2017 national round
    assert fw.grade_for(84.12).name.zh == "成长级"  # best city of the 2017 round
    assert fw.grade_for(100).level == 5


def test_json_contract_shape(fw: Framework) -> None:
    doc = framework_to_dict(fw)
    assert {"id", "version", "domains"} <= set(doc)
    assert doc["id"] == "zhicheng-7d"
    for d in doc["domains"]:
        assert set(d) >= {"id", "name", "weight", "requirements"}
        assert set(d["name"]) == {"zh", "en"}
        for r in d["requirements"]:
            assert set(r) >= {"id", "name", "weight", "indicators"}
            for i in r["indicators"]:
                assert set(i) >= {"id", "name", "definition", "unit", "direction", "kind",
                                  "target", "weight", "standards"}
                assert i["direction"] in (1, -1)
                assert isinstance(i["standards"], list)
                if "band" in i:
                    assert len(i["band"]) == 2 and i["band"][0] <= i["band"][1]
    banded = [i for d in doc["domains"] for r in d["requirements"] for i in r["indicators"]
              if "band" in i]
    assert [i["id"] for i in banded] == ["D5.R1.I2"]


def test_load_none_is_the_builtin(fw: Framework) -> None:
    assert load_framework() is fw
    assert builtin_framework() is fw
