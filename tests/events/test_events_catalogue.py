"""The service catalogue: the packaged file loads; bad files and bad answers report every problem."""

from __future__ import annotations

import pytest

from zhicheng.api.errors import http_status
from zhicheng.events.catalogue import load_catalogue, parse_catalogue, validate_attributes
from zhicheng.events.errors import CatalogueError, EventError


def test_packaged_catalogue_maps_every_la311_request_type() -> None:
    cat = load_catalogue()
    la = cat.la311_map()
    # The request types present in the two shipped LA files (PROVENANCE.md).
    for t in ("Bulky Items", "Graffiti Removal", "Illegal Dumping Pickup", "Metal/Household Appliances",
              "Electronic Waste", "Homeless Encampment", "Dead Animal Removal", "Other",
              "Single Streetlight Issue", "Multiple Streetlight Issue", "Report Water Waste", "Feedback"):
        assert cat.has(la[t])
    g = cat.service("graffiti-removal")
    assert (g.name_zh, g.name_en, g.department, g.sla_hours) == ("涂鸦清除", "Graffiti removal", "OCB", 72)
    assert g.has_metadata and [a.code for a in g.attributes] == ["surface", "offensive"]
    # Defaults fill services that do not set their own duplicate rule.
    assert cat.service("bulky-items").duplicate.radius_m == 50
    assert cat.service("road-damage").duplicate.window_hours == 168
    with pytest.raises(EventError) as info:
        cat.service("nope")
    assert http_status(info.value) == 404


def test_bad_catalogue_reports_every_problem() -> None:
    text = """
version: "x"
departments: [{code: A, name_zh: 甲, name_en: A}]
services:
  - {code: s1, name_zh: 一, name_en: One, group: g, department: B, sla_hours: 5, duplicate: {radius_m: 1, window_hours: 1}}
  - {code: s1, name_zh: 二, name_en: Two, group: g, department: A, sla_hours: 5, duplicate: {radius_m: 1, window_hours: 1},
     attributes: [{code: q, datatype: singlevaluelist, description_zh: 问, description_en: Q}]}
"""
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text, "city.yaml")
    reasons = [p.reason for p in info.value.problems]
    assert len(reasons) == 3
    assert any("department 'B'" in r for r in reasons)
    assert any("appears twice" in r for r in reasons)
    assert any("list without values" in r for r in reasons)
    assert all(p.file == "city.yaml" for p in info.value.problems)


def test_negative_sla_is_refused() -> None:
    text = """
version: "x"
departments: [{code: A, name_zh: 甲, name_en: A}]
services:
  - {code: s1, name_zh: 一, name_en: One, group: g, department: A, sla_hours: -1, duplicate: {radius_m: 1, window_hours: 1}}
"""
    with pytest.raises(CatalogueError, match="sla_hours"):
        parse_catalogue(text)


def test_attribute_answers_are_checked() -> None:
    cat = load_catalogue()
    bulky = cat.service("bulky-items")
    assert validate_attributes(bulky, {"item_types": ["furniture", "mattress"], "item_count": ["3"]}) == {
        "item_types": ["furniture", "mattress"], "item_count": 3.0}
    with pytest.raises(EventError) as info:
        validate_attributes(bulky, {"item_types": ["boat"], "item_count": ["many"], "colour": ["red"]})
    reasons = sorted(p.reason for p in info.value.problems)
    assert len(reasons) == 3
    assert any("colour" in r and "not defined" in r for r in reasons)
    assert any("item_count" in r and "number" in r for r in reasons)
    assert any("item_types" in r and "boat" in r for r in reasons)
    graffiti = cat.service("graffiti-removal")
    with pytest.raises(EventError, match=r"attribute\[surface\] is required"):
        validate_attributes(graffiti, {})
    with pytest.raises(EventError, match="takes one value"):
        validate_attributes(graffiti, {"surface": ["wall", "fence"]})


def test_a_citys_own_catalogue_is_the_default_everywhere(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from zhicheng.events.catalogue import PACKAGED

    own = tmp_path / "services.yaml"
    own.write_text(PACKAGED.read_text(encoding="utf-8"), encoding="utf-8")  # a copy, at its own path
    packaged = load_catalogue()
    monkeypatch.setenv("ZHICHENG_EVENTS_CATALOGUE", str(own))
    assert load_catalogue() is load_catalogue(own)
    assert load_catalogue() is not packaged
    assert [s.code for s in load_catalogue().services] == [s.code for s in packaged.services]
