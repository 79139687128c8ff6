"""Event closure statistics per type or grid cell as SQL, generated once for DuckDB and Spark.

The input is one row per event as the events service reads them (``service_code``,
``department``, ``grid_code``, ``source``, ``status``, ``reopen_count``, ``hours`` from request
to closing [h], ``on_time`` and ``late`` as 0/1), e.g. exported to Parquet; the output has the
columns of the events service's statistics: counts, the share closed within the SLA [%], mean,
median and 90th percentile of the handling time [h] (linear interpolation between order
statistics), reopened events and their rate [%].

References
----------
GB/T 33356-2022 (新型智慧城市评价指标, 事件按时办结率); Hyndman & Fan (1996), definition 7
(the linear percentile of pandas, DuckDB ``quantile_cont`` and Spark ``percentile``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The open states of the events workflow (events.workflow.OPEN_STATES; a test keeps them equal).
OPEN_STATES = ("submitted", "accepted", "dispatched", "in_progress", "reopened")
GROUPINGS = ("service_code", "department", "grid_code", "source")
STAT_COLUMNS = (
    "events", "open", "overdue", "closed", "closed_timed", "rejected", "closed_within_sla",
    "closed_within_sla_pct", "mean_hours", "median_hours", "p90_hours", "reopened", "reopen_rate_pct",
)


@dataclass(frozen=True)
class Quantile:
    """How an engine spells the linear percentile of a column: format with {x} and {q}."""

    spelling: str


DUCKDB_QUANTILE = Quantile("quantile_cont({x}, {q})")
SPARK_QUANTILE = Quantile("percentile({x}, {q})")


def closure_sql(source: str, by: str | None, quantile: Quantile, open_states: tuple[str, ...] = OPEN_STATES) -> str:
    """SQL of the statistics of the events in view ``source`` per value of ``by`` (or overall)."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    key = f"COALESCE({by}, '')" if by else "'all'"
    states = ", ".join(f"'{s}'" for s in open_states)
    timed = "status = 'closed' AND hours IS NOT NULL"
    return f"""
SELECT {key} AS key,
  COUNT(*) AS events,
  SUM(CASE WHEN status IN ({states}) THEN 1 ELSE 0 END) AS open,
  SUM(late) AS overdue,
  SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS closed,
  SUM(CASE WHEN {timed} THEN 1 ELSE 0 END) AS closed_timed,
  SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
  SUM(on_time) AS closed_within_sla,
  CASE WHEN SUM(CASE WHEN {timed} THEN 1 ELSE 0 END) > 0
       THEN 100.0 * SUM(on_time) / SUM(CASE WHEN {timed} THEN 1 ELSE 0 END) END AS closed_within_sla_pct,
  AVG(hours) AS mean_hours,
  {quantile.spelling.format(x="hours", q="0.5")} AS median_hours,
  {quantile.spelling.format(x="hours", q="0.9")} AS p90_hours,
  SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) AS reopened,
  100.0 * SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) / COUNT(*) AS reopen_rate_pct
FROM {source}
GROUP BY {key}
ORDER BY key
"""
