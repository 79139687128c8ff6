"""The real Somerville waves: indices and CIs against a direct computation from the source file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from scipy import stats as sps
from sqlalchemy.engine import Engine

from zhicheng.store.schema import indicator_values, ingest_batches
from zhicheng.survey.service import feed_indicators, list_waves, trend, wave_report
from zhicheng.workspace.survey_demo import SOMERVILLE_FILE, SOMERVILLE_MAPPING, SOMERVILLE_UNIT

Demo = tuple[Engine, dict[str, object]]


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    return pd.read_csv(SOMERVILLE_FILE, low_memory=False)


@pytest.fixture(scope="module")
def mapping() -> dict[str, object]:
    return yaml.safe_load(Path(SOMERVILLE_MAPPING).read_text(encoding="utf-8"))


def test_demo_loads_every_wave(somerville: Demo) -> None:
    engine, summary = somerville
    waves = list_waves(engine, SOMERVILLE_UNIT)
    # PROVENANCE: rows per wave 6,167 · 193 · 186 · 845 · 1,496 · 1,298 · 1,006 (11,191 in all)
    assert waves["period"].tolist() == ["2011", "2013", "2015", "2017", "2019", "2021", "2023"]
    assert waves["respondents"].tolist() == [6167, 193, 186, 845, 1496, 1298, 1006]
    assert summary["respondents"] == 11191


def test_unweighted_indices_and_cis_match_the_source_file(somerville: Demo, source: pd.DataFrame,
                                                          mapping: dict[str, object]) -> None:
    engine, _ = somerville
    checked = 0
    for wave_id, period in zip(*[list_waves(engine, SOMERVILLE_UNIT)[c] for c in ("id", "period")], strict=True):
        rep = wave_report(engine, int(wave_id), weighted=False).questions.set_index("question_id")
        rows = source[source["Year"] == int(period)]
        for m in mapping["questions"]:  # type: ignore[union-attr]
            x = rows[m["column"]].dropna().to_numpy(dtype=float)
            if x.size == 0:
                assert m["question"] not in rep.index
                continue
            lo, hi, rev = m["low"], m["high"], bool(m.get("reverse", False))
            mean, sem = x.mean(), sps.sem(x)
            ci = sps.t.interval(0.95, x.size - 1, loc=mean, scale=sem)
            index = (hi - mean) / (hi - lo) * 100 if rev else (mean - lo) / (hi - lo) * 100
            got = rep.loc[m["question"]]
            assert got["n"] == x.size
            assert got["mean"] == pytest.approx(mean, abs=1e-9)
            assert (got["ci_low"], got["ci_high"]) == pytest.approx(ci, abs=1e-9)
            assert got["index"] == pytest.approx(index, abs=1e-9)
            ends = sorted((hi - c) / (hi - lo) * 100 if rev else (c - lo) / (hi - lo) * 100 for c in ci)
            assert (got["index_ci_low"], got["index_ci_high"]) == pytest.approx(tuple(ends), abs=1e-9)
            assert got["nonresponse"] == pytest.approx(1 - x.size / len(rows), abs=1e-12)
            checked += 1
    assert checked == 4 + 8 + 10 + 10 + 11 + 11 + 27  # every (wave, mapped question) pair with answers


def test_published_quick_checks(somerville: Demo) -> None:
    # data/surveys/PROVENANCE.md: Happiness 4.00 (2011) … 3.90 (2023); Streets 3.36 (2013) → 2.86 (2023)
    engine, _ = somerville
    waves = list_waves(engine, SOMERVILLE_UNIT).set_index("period")["id"]

    def mean(period: str, q: str) -> float:
        return float(wave_report(engine, int(waves[period]), weighted=False).questions.set_index("question_id").loc[q, "mean"])

    assert round(mean("2011", "happiness"), 2) == 4.00
    assert round(mean("2023", "happiness"), 2) == 3.90
    assert round(mean("2013", "streets_maintenance"), 2) == 3.36
    assert round(mean("2023", "streets_maintenance"), 2) == 2.86


def test_weighted_report_meets_the_margins(somerville: Demo) -> None:
    engine, _ = somerville
    wave_2023 = int(list_waves(engine, SOMERVILLE_UNIT).set_index("period")["id"]["2023"])
    rep = wave_report(engine, wave_2023)
    assert rep.weighted and rep.weighting.startswith("weighted: raked to age_band, sex (US Census 2000")
    unweighted = wave_report(engine, wave_2023, weighted=False)
    assert not unweighted.weighted and unweighted.weighting.startswith("unweighted")
    q = rep.questions.set_index("question_id")
    assert (q["deff_kish"] > 1.2).all()  # unequal weights widen the intervals
    assert set(rep.alphas["scale"]) == {"environment", "participation", "safety", "services", "wellbeing"}
    assert rep.alphas["alpha"].between(0.6, 0.95).all()
    # 2011 brackets do not fit the census bands: that wave is raked on sex only
    wave_2011 = int(list_waves(engine, SOMERVILLE_UNIT).set_index("period")["id"]["2011"])
    assert wave_report(engine, wave_2011).weighting.startswith("weighted: raked to sex (")


def test_trend_compares_only_waves_asked_the_same_way(somerville: Demo) -> None:
    engine, _ = somerville
    police = trend(engine, SOMERVILLE_UNIT, "police").set_index("period")
    assert police.index.tolist() == ["2015", "2017", "2019", "2021", "2023"]
    assert police["comparable"].tolist() == [False, True, True, True, False]  # 2023 asks about the department
    assert np.isnan(police.loc["2023", "change"])
    assert police.loc["2017", "change"] == pytest.approx(police.loc["2017", "index"] - police.loc["2015", "index"])
    streets = trend(engine, SOMERVILLE_UNIT, "streets_maintenance").set_index("period")
    assert not streets.loc["2015", "comparable"]  # 2013 asked about "streets, sidewalks and squares"


def test_unmapped_columns_are_reported_with_reasons(somerville: Demo, source: pd.DataFrame) -> None:
    _, summary = somerville
    unmapped = dict(summary["unmapped"])  # type: ignore[call-overload]
    mapped = 2 + 3 + 27  # ID, Year; Ward, Age, Gender; 27 question columns
    assert len(unmapped) == source.shape[1] - mapped == 97  # every other column, each once
    assert unmapped["Priced.Out.Concern.3pt.num"].startswith("no displacement-concern question")
    assert all(reason for reason in unmapped.values())


def test_survey_indicators_reach_the_store(somerville: Demo) -> None:
    engine, summary = somerville
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(
            sa.select(indicator_values.c.indicator_id, indicator_values.c.period, indicator_values.c.value,
                      ingest_batches.c.kind)
            .join(ingest_batches, ingest_batches.c.id == indicator_values.c.batch_id)
            .where(indicator_values.c.unit_code == SOMERVILLE_UNIT)).all(),
            columns=["indicator_id", "period", "value", "kind"])
    assert set(rows["kind"]) == {"survey"}
    sat = rows[rows["indicator_id"] == "D7.R2.I1"].set_index("period")["value"]
    assert sat.index.tolist() == ["2011", "2013", "2015", "2017", "2019", "2021", "2023"]
    # the overall satisfaction score is the mean index of the wave's targeted questions (≥ 30 answers)
    waves = list_waves(engine, SOMERVILLE_UNIT).set_index("period")["id"]
    for period, value in sat.items():
        q = wave_report(engine, int(waves[period])).questions
        q = q[q["target"].notna() & (q["n"] >= 30)]
        assert value == pytest.approx(q["index"].mean(), abs=1e-9)
    # hotline callers satisfied (2023 only): weighted share answering 4 or 5 on the 311 item
    hotline = rows[rows["indicator_id"] == "D7.R2.I4"]
    assert hotline["period"].tolist() == ["2023"]
    q23 = wave_report(engine, int(waves["2023"])).questions.set_index("question_id")
    assert hotline["value"].iloc[0] == pytest.approx(q23.loc["hotline_service", "top_box"], abs=1e-9)
    assert summary["indicators"]["2023"]["D7.R2.I4"] == round(hotline["value"].iloc[0], 2)  # type: ignore[index]
    # feeding a wave again changes nothing: same batch, no new batch
    with engine.connect() as conn:
        batches = conn.execute(sa.select(sa.func.count()).select_from(ingest_batches)).scalar_one()
    again = feed_indicators(engine, int(waves["2023"]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ingest_batches)).scalar_one() == batches
    assert again.batch_id is not None and len(again.values) == 2


def test_survey_indicators_reach_the_evaluation_results(somerville: Demo) -> None:
    from zhicheng.evaluate.results import read_results
    from zhicheng.evaluate.service import evaluate

    engine, summary = somerville
    run = evaluate(engine, "2023", units=[SOMERVILLE_UNIT])
    res = read_results(engine, run.run_id, level="indicator", unit=SOMERVILLE_UNIT).set_index("code")
    fed = summary["indicators"]["2023"]  # type: ignore[index]
    assert set(fed) == {"D7.R2.I1", "D7.R2.I4"}
    for code, value in fed.items():
        assert res.loc[code, "raw_value"] == pytest.approx(value, abs=0.005)
        assert res.loc[code, "value_period"] == "2023"
    assert "D7" in set(read_results(engine, run.run_id, level="domain", unit=SOMERVILLE_UNIT)["code"])
