"""The cockpit's JSON read models against the rows the evaluation service stored."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.cockpit_workspace import Workspace, build_workspace
from zhicheng.api import create_app
from zhicheng.goals.loader import builtin_framework
from zhicheng.store import init_store
from zhicheng.store.schema import evaluation_results, units
from zhicheng.store.schema_uncertainty import evaluation_uncertainty

DATA = Path(__file__).resolve().parents[2] / "data"
FW = builtin_framework()


def stored(ws: Workspace, level: str, code: str | None = None) -> pd.DataFrame:
    res = evaluation_results
    query = sa.select(res).where(res.c.run_id == ws.built["run_id"], res.c.level == level)
    if code is not None:
        query = query.where(res.c.code == code)
    with ws.engine.connect() as conn:
        return pd.read_sql(query, conn)


def test_overview_equals_the_stored_run(workspace: Workspace) -> None:
    body = workspace.client.get("/api/cockpit/overview").json()
    index = stored(workspace, "index").sort_values(["rank", "unit_code"])
    best = index.iloc[0]
    assert body["empty"] is False
    assert body["run"]["id"] == workspace.built["run_id"] and body["run"]["period"] == "2020"
    assert body["unit"]["code"] == best["unit_code"]  # default: the best-ranked unit
    assert body["index"]["score"] == pytest.approx(best["score"], abs=1e-12)
    assert body["index"]["rank"] == best["rank"] and body["index"]["grade"] == best["grade"]
    assert body["index"]["grade_name"] == FW.grade_for(best["score"]).name.zh
    assert body["index"]["units_ranked"] == 8
    # All seven domains, in the framework's order, with the stored scores (None where unscored).
    assert [d["code"] for d in body["domains"]] == [d.id for d in FW.domains]
    assert [d["name"] for d in body["domains"]] == [d.name.zh for d in FW.domains]
    domains = stored(workspace, "domain")
    mine = domains[domains["unit_code"] == best["unit_code"]].set_index("code")["score"]
    for d in body["domains"]:
        expected = mine.get(d["code"])
        assert (d["score"] is None) if expected is None or pd.isna(expected) else d["score"] == pytest.approx(expected)
    # The ranking is every unit, best first, with the stored scores.
    assert [r["unit_code"] for r in body["ranking"]] == list(index["unit_code"])
    assert [r["score"] for r in body["ranking"]] == pytest.approx(list(index["score"]))
    # Map values: one row per unit, index first then the domains.
    assert body["scores"]["codes"] == [FW.id, *[d.id for d in FW.domains]]
    for row in index.itertuples():
        assert body["scores"]["units"][row.unit_code][0] == pytest.approx(row.score)


def test_overview_in_english_and_for_a_chosen_unit(workspace: Workspace) -> None:
    body = workspace.client.get("/api/cockpit/overview", params={"lang": "en", "unit": "320100"}).json()
    assert body["unit"] == {"code": "320100", "name": "Nanjing", "level": "city", "group": "江苏省", "parent": None}
    assert [d["name"] for d in body["domains"]] == [d.name.en for d in FW.domains]
    assert body["framework"]["name"] == FW.name.en
    row = stored(workspace, "index").set_index("unit_code").loc["320100"]
    assert body["index"]["rank"] == row["rank"]
    nxt = body["index"]["next_grade"]
    if nxt is not None:
        assert nxt["points_needed"] == pytest.approx(nxt["min"] - row["score"])


def test_ranking_on_a_domain(workspace: Workspace) -> None:
    body = workspace.client.get("/api/evaluation/ranking", params={"code": "D4", "lang": "en"}).json()
    rows = stored(workspace, "domain", "D4").sort_values(["rank", "unit_code"])
    assert body["node"] == {"code": "D4", "level": "domain", "name": FW.domain("D4").name.en}
    assert [r["unit_code"] for r in body["rows"]] == list(rows["unit_code"])
    assert [r["rank"] for r in body["rows"]] == list(rows["rank"])
    assert body["has_intervals"] is False and all(r["rank_interval"] is None for r in body["rows"])


def test_domain_drill_down_lists_its_requirements(workspace: Workspace) -> None:
    body = workspace.client.get("/api/evaluation/nodes/D1", params={"unit": "320100"}).json()
    reqs = stored(workspace, "requirement")
    present = set(reqs.loc[reqs["unit_code"] == "320100", "code"])
    expected = [r.id for r in FW.domain("D1").requirements if r.id in present]
    assert [c["code"] for c in body["children"]] == expected and expected
    assert [p["code"] for p in body["node"]["path"]] == [FW.id, "D1"]
    own = stored(workspace, "domain", "D1").set_index("unit_code").loc["320100"]
    assert body["own"]["score"] == pytest.approx(own["score"]) and body["own"]["rank"] == own["rank"]
    assert len(body["across"]) == 8


def test_indicator_values_over_time_match_the_source_file(workspace: Workspace) -> None:
    """GDP per capita = 地区生产总值(万元) / 常住人口(万人) [CNY/person] (goals/README.md), from the CSV."""
    macro = pd.read_csv(DATA / "city_indicators" / "china_300_cities_macro_2000_2024.csv.gz",
                        encoding="utf-8-sig", dtype={"城市代码": str})
    macro.columns = [c.replace("\r\n", "") for c in macro.columns]
    nanjing = macro[(macro["城市代码"] == "320100") & macro["年份"].between(2015, 2020)].sort_values("年份")
    expected = nanjing["地区生产总值(万元)"] / nanjing["常住人口(万人)"]
    body = workspace.client.get("/api/evaluation/indicators/D4.R1.I2/values", params={"unit": "320100"}).json()
    assert [p["period"] for p in body["over_time"]] == [str(y) for y in nanjing["年份"]]
    assert [p["value"] for p in body["over_time"]] == pytest.approx(list(expected), rel=1e-12)
    assert body["indicator"]["unit"] == FW.indicator("D4.R1.I2").unit
    assert body["period"] == "2020" and len(body["across_units"]) == 8
    assert body["across_units"] == sorted(body["across_units"], key=lambda r: -r["value"])
    assert [c["units"] for c in body["coverage"]] == [8] * 6 and body["coverage"][0]["share"] == 1.0
    (batch,) = body["batches"]
    assert batch["ingested_by"] == "cockpit-tests" and batch["row_count"] == len(workspace.built["values"])


def test_unit_page_strengths_weaknesses_and_gaps(workspace: Workspace) -> None:
    body = workspace.client.get("/api/evaluation/units/510100").json()
    ind = stored(workspace, "indicator")
    mine = ind[ind["unit_code"] == "510100"]
    scores = [s["score"] for s in body["strengths"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == pytest.approx(mine["score"].max())
    lifts = mine[mine["lift"] > 0].sort_values(["lift", "code"], ascending=[False, True])
    assert [g["code"] for g in body["gaps"]] == list(lifts["code"][:8])
    assert [g["lift"] for g in body["gaps"]] == sorted((g["lift"] for g in body["gaps"]), reverse=True)
    assert {d["code"] for d in body["domains"]} <= {d.id for d in FW.domains}
    assert body["unit"]["name"] == "成都市"


@pytest.mark.parametrize(("url", "status"), [
    ("/api/cockpit/overview?lang=fr", 400),
    ("/api/cockpit/overview?run=999", 404),
    ("/api/cockpit/overview?unit=nowhere", 404),
    ("/api/evaluation/nodes/D9.R9", 404),
    ("/api/evaluation/units/nowhere", 404),
    ("/api/evaluation/indicators/D9.R9.I9/values", 404),
    ("/static/../app.py", 404),
    ("/static/js/nothing.js", 404),
])
def test_bad_requests_get_json_errors(workspace: Workspace, url: str, status: int) -> None:
    response = workspace.client.get(url)
    assert response.status_code == status
    assert response.json()["error"]["code"] == status


def test_map_boundaries_are_rounded_geojson(workspace: Workspace) -> None:
    response = workspace.client.get("/api/cockpit/geo", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    doc = response.json()  # the client undoes the gzip
    assert doc["type"] == "FeatureCollection"
    assert sorted(f["properties"]["code"] for f in doc["features"]) == workspace.built["units"]
    feature = doc["features"][0]
    ring = feature["geometry"]["coordinates"][0][0]
    assert ring[0] == ring[-1] and all(round(c, 4) == c for pt in ring for c in pt)
    with workspace.engine.connect() as conn:
        text = conn.execute(sa.select(units.c.boundary).where(units.c.code == feature["properties"]["code"])).scalar_one()
    stored_geometry = json.loads(text)
    polygons = stored_geometry["coordinates"]
    if stored_geometry["type"] == "Polygon":
        polygons = [polygons]
    served = sum(len(r) for p in feature["geometry"]["coordinates"] for r in p)
    assert len(ring) >= 4 and served <= sum(len(r) for p in polygons for r in p)  # snapped, never more points
    plain = workspace.client.get("/api/cockpit/geo", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and json.loads(plain.content) == doc
    assert len(gzip.compress(plain.content)) < len(plain.content) / 2


def test_pages_and_static_files_are_served(workspace: Workspace) -> None:
    for path in ("/", "/ranking", "/domain/D1", "/requirement/D1.R1", "/indicator/D4.R1.I2", "/unit/320100"):
        page = workspace.client.get(path)
        assert page.status_code == 200 and '<script type="module" src="/static/js/app.js">' in page.text
    js = workspace.client.get("/static/js/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")


def test_empty_workspace_answers_with_an_empty_state(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(app) as client:
        body = client.get("/api/cockpit/overview").json()
        assert body["empty"] is True and body["ranking"] == [] and body["index"] is None
        assert client.get("/api/evaluation/runs").json() == []
        assert client.get("/api/evaluation/ranking").status_code == 404
        assert client.get("/api/cockpit/geo").json() == {"type": "FeatureCollection", "features": []}
        live = client.get("/api/cockpit/live").json()
        assert live["events"] == {"available": False} and live["alerts"]["available"] is False
        assert client.get("/").status_code == 200
    app.state.engine.dispose()


def test_a_new_run_invalidates_the_cache(tmp_path: Path) -> None:
    from zhicheng.evaluate.config import MethodConfig
    from zhicheng.evaluate.service import evaluate

    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    first = build_workspace(engine)["run_id"]
    app = create_app(engine)
    with TestClient(app) as client:
        assert client.get("/api/cockpit/overview").json()["run"]["id"] == first
        assert client.get("/api/cockpit/overview").json()["run"]["id"] == first
        cache = app.state.report_service.cache
        assert cache.hits >= 1
        second = evaluate(engine, "2019", config=MethodConfig(lookback=1)).run_id
        body = client.get("/api/cockpit/overview").json()
        assert body["run"]["id"] == second and body["run"]["period"] == "2019"
        assert [r["id"] for r in body["runs"]] == [second, first]
        older = client.get("/api/cockpit/overview", params={"run": first}).json()
        assert older["run"]["period"] == "2020"
    engine.dispose()


def test_read_models_on_both_backends(db_url: str) -> None:
    """The same answers on SQLite and PostgreSQL (portable SQL only)."""
    engine = init_store(db_url)
    build_workspace(engine)
    app = create_app(engine)
    with TestClient(app) as client:
        body = client.get("/api/cockpit/overview", params={"unit": "440300"}).json()
        assert body["unit"]["name"] == "深圳市" and len(body["ranking"]) == 8
        assert client.get("/api/evaluation/nodes/D4.R1.I2", params={"unit": "440300"}).json()["own"]["raw_value"] > 0
        values = client.get("/api/evaluation/indicators/D4.R1.I2/values", params={"unit": "440300"}).json()
        assert len(values["over_time"]) == 6
        assert len(client.get("/api/cockpit/geo").json()["features"]) == 8
        assert client.get("/api/evaluation/units/440300").json()["index"]["rank"] >= 1
        assert client.get("/api/cockpit/live").json()["events"] == {"available": False}
    engine.dispose()


def test_rank_intervals_shown_where_an_uncertainty_analysis_is_stored(tmp_path: Path) -> None:
    """The layout the cockpit reads: ``evaluation_uncertainty(run_id, unit_code, rank_q5, rank_q95)``."""
    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    run_id = build_workspace(engine)["run_id"]
    table = evaluation_uncertainty
    app = create_app(engine)
    with TestClient(app) as client:
        before = client.get("/api/cockpit/overview").json()
        assert before["has_intervals"] is False and before["index"]["rank_interval"] is None
        with engine.begin() as conn:
            ranks = conn.execute(sa.select(evaluation_results.c.unit_code, evaluation_results.c.rank).where(
                evaluation_results.c.run_id == run_id, evaluation_results.c.level == "index")).all()
            conn.execute(table.insert(), [{"run_id": run_id, "unit_code": u, "code": "zhicheng-7d", "level": "index",
                                           "rank_q5": max(1, r - 1), "rank_q95": r + 2, "replications": 2,
                                           "spec": "{}", "created_at": dt.datetime.now(dt.UTC)}
                                          for u, r in ranks])
            # A new run makes every cached answer stale; so does this one, made for the same period.
        from zhicheng.evaluate.config import MethodConfig
        from zhicheng.evaluate.service import evaluate

        evaluate(engine, "2020", config=MethodConfig(lookback=1))
        after = client.get("/api/cockpit/overview", params={"run": run_id}).json()
        assert after["has_intervals"] is True
        expected = {u: [float(max(1, r - 1)), float(r + 2)] for u, r in ranks}
        assert {r["unit_code"]: r["rank_interval"] for r in after["ranking"]} == expected
        assert after["index"]["rank_interval"] == expected[after["unit"]["code"]]
        ranking = client.get("/api/evaluation/ranking", params={"run": run_id}).json()
        assert ranking["has_intervals"] is True and ranking["rows"][0]["rank_interval"] is not None
        domain = client.get("/api/evaluation/ranking", params={"run": run_id, "code": "D4"}).json()
        assert domain["has_intervals"] is False  # intervals belong to the index ranking
    engine.dispose()


def test_closed_reads_need_a_token(tmp_path: Path) -> None:
    from zhicheng.auth import create_token
    from zhicheng.settings import Settings

    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    build_workspace(engine)
    token = create_token(engine, "viewer", "wall screen")
    app = create_app(engine, settings=Settings(open_reads=False))
    with TestClient(app) as client:
        assert client.get("/api/cockpit/access").json() == {"open_reads": False, "authenticated": False}
        for url in ("/api/cockpit/overview", "/api/evaluation/ranking", "/api/cockpit/live", "/api/cockpit/geo"):
            assert client.get(url).status_code == 401
            assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/cockpit/access", headers=auth).json() == {"open_reads": False, "authenticated": True}
        assert client.get("/").status_code == 200  # the page itself is public; it asks for the token
    engine.dispose()
