"""Factories that wire services together (the one place that knows which service feeds which)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from zhicheng.views import ReportService


def report_service(engine: Engine) -> ReportService:
    """The cockpit's read models on ``engine``, with the air panel read by the sensing service."""
    from zhicheng.sensing.airlive import current_aqi

    return ReportService(engine, air=current_aqi)
