"""Factories that wire services together (the one place that knows which service feeds which)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from zhicheng.views import ReportService
from zhicheng.views.live import EventLabels


def event_labels() -> EventLabels:
    """Bilingual names of the event services and departments of the events catalogue."""
    from zhicheng.events.catalogue import load_catalogue

    cat = load_catalogue()
    return {
        "services": {s.code: {"zh": s.name_zh, "en": s.name_en} for s in cat.services},
        "departments": {d.code: {"zh": d.name_zh, "en": d.name_en} for d in cat.departments},
    }


def report_service(engine: Engine) -> ReportService:
    """The cockpit's read models on ``engine``: air read by the sensing service, events named by the catalogue."""
    from zhicheng.sensing.airlive import current_aqi

    return ReportService(engine, air=current_aqi, event_labels=event_labels())
