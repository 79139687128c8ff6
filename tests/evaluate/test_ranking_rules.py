"""Rules 2 of an evaluation: like with like, scores that separate units, grades that need evidence.

Expected values are worked out by hand from the rules' definitions (zhicheng.evaluate.config):
min-max across the ranked units (OECD/JRC Handbook 2008, §5.2, eq. 5.3), attainment of target
(worst unit → target, capped), the common indicator set (≥ 2/3 of ranked units) and the evidence
thresholds. The eight cities are the test fixture's; the values are synthetic.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from zhicheng.cli import app
from zhicheng.evaluate import EvaluationError, ingest_file
from zhicheng.evaluate.config import MethodConfig, stored_config
from zhicheng.evaluate.lookup import find_units, resolve_unit
from zhicheng.evaluate.rules import select_group
from zhicheng.evaluate.service import evaluate
from zhicheng.evaluate.workspace_method import store_workspace_method, workspace_method
from zhicheng.goals import builtin_framework
from zhicheng.store.schema import units

FW = builtin_framework()
GZ, SZ, ZH, FS, NJ, WX, SU, NT = "440100", "440300", "440400", "440600", "320100", "320200", "320500", "320600"
# GDP per capita for all eight; tertiary share for six; CO2 per capita for two (too few: 2/8 < 2/3);
# the ageing share (a context indicator) for all; 南通 has only the GDP value (1 of 2 common: 50 %).
VALUES = "unit,indicator,period,value\n" + "".join(
    f"{u},D4.R1.I2,2020,{v}\n" for u, v in zip(
        (GZ, SZ, ZH, FS, NJ, WX, SU, NT), (150000, 180000, 120000, 120000, 160000, 170000, 170000, 130000),
        strict=True)
) + "".join(
    f"{u},D4.R2.I1,2020,{v}\n" for u, v in zip((GZ, SZ, ZH, FS, NJ, WX), (72, 62, 50, 50, 62, 52), strict=True)
) + f"{GZ},D3.R3.I1,2020,6\n{SZ},D3.R3.I1,2020,5\n" + "".join(
    f"{u},D1.R7.I6,2020,{v}\n" for u, v in zip((GZ, SZ, ZH, FS, NJ, WX, SU, NT), (7, 3, 9, 8, 12, 14, 13, 22),
                                               strict=True))


@pytest.fixture
def loaded(store: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "values.csv"
    path.write_text(VALUES, encoding="utf-8")
    ingest_file(store, path)
    return store


def _rows(run: object, level: str) -> pd.DataFrame:
    r = run.results  # type: ignore[attr-defined]
    return r[r["level"] == level].set_index(["unit_code", "code"])


def test_common_set_ranked_units_and_left_out_indicators(loaded: Engine) -> None:
    run = evaluate(loaded, "2020")
    group = run.groups["CN"]
    # Tertiary share: 6 of 8 units = 75 % ≥ 2/3 → common; CO2: 2 of 8 → left out.
    assert group["common"] == ["D4.R1.I2", "D4.R2.I1"]
    assert group["left_out_indicators"] == {"D3.R3.I1": 0.25}
    # 苏州 and 南通 have 1 of the 2 common indicators (50 % ≥ min_coverage 50 %): ranked.
    assert group["ranked"] == 8 and run.left_out == {}
    strict = evaluate(loaded, "2020", config=MethodConfig(min_coverage=0.75))
    # Now 苏州 and 南通 are not ranked (50 % < 75 %); among the six, tertiary is on all and CO2 on 2/6.
    assert strict.left_out == {SU: 0.5, NT: 0.5}
    index = _rows(strict, "index")
    assert index.loc[(NT, FW.id), "rank_status"] == "insufficient_data" and pd.isna(index.loc[(NT, FW.id), "rank"])
    assert pd.isna(index.loc[(NT, FW.id), "score"])
    # Unit pages still show every value: 南通's GDP and ageing share are rows of the run.
    inds = _rows(strict, "indicator")
    assert inds.loc[(NT, "D4.R1.I2"), "raw_value"] == 130000
    assert inds.loc[(NT, "D1.R7.I6"), "rank_status"] == "context" and pd.isna(inds.loc[(NT, "D1.R7.I6"), "score"])
    assert inds.loc[(GZ, "D3.R3.I1"), "rank_status"] == "not_in_common_set"
    assert pd.isna(inds.loc[(GZ, "D3.R3.I1"), "score"])


def test_min_max_scores_separate_units_and_attainment_is_beside(loaded: Engine) -> None:
    run = evaluate(loaded, "2020")
    inds, index = _rows(run, "indicator"), _rows(run, "index")
    # GDP min-max over the eight: (x − 120000) / 60000 × 100 → 深圳 100, 广州 50, 珠海 0.
    assert inds.loc[(SZ, "D4.R1.I2"), "score"] == pytest.approx(100.0)
    assert inds.loc[(GZ, "D4.R1.I2"), "score"] == pytest.approx(50.0)
    assert inds.loc[(ZH, "D4.R1.I2"), "score"] == pytest.approx(0.0)
    # Attainment (target 100000, all above it): 100 for everyone — it would tie them all.
    assert set(inds.xs("D4.R1.I2", level="code")["attainment"].round(9)) == {100.0}
    # Tertiary min-max over the six: (x − 50) / 22 → 广州 100, 深圳 and 南京 54.5.
    assert inds.loc[(SZ, "D4.R2.I1"), "score"] == pytest.approx(12 / 22 * 100)
    # Index = D4 = mean(D4.R1, D4.R2) over the requirements scored: 深圳 (100 + 54.5) / 2 = 77.3,
    # 广州 (50 + 100) / 2 = 75, 苏州 83.3 (GDP only: half the common set, enough to be ranked).
    assert index.loc[(SZ, FW.id), "score"] == pytest.approx((100 + 12 / 22 * 100) / 2)
    assert index.loc[(GZ, FW.id), "score"] == pytest.approx(75.0)
    assert index.loc[(SU, FW.id), "score"] == pytest.approx(50000 / 60000 * 100)
    ranks = index["rank"].droplevel("code")
    assert (ranks[SU], ranks[SZ], ranks[GZ]) == (1, 2, 3)
    # Identical data tie, and only they do: 珠海 and 佛山 (120000, 50) share a rank.
    assert ranks[ZH] == ranks[FS]
    others = index.drop([(ZH, FW.id), (FS, FW.id)])["score"].round(9)
    assert others.is_unique
    # Coverage with every score: D4 has 9 performance indicators, 2 of them scored.
    n_d4 = sum(1 for i in FW.indicators() if i.id.startswith("D4."))
    assert _rows(run, "domain").loc[(SZ, "D4"), "coverage"] == pytest.approx(2 / n_d4)


def test_grades_need_evidence(loaded: Engine) -> None:
    run = evaluate(loaded, "2020")
    index, reqs = _rows(run, "index"), _rows(run, "requirement")
    # Index coverage 2 of the framework's performance indicators: insufficient evidence, no grade.
    assert set(index["grade_status"]) == {"insufficient_evidence"} and index["grade"].isna().all()
    # The provisional grade is the grade of the attainment: tertiary (x − 50) / (55 − 50) capped,
    # GDP all on target → 珠海 (100 + 0) / 2 = 50, 无锡 (100 + 40) / 2 = 70, 广州 100.
    top = max(g.level for g in FW.grades)
    att = index["attainment"].droplevel("code")
    assert att[ZH] == pytest.approx(50.0) and att[WX] == pytest.approx(70.0) and att[GZ] == pytest.approx(100.0)
    prov = index["provisional_grade"].droplevel("code")
    assert all(prov[u] == FW.grade_for(att[u]).level for u in prov.index)
    assert prov[GZ] == top and prov[ZH] < prov[WX] < top
    # D4.R2 has 5 indicators (1 scored = 20 % < 50 %); with the threshold at 20 % it is graded.
    assert reqs.loc[(GZ, "D4.R2"), "grade_status"] == "insufficient_evidence"
    lenient = evaluate(loaded, "2020", config=MethodConfig(evidence={"requirement": 0.2}))
    graded = _rows(lenient, "requirement").loc[(GZ, "D4.R2")]
    assert graded["grade_status"] == "graded" and graded["grade"] == top and pd.isna(graded["provisional_grade"])


def test_select_group_iterates_to_a_fixed_point() -> None:
    # u4 has only c: with u4 ranked, b is on 3/4 units; without it (it has 1/3 of {a, b}) b is on 3/3.
    frame = pd.DataFrame({"a": [1, 2, 3, None], "b": [1, 2, 3, None], "c": [None, None, 1, 4]},
                         index=["u1", "u2", "u3", "u4"], dtype=float)
    sel = select_group(frame, "g", common_share=2 / 3, min_coverage=0.5)
    assert sel.common == ("a", "b") and sel.ranked == ("u1", "u2", "u3")
    assert sel.left_out == {"c": pytest.approx(1 / 3, abs=1e-4)} and sel.share["u4"] == 0.0


def test_stored_runs_keep_their_rules_and_the_workspace_method(loaded: Engine) -> None:
    old = stored_config("normalise: {method: dist2targ, cap_max: true}\nlookback: 1\n")
    assert old.rules == 1 and old.method() == "dist2targ"
    assert MethodConfig().rules == 2 and MethodConfig().method() == "minmax"
    assert workspace_method(loaded) is None
    chosen = MethodConfig(lookback=2, treat={"winmax": 5})
    with loaded.begin() as conn:
        assert store_workspace_method(conn, chosen, by="test", trend_years=5)
        assert not store_workspace_method(conn, chosen, by="test", trend_years=5)
    found = workspace_method(loaded)
    assert found is not None and found.config == chosen and found.base_period("2020") == "2015"


def test_context_indicators_of_the_catalogue() -> None:
    # The review of every indicator (src/zhicheng/goals/README.md): two describe need or stage of development.
    assert {i.id for i in FW.indicators() if i.role == "context"} == {"D1.R7.I6", "D2.R5.I2"}
    assert len(FW.indicators()) == 140


def test_unit_lookup_by_name_and_reasons(loaded: Engine, tmp_path: Path) -> None:
    with loaded.begin() as conn:  # a second "Suzhou" (宿州, Anhui) makes the pinyin ambiguous
        conn.execute(units.insert().values(code="341300", name_zh="宿州市", level="city"))
    with pytest.raises(EvaluationError) as both:
        resolve_unit(loaded, "Suzhou")
    assert [p.reason.split(" ")[0] for p in both.value.problems] == ["320500", "341300"]
    assert resolve_unit(loaded, "苏州").code == SU
    assert resolve_unit(loaded, "深圳").code == SZ
    assert resolve_unit(loaded, "Shenzhen").code == SZ
    assert resolve_unit(loaded, "440300").code == SZ
    with pytest.raises(EvaluationError, match="no unit has the code or name"):
        resolve_unit(loaded, "Atlantis")
    # 广东省 and 广州市 both start with 广: a prefix names several units, each listed.
    assert len(find_units(loaded, "广")) == 0  # one character is no prefix search
    assert {r.code for r in find_units(loaded, "广东")} == {"440000"}
    evaluate(loaded, "2020")
    runner = CliRunner()
    db = loaded.url.render_as_string(hide_password=False)
    other = runner.invoke(app, ["gaps", "--unit", "广东省", "--db", db])
    assert other.exit_code == 2 and "not in evaluation run" in other.output and "层级不同" in other.output
