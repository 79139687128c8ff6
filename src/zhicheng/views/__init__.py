"""Read models for the cockpit and the evaluation API: overview, ranking, drill-down, live summary.

Reads only: every answer comes from indexed selects and GROUP BYs on the store's evaluation
results, indicator values, events and alerts, cached per (run, unit, lang) until the store changes.
"""

from zhicheng.views.context import LANGS, ReportNotFound
from zhicheng.views.service import ReportService

__all__ = ["LANGS", "ReportNotFound", "ReportService"]
