"""An alert drafts a public warning; once a reviewer publishes it, it is valid CAP 1.2."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from zhicheng.events.cap import CAP_NS, SCHEMA
from zhicheng.events.warnings import get_warning, review_warning, warning_cap
from zhicheng.store import init_store
from zhicheng.workspace.alerts import draft_warning_for_alert


def test_alert_and_forecast_drafts_become_valid_cap(tmp_path: Path) -> None:
    engine = init_store(tmp_path / "w.db")
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    for kind, urgency in (("observed", "Immediate"), ("forecast", "Expected")):
        wid = draft_warning_for_alert(engine, {"id": 7, "station": "Dongsi", "pollutant": "PM2.5", "lat": 39.929,
                                               "lon": 116.417, "message": "PM2.5 1 h > 150 µg/m³"}, kind)
        assert get_warning(engine, wid)["state"] == "draft"
        review_warning(engine, wid, True, "reviewer-1", "reviewer")
        doc = etree.fromstring(warning_cap(engine, wid))
        assert schema.validate(doc), schema.error_log
        ns = {"c": CAP_NS}
        assert doc.findtext("c:info/c:urgency", namespaces=ns) == urgency
        assert doc.findtext("c:info/c:area/c:circle", namespaces=ns) == "39.92900,116.41700 5"
        assert "Dongsi" in doc.findtext("c:info/c:area/c:areaDesc", namespaces=ns)
    engine.dispose()
