"""Emergency readiness: plans, drills and supplies from a file; D2.R3 indicators; actions and shortages as events."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.events.errors import EventError
from zhicheng.events.readiness import (
    load_readiness,
    readiness_indicators,
    readiness_summary,
    store_readiness_indicators,
)
from zhicheng.store.schema import indicator_values, units
from zhicheng.store.schema_events import events
from zhicheng.store.schema_warnings import forecast_alerts

#: SYNTHETIC readiness records (made up for the test; no real city's plans).
READINESS = """
plans:
  - {code: P-FLOOD, name_zh: 城市防汛应急预案, name_en: Urban flood plan, level: 专项预案, unit: C1,
     event_types: [waterlogging, cn-drain-blocked], departments: [SWJ, YJJ], drills_per_year: 2}
  - {code: P-AIR, name_zh: 重污染天气应急预案, unit: C1, event_types: [pollution-episode-forecast],
     departments: [HBJ], drills_per_year: 1}
drills:
  - ref: D-2025-01
    plan: P-FLOOD
    held_at: 2025-05-20
    participants: [水务局, 应急管理局, 街道办事处]
    participant_count: 120
    findings: 泵站备用电源切换超时。
    actions:
      - {description: 更换二号泵站备用电源切换装置, department: SWJ}
      - {description: 补充街道防汛沙袋, department: JDB}
  - {ref: D-2025-02, plan: P-FLOOD, held_at: 2025-07-01, participants: [水务局]}
  - {ref: D-2025-03, plan: P-FLOOD, held_at: 2025-08-01, participants: [水务局]}
  - {ref: D-2024-01, plan: P-AIR, held_at: 2024-11-01, participants: [生态环境局]}
depots:
  - code: DEP-1
    name_zh: 市级应急物资储备库
    unit: C1
    lat: 39.9
    lon: 116.4
    digital: true
    stocks:
      - {item: sandbag, item_zh: 防汛沙袋, item_en: Sandbags, unit: 袋, quantity: 800, minimum: 1000}
      - {item: tent, item_zh: 救灾帐篷, item_en: Tents, unit: 顶, quantity: 50, minimum: 20}
      - {item: water, item_zh: 饮用水, unit: 箱, quantity: 100, minimum: 10, expires: 2020-01-01}
  - {code: DEP-2, name_zh: 区级储备点, unit: C1, digital: false,
     stocks: [{item: tent, item_zh: 救灾帐篷, unit: 顶, quantity: 10, minimum: 5}]}
"""


@pytest.fixture()
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    with engine.begin() as conn:
        conn.execute(units.insert().values(code="C1", name_zh="示范市", level="city"))
    path = tmp_path / "readiness.yaml"
    path.write_text(READINESS, encoding="utf-8")
    result = load_readiness(engine, path)
    assert (result.plans, result.drills, result.actions, result.depots, result.stocks) == (2, 4, 2, 2, 4)
    assert result.shortage_alerts == 1
    assert load_readiness(engine, path).actions == 0  # actions open their events once
    return engine


def test_indicators_from_the_records(loaded: Engine) -> None:
    ind = readiness_indicators(loaded, 2025, "C1")
    # 2025: P-FLOOD held 3 of 2 planned (counts 2), P-AIR 0 of 1 → 2 / 3 × 100.
    assert ind["D2.R3.I3"] == pytest.approx(200.0 / 3, abs=1e-9)
    # One of two depots reports stock to the platform.
    assert ind["D2.R3.I5"] == pytest.approx(50.0)
    # 4 stocks: sandbags below minimum, water expired → 2 of 4 covered.
    assert ind["ops.supply_coverage"] == pytest.approx(50.0)
    assert readiness_indicators(loaded, 2024, "C1")["D2.R3.I3"] == pytest.approx(100.0 / 3)
    assert ind["D2.R3.I1"] is None  # no warning with dissemination figures
    assert store_readiness_indicators(loaded, 2025, "C1") == 3
    with loaded.connect() as conn:
        stored = dict(conn.execute(sa.select(indicator_values.c.indicator_id, indicator_values.c.value)
                                   .where(indicator_values.c.unit_code == "C1")).all())
    assert stored == pytest.approx({k: v for k, v in ind.items() if v is not None})


def test_actions_and_shortages_become_events(loaded: Engine) -> None:
    with loaded.connect() as conn:
        follow = conn.execute(sa.select(events.c.department, events.c.description)
                              .where(events.c.service_code == "drill-follow-up").order_by(events.c.id)).all()
        shortage = conn.execute(sa.select(events).where(events.c.service_code == "supply-shortage")).one()
        alert = conn.execute(sa.select(forecast_alerts)).one()
    assert [f.department for f in follow] == ["SWJ", "JDB"]
    assert "泵站" in follow[0].description
    assert alert.kind == "supply" and alert.place == "DEP-1/sandbag" and alert.event_id == shortage.id
    assert (alert.observed, alert.threshold) == (800.0, 1000.0)
    summary = readiness_summary(loaded)
    assert [s["item_code"] for s in summary["stocks"] if s["below_minimum"]] == ["sandbag"]
    assert [s["item_code"] for s in summary["stocks"] if s["expired"]] == ["water"]


def test_bad_files_are_refused_whole(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("plans:\n  - {code: P1, name_zh: 预案, event_types: [teleport]}\n"
                    "drills:\n  - {ref: D1, plan: NOPE, held_at: someday}\n"
                    "depots:\n  - {code: X, name_zh: 库, stocks: [{item: a, item_zh: 甲, unit: 件, quantity: -1}]}\n",
                    encoding="utf-8")
    with pytest.raises(EventError) as err:
        load_readiness(engine, path)
    reasons = " | ".join(p.reason for p in err.value.problems)
    for fragment in ("event type 'teleport' is not in the catalogue", "plan 'NOPE' is not a plan",
                     "held_at must be a date", "quantity may not be negative"):
        assert fragment in reasons
    assert all(p.file == "bad.yaml" for p in err.value.problems)
    assert readiness_summary(engine)["plans"] == []


def test_readiness_commands(engine: Engine, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhicheng.cli import app as cli_app

    with engine.begin() as conn:
        conn.execute(units.insert().values(code="C1", name_zh="示范市", level="city"))
    path = tmp_path / "r.yaml"
    path.write_text(READINESS, encoding="utf-8")
    db = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = runner.invoke(cli_app, ["events", "readiness", "load", str(path), "--db", db])
    assert out.exit_code == 0, out.output
    assert "2 plans, 4 drills (2 follow-up events), 2 depots, 4 stocks; 1 supply alerts raised" in out.output
    ind = runner.invoke(cli_app, ["events", "readiness", "indicators", "2025", "--unit", "C1", "--store", "--db", db])
    assert ind.exit_code == 0 and "66.7" in ind.output and "3 values written" in ind.output
    bad = runner.invoke(cli_app, ["events", "readiness", "load", str(tmp_path / "none.yaml"), "--db", db])
    assert bad.exit_code == 2
