"""Energy-meter consumption per period as SQL, generated once for DuckDB and Spark.

The same rule as the carbon service's in-memory core (``zhicheng.carbon.meters.consumption``):

- a **cumulative** register is made monotone (a step down, a meter reset or exchange, counts as
  zero and is counted in ``resets``), interpolated linearly at each period boundary and
  differenced: ``E(t_k, t_{k+1}) = R(t_{k+1}) − R(t_k)`` [meter unit]; a boundary outside the
  meter's readings gives no value (NULL), so neither does a period that touches it;
- **interval** readings are summed over the readings whose time falls in ``[t_k, t_{k+1})``; a
  period without readings has consumption 0.

Inputs are three views: ``observations`` (``datastream_id``, ``phenomenon_time_start`` [µs since
1970, UTC], ``result_number`` [meter unit]: the archive's columns), ``meters`` (``datastream_id``,
``kind``: ``cumulative`` or ``interval``) and ``edges`` (``k`` 0…n−1, ``edge`` [µs], ``next_edge``
[µs], NULL for the last). Only ANSI window functions and joins are used, so the one text runs on
both engines.

References
----------
Linear interpolation of an accumulating register at the period boundaries, as OpenEnergyMonitor
emoncms derives kWh per day from a cumulative kWh feed; GHG Protocol Scope 2 Guidance (2015) §6
(metered consumption as the activity data of location-based scope-2 emissions).
"""

from __future__ import annotations

from collections.abc import Sequence

#: Columns of the per-period result.
CONSUMPTION_COLUMNS = ("datastream_id", "period", "start_us", "end_us", "consumption")


def edges_rows(edges_us: Sequence[int]) -> list[tuple[int, int, int | None]]:
    """The ``edges`` view's rows ``(k, edge, next_edge)`` of ascending boundaries [µs]."""
    edges = [int(e) for e in edges_us]
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError("period edges must be at least two strictly ascending times [µs]")
    return [(k, e, edges[k + 1] if k + 1 < len(edges) else None) for k, e in enumerate(edges)]


def consumption_sql(n_edges: int) -> str:
    """SQL of every meter's consumption in each of the ``n_edges − 1`` periods.

    Columns :data:`CONSUMPTION_COLUMNS`: ``period`` is k (the period ``[edge_k, edge_{k+1})``),
    ``consumption`` [meter unit] (NULL where a cumulative register does not cover the period).
    """
    last = int(n_edges) - 1
    return f"""
WITH readings AS (
  SELECT o.datastream_id AS m, o.phenomenon_time_start AS t, o.result_number AS v, mt.kind AS kind
  FROM observations o JOIN meters mt ON o.datastream_id = mt.datastream_id
  WHERE o.result_number IS NOT NULL
),
steps AS (
  SELECT m, t, v, v - LAG(v) OVER (PARTITION BY m ORDER BY t) AS step
  FROM readings WHERE kind = 'cumulative'
),
register AS (
  SELECT m, t,
    FIRST_VALUE(v) OVER (PARTITION BY m ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    + SUM(CASE WHEN step > 0 THEN step ELSE 0.0 END)
        OVER (PARTITION BY m ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS r
  FROM steps
),
segments AS (
  SELECT m, t, r,
    LEAD(t) OVER (PARTITION BY m ORDER BY t) AS t1,
    LEAD(r) OVER (PARTITION BY m ORDER BY t) AS r1
  FROM register
),
at_edges AS (
  SELECT s.m, e.k,
    CASE WHEN s.t1 IS NULL OR e.edge = s.t THEN s.r
         ELSE (s.r1 - s.r) / (s.t1 - s.t) * (e.edge - s.t) + s.r END AS r_at
  FROM segments s JOIN edges e
    ON e.edge >= s.t AND (e.edge < s.t1 OR (s.t1 IS NULL AND e.edge = s.t))
),
cumulative AS (
  SELECT g.datastream_id AS m, g.k, g.edge, g.next_edge,
    LEAD(a.r_at) OVER (PARTITION BY g.datastream_id ORDER BY g.k) - a.r_at AS consumption
  FROM (SELECT mt.datastream_id, e.k, e.edge, e.next_edge FROM meters mt CROSS JOIN edges e
        WHERE mt.kind = 'cumulative') g
  LEFT JOIN at_edges a ON a.m = g.datastream_id AND a.k = g.k
),
summed AS (
  SELECT r.m, e.k, SUM(r.v) AS total
  FROM readings r JOIN edges e ON r.t >= e.edge AND r.t < e.next_edge
  WHERE r.kind = 'interval'
  GROUP BY r.m, e.k
),
per_interval AS (
  SELECT g.datastream_id AS m, g.k, g.edge, g.next_edge, COALESCE(s.total, 0.0) AS consumption
  FROM (SELECT mt.datastream_id, e.k, e.edge, e.next_edge FROM meters mt CROSS JOIN edges e
        WHERE mt.kind = 'interval' AND e.k < {last}) g
  LEFT JOIN summed s ON s.m = g.datastream_id AND s.k = g.k
)
SELECT m AS datastream_id, k AS period, edge AS start_us, next_edge AS end_us, consumption
FROM cumulative WHERE k < {last}
UNION ALL
SELECT m AS datastream_id, k AS period, edge AS start_us, next_edge AS end_us, consumption
FROM per_interval
ORDER BY datastream_id, period
"""


def resets_sql() -> str:
    """SQL of the register decreases (resets) of each cumulative meter: ``datastream_id, resets``."""
    return """
WITH steps AS (
  SELECT o.datastream_id AS m,
    o.result_number - LAG(o.result_number) OVER (PARTITION BY o.datastream_id ORDER BY o.phenomenon_time_start) AS step
  FROM observations o JOIN meters mt ON o.datastream_id = mt.datastream_id
  WHERE o.result_number IS NOT NULL AND mt.kind = 'cumulative'
)
SELECT m AS datastream_id, SUM(CASE WHEN step < 0 THEN 1 ELSE 0 END) AS resets
FROM steps GROUP BY m ORDER BY m
"""
