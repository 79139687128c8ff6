"""The pages never contradict the scores: strengths, weaknesses, gaps, missing domains, numbers."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.cockpit.cockpit_workspace import Workspace
from zhicheng.cockpit import STATIC_DIR
from zhicheng.views import measures, numbers
from zhicheng.views.drill import TOP_N, strengths_and_weaknesses


def _entry(code: str, score: float, gap: float | None) -> dict[str, object]:
    return {"code": code, "score": score, "gap": gap}


def test_weaknesses_have_room_to_grow_and_lie_below_every_strength() -> None:
    # Six indicators at the full score, two below it (one of them with its target met): a list
    # of "the five lowest" would call full scores weaknesses.
    scored = [_entry(f"I{i}", 100.0, 0.0) for i in range(6)] + [_entry("low", 40.0, 12.0), _entry("met", 70.0, 0.0)]
    strengths, weaknesses = strengths_and_weaknesses(scored)
    assert [e["code"] for e in strengths] == ["I0", "I1", "I2", "I3", "I4"]
    assert [e["code"] for e in weaknesses] == ["low"]
    many = [_entry(f"I{i:02d}", float(i * 5), 1.0) for i in range(20)]
    strengths, weaknesses = strengths_and_weaknesses(many)
    assert len(strengths) == len(weaknesses) == TOP_N
    assert max(float(e["score"]) for e in weaknesses) < min(float(e["score"]) for e in strengths)  # type: ignore[arg-type]
    assert [e["code"] for e in weaknesses] == ["I00", "I01", "I02", "I03", "I04"]


def test_unit_pages_follow_the_scores(workspace: Workspace) -> None:
    for code in workspace.built["units"]:  # type: ignore[attr-defined]
        page = workspace.client.get(f"/api/evaluation/units/{code}").json()
        weak, strong = page["weaknesses"], page["strengths"]
        assert all(w["score"] < 100.0 and not (w["gap"] is not None and w["gap"] <= 0) for w in weak), code
        if weak and strong:
            assert max(w["score"] for w in weak) < min(s["score"] for s in strong)
        assert {w["code"] for w in weak}.isdisjoint({s["code"] for s in strong})
        if page["at_top_grade"]:
            assert page["gaps"] == [] and page["index"]["next_grade"] is None
        # The seven domains are listed everywhere, scored or not, in the framework's order.
        overview = workspace.client.get("/api/cockpit/overview", params={"unit": code}).json()
        assert [d["code"] for d in page["domains"]] == [d["code"] for d in overview["domains"]]
        assert [d["score"] for d in page["domains"]] == [d["score"] for d in overview["domains"]]


def test_a_unit_at_the_top_grade_lists_no_gaps_to_lift_it(workspace: Workspace) -> None:
    ranking = workspace.client.get("/api/evaluation/ranking").json()
    top = max(g["level"] for g in ranking["grades"])
    at_top = [r["unit_code"] for r in ranking["rows"] if r["grade"] == top]
    below = [r["unit_code"] for r in ranking["rows"] if r["grade"] is not None and r["grade"] < top]
    assert at_top or below
    for code in at_top:
        page = workspace.client.get(f"/api/evaluation/units/{code}").json()
        assert page["at_top_grade"] is True and page["gaps"] == []
    for code in below:
        page = workspace.client.get(f"/api/evaluation/units/{code}").json()
        assert page["at_top_grade"] is False and page["index"]["next_grade"] is not None


def test_units_of_measure_are_named_in_the_page_language(workspace: Workspace) -> None:
    zh = workspace.client.get("/api/evaluation/nodes/D1.R1.I2").json()["node"]
    en = workspace.client.get("/api/evaluation/nodes/D1.R1.I2", params={"lang": "en"}).json()["node"]
    assert (zh["unit"], zh["unit_label"], en["unit_label"]) == ("per 100 residents", "每百人", "per 100 residents")
    overview = workspace.client.get("/api/cockpit/overview").json()
    assert overview["measures"]["CNY/person"] == {"label": "元/人", "decimals": 0}


def test_every_unit_of_measure_of_the_catalogue_has_a_chinese_label() -> None:
    from zhicheng.goals.loader import builtin_framework

    fw = builtin_framework()
    used = {i.unit for d in fw.domains for r in d.requirements for i in r.indicators}
    assert used <= set(measures.MEASURES), used - set(measures.MEASURES)
    # Chinese labels hold Chinese and symbols only, but for CO₂ and PFLOPS (no Chinese form).
    words = {w for u in used for w in re.findall(r"[A-Za-z]+", measures.MEASURES[u].zh)}
    assert words <= {"CO", "PFLOPS"}, words


VALUES = [47.95, 47.949999999, 0.25, -0.25, 1.005, 2.675, 12345.678, 0.1 + 0.2, 99.95, 1e-9, 100.0, -3.45]


def test_the_pages_and_the_server_round_alike() -> None:
    """``numbers.rounded`` (exports, reports) gives the digits ``format.js`` shows, for 0–3 decimals."""
    module = (STATIC_DIR / "js" / "format.js").as_uri()
    script = (f"import {{ rounded }} from '{module}';"
              f"const v = {json.dumps(VALUES)};"
              "console.log(JSON.stringify([0, 1, 2, 3].map((d) => v.map((x) => rounded(x, d)))));")
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                          timeout=60, check=True)
    js = json.loads(done.stdout)
    py = [[numbers.rounded(x, d) for x in VALUES] for d in range(4)]
    assert py == js
    # 47.95 is stored as 47.950000000000003 (rounds up), 47.949999999 down: chart and table agree.
    assert numbers.text(47.95, 1) == "48.0" and numbers.text(47.949999999, 1) == "47.9"
    assert numbers.text(0.1 + 0.2, 2) == "0.30" and numbers.text(None, 1) == "—"


@pytest.mark.parametrize(("unit", "places"), [("CNY/person", 0), ("%", 1), ("t CO2/person", 2), (None, 2)])
def test_values_are_rounded_to_their_unit_of_measure(unit: str | None, places: int) -> None:
    assert measures.decimals(unit) == places
    assert numbers.amount(1234.5678, unit) == round(1234.5678, places)


def test_format_js_is_the_pages_one_formatter() -> None:
    """No page formats a number itself (toFixed or Intl outside format.js)."""
    offenders = []
    for path in (STATIC_DIR / "js").rglob("*.js"):
        if path.name == "format.js":
            continue
        text = path.read_text(encoding="utf-8")
        if ".toFixed(" in text or "NumberFormat" in text:
            offenders.append(str(path.relative_to(STATIC_DIR)))
    assert offenders == [], offenders



def test_trends_follow_the_runs_of_each_period(tmp_path: Path) -> None:
    """Two runs (2019, 2020): the unit page's trend has both periods, the node page's too."""
    from tests.cockpit.cockpit_workspace import build_workspace
    from zhicheng.evaluate.config import MethodConfig
    from zhicheng.evaluate.service import evaluate
    from zhicheng.store import init_store
    from zhicheng.workspace.services import report_service

    engine = init_store(f"sqlite:///{tmp_path / 'store.db'}")
    first = int(str(build_workspace(engine)["run_id"]))  # the 2020 run
    rules1 = MethodConfig(rules=1, normalise={"method": "dist2targ", "cap_max": True}, lookback=1)
    older = evaluate(engine, "2019", config=rules1, base_period="2015").run_id
    service = report_service(engine)
    page = service.unit("320100", run_id=first)
    assert page["trend"]["periods"] == ["2019", "2020"]
    index = page["trend"]["series"][0]
    assert index["scores"][1] == page["index"]["score"]
    assert index["scores"][0] == service.unit("320100", run_id=older)["index"]["score"] != index["scores"][1]
    node = service.node("D4", run_id=first, unit="320100")
    assert [p["period"] for p in node["trend"]] == ["2019", "2020"]
    assert node["trend"][1]["score"] == node["own"]["score"]
    engine.dispose()
