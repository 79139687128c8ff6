"""The carbon API under /api/carbon on the shared built store (five years of the CEADs inventories)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.carbon.conftest import carbon_db  # noqa: F401  (session fixture)
from zhicheng.api import create_app


@pytest.fixture(scope="module")
def api(carbon_db: str) -> Iterator[TestClient]:  # noqa: F811
    app = create_app(carbon_db)
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def test_units_and_unit_page(api: TestClient) -> None:
    units = api.get("/api/carbon/units").json()
    codes = {u["code"]: u for u in units}
    assert {"110000", "130000", "110100"} <= set(codes)
    assert codes["110000"]["dataset"] == "ceads-province" and codes["110000"]["last_year"] == 2019
    page = api.get("/api/carbon/units/130000", params={"lang": "en", "from": 2014, "to": 2019}).json()
    assert page["unit"]["name"] == "河北省"  # no English name in the CEADs province list
    assert len(page["years"]) == len(page["totals"]["scope1"])
    assert {g["id"] for g in page["groups"]} >= {"energy_industries", "transport", "industrial_processes"}
    assert page["peak"]["name"] and page["peak"]["rule"]
    dec = page["decomposition"]
    assert dec["year_from"] == 2014 and abs(dec["residual"]) <= 1e-9
    assert any("current prices" in n for n in page["notes"])
    assert sum(i["share"] for i in page["fuel_mix"]["items"]) == pytest.approx(1.0, abs=1e-3)


def test_reads_and_errors(api: TestClient) -> None:
    inv = api.get("/api/carbon/units/110000/inventory", params={"by": "fuel_group", "year": 2019}).json()
    assert {r["fuel_group"] for r in inv} >= {"coal", "oil", "gas"}
    peak = api.get("/api/carbon/peak", params={"unit": "110000"}).json()
    assert len(peak) == 1 and peak[0]["unit_code"] == "110000"
    dec = api.get("/api/carbon/decompose", params={"from": 2014, "to": 2019, "unit": "110000"}).json()
    assert sum(r["value_mt"] for r in dec) == pytest.approx(dec[0]["change_mt"], abs=1e-9)
    tg = api.get("/api/carbon/units/110000/targets", params={"cap": 80, "cap_year": 2030}).json()
    assert {t["id"] for t in tg} >= {"cn_13fyp", "cn_2030_ndc", "user-cap-2015-2030"}
    checks = api.get("/api/carbon/checks").json()
    assert any(c["city_code"] == "110100" and c["year"] == 2019 and not c["agrees"] for c in checks["crosscheck"])
    assert {p["dataset"] for p in checks["provenance"]} == {"ceads-province", "ceads-city"}
    missing = api.get("/api/carbon/units/999999")
    assert missing.status_code == 404 and "no CO2 inventory" in missing.json()["error"]["message"]
    bad = api.get("/api/carbon/units/110000/targets", params={"cap": 80})
    assert bad.status_code == 400
    nope = api.get("/api/carbon/decompose", params={"from": 2012, "to": 2019, "unit": "110000"})
    assert nope.status_code == 404


def test_the_page_is_served_with_a_strict_policy(api: TestClient) -> None:
    r = api.get("/carbon/110000")
    assert r.status_code == 200 and "carbon/app.js" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
