"""The Chinese catalogue (12345 hotline / 网格化 practice): content, and selection by jurisdiction."""

from __future__ import annotations

import pytest

from zhicheng.events.catalogue import (
    PACKAGED_CATALOGUES,
    catalogue_for,
    jurisdictions,
    load_catalogue,
)
from zhicheng.events.errors import EventNotFound
from zhicheng.settings import Settings

#: The classes a Chinese grid centre files events under (named in the catalogue's groups).
GROUPS = {"市容环卫", "市政设施", "园林绿化", "交通管理", "噪声扰民", "违法建设", "街面秩序", "生态环境", "应急管理"}
#: Codes the platform raises events with itself: every packaged catalogue has them.
SYSTEM_CODES = {"air-quality-alert", "pollution-episode-forecast", "event-surge", "supply-shortage", "drill-follow-up"}


def test_the_chinese_catalogue_is_bilingual_with_departments_and_slas() -> None:
    cn = load_catalogue(PACKAGED_CATALOGUES["cn-12345"])
    assert {s.group for s in cn.services} == GROUPS
    assert cn.name_zh and "12345" in cn.name_zh
    departments = {d.code: d for d in cn.departments}
    for s in cn.services:
        assert s.name_zh and s.name_en and s.department in departments and s.sla_hours > 0
    by_code = {s.code: s for s in cn.services}
    # Urgent items within hours, ordinary ones within days (the catalogue's configuration).
    assert by_code["cn-manhole-cover"].sla_hours == 2 and by_code["cn-manhole-cover"].department == "SZJ"
    assert by_code["cn-illegal-building"].sla_hours == 120 and departments["CGJ"].name_zh.startswith("城市管理")
    assert by_code["cn-exposed-garbage"].name_zh == "暴露垃圾"
    assert not any(s.la311_types for s in cn.services)  # LA's request types stay in LA's catalogue
    for catalogue in (cn, load_catalogue(PACKAGED_CATALOGUES["default"])):
        assert {s.code for s in catalogue.services} >= SYSTEM_CODES


def test_jurisdictions_select_the_catalogue() -> None:
    settings = Settings(events_jurisdictions={"beijing.gov.cn": "cn-12345", "110100": "cn-12345"})
    assert jurisdictions(settings) == {"default": "default", "cn-12345": "cn-12345",
                                       "beijing.gov.cn": "cn-12345", "110100": "cn-12345"}
    assert catalogue_for("beijing.gov.cn", settings).version == "2026.1-cn12345"
    assert catalogue_for("110100", settings) is catalogue_for("cn-12345", settings)
    assert catalogue_for(None, settings).version == load_catalogue().version
    with pytest.raises(EventNotFound, match="jurisdiction_id 'nowhere.gov' not found"):
        catalogue_for("nowhere.gov", settings)
