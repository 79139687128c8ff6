"""The frozen goal model: look-ups, grades, hierarchy and the rules models built in code obey."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zhicheng.goals import Framework, Indicator, builtin_framework
from zhicheng.goals.model import grade_problems, id_problems


def indicator(ident: str = "D1.R1.I1", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": ident, "name": {"zh": "宽带普及率", "en": "Broadband per 100"},
        "definition": "subscribers / residents × 100", "unit": "per 100 residents",
        "direction": 1, "kind": "statistic", "target": 40,
    }
    base.update(changes)
    return base


def framework(indicators: list[dict[str, Any]], grades: list[tuple[int, float]] | None = None
              ) -> dict[str, Any]:
    grades = grades or [(1, 0), (2, 50)]
    return {
        "id": "t", "version": "1", "name": {"zh": "测试", "en": "Test"},
        "grades": [{"level": lv, "name": {"zh": f"级{lv}", "en": f"L{lv}"}, "min": m}
                   for lv, m in grades],
        "domains": [{"id": "D1", "name": {"zh": "域", "en": "Domain"}, "requirements": [
            {"id": "D1.R1", "name": {"zh": "要求", "en": "Req"}, "indicators": indicators}]}],
    }


def test_models_are_frozen() -> None:
    fw = builtin_framework()
    with pytest.raises(ValidationError):
        fw.indicators()[0].unit = "x"  # type: ignore[misc]


def test_lookups() -> None:
    fw = builtin_framework()
    assert fw.domain("D3").name.en == "Ecology and liveability"
    assert fw.requirement("D2.R7").name.zh == "驾驶舱应用"
    assert fw.indicator("D3.R1.I2").unit == "µg/m³"
    assert [i.id for i in fw.indicators()][:3] == ["D1.R1.I1", "D1.R1.I2", "D1.R1.I3"]
    with pytest.raises(KeyError):
        fw.indicator("D9.R1.I1")


def test_hierarchy_rows() -> None:
    fw = builtin_framework()
    rows = fw.hierarchy()
    assert rows[0] == ("zhicheng-7d", None, 0, 1.0)
    levels = [r[2] for r in rows]
    assert levels.count(1) == 7 and levels.count(2) == 30 and levels.count(3) == len(fw.indicators())
    codes = {r[0] for r in rows}
    # every parent appears before its children
    seen: set[str] = set()
    for code, parent, _, weight in rows:
        assert parent is None or parent in seen
        assert weight > 0
        seen.add(code)
    assert codes == seen
    assert ("D3.R1.I1", "D3.R1", 3, 1.0) in rows


def test_grade_for_boundaries() -> None:
    fw = Framework.model_validate(framework([indicator()], [(1, 0), (2, 40), (3, 60)]))
    assert fw.grade_for(39.999).level == 1
    assert fw.grade_for(40).level == 2
    assert fw.grade_for(60).level == 3
    assert fw.grade_for(-5).level == 1


def test_code_built_framework_rejects_duplicates_and_bad_nesting() -> None:
    with pytest.raises(ValidationError, match="duplicate id 'D1.R1.I1'"):
        Framework.model_validate(framework([indicator(), indicator()]))
    with pytest.raises(ValidationError, match="not nested under its parent 'D1.R1'"):
        Framework.model_validate(framework([indicator("D1.R2.I1")]))
    with pytest.raises(ValidationError, match="thresholds must increase"):
        Framework.model_validate(framework([indicator()], [(1, 0), (2, 0)]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"band": [90, 10]}, "target band"),
        ({"plausible": [100, 0]}, "plausible range"),
        ({"target": 150, "plausible": [0, 100]}, "outside the plausible range"),
        ({"weight": 0}, "greater than 0"),
        ({"direction": 0}, "Input should be 1 or -1"),
        ({"kind": "guess"}, "Input should be 'statistic'"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_indicator_rules(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Indicator.model_validate(indicator(**changes))


def test_id_problems_reports_each() -> None:
    probs = id_problems([("domain", "D1", None), ("requirement", "D1.R1", "D1"),
                         ("indicator", "D1.R1.I1", "D1.R1"), ("indicator", "D1.R1.I1", "D1.R1"),
                         ("indicator", "D2.R1.I2", "D1.R1"), ("domain", "X", None)])
    assert [(p.pos, p.first) for p in probs] == [(3, 2), (4, None), (5, None)]


def test_grade_problems() -> None:
    assert grade_problems([(1, 0), (2, 55), (3, 70)]) == []
    assert [pos for pos, _ in grade_problems([(1, 10), (3, 5)])] == [0, 1, 1]
