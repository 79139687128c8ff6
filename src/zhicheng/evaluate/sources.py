"""Several sources of one indicator: every source's value is kept, one is used, disagreements are findings.

``indicator_value_sources`` holds each source's value of a (unit, indicator, period) with its
precedence; ``indicator_values`` holds the value the evaluation uses — the one of the source with
the best (lowest) precedence. When two sources differ by more than a tolerance, the difference is
a data-quality finding.

Precedence (documented, lowest first):

1. ``station_network_hj663`` — the city's own monitoring stations evaluated by HJ 663 (e.g. the
   Beijing multi-site data);
2. ``derived_file`` — a third-party file derived from published data (e.g. the SpTe2M daily PM2.5
   of 183 cities, whose publishers filled about a quarter of the values).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from zhicheng.errors import Problem
from zhicheng.store.schema_evaluation import indicator_value_sources

#: Precedence of each kind of source (1 is used first).
PRECEDENCE = {"station_network_hj663": 1, "derived_file": 2}
#: Relative difference between two sources above which a finding is reported [fraction].
TOLERANCE = 0.10

KEY = ["unit_code", "indicator_id", "period"]


def record_sources(conn: sa.Connection, values: pd.DataFrame, source_kind: str, batch_id: int) -> int:
    """Keep ``values`` (unit_code, indicator_id, period, value) as ``source_kind``'s; replaces that source's earlier values."""
    if source_kind not in PRECEDENCE:
        raise ValueError(f"unknown source kind {source_kind!r}: use one of {', '.join(PRECEDENCE)}")
    if values.empty:
        return 0
    t = indicator_value_sources
    rows = values[KEY + ["value"]].assign(source_kind=source_kind, precedence=PRECEDENCE[source_kind],
                                          batch_id=batch_id)
    for (indicator, period), part in rows.groupby(["indicator_id", "period"]):
        conn.execute(sa.delete(t).where(t.c.source_kind == source_kind, t.c.indicator_id == indicator,
                                        t.c.period == period, t.c.unit_code.in_(part["unit_code"].tolist())))
    records = [{str(k): v for k, v in r.items()}
               for r in rows.astype({"value": float, "precedence": int, "batch_id": int}).to_dict("records")]
    conn.execute(sa.insert(t), records)
    return len(records)


def read_sources(conn: sa.Connection, indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """Every source's values (columns unit_code, indicator_id, period, source_kind, precedence, value, batch_id)."""
    t = indicator_value_sources
    stmt = sa.select(t.c.unit_code, t.c.indicator_id, t.c.period, t.c.source_kind, t.c.precedence, t.c.value,
                     t.c.batch_id)
    if indicators is not None:
        stmt = stmt.where(t.c.indicator_id.in_(list(indicators)))
    rows = conn.execute(stmt).fetchall()
    return pd.DataFrame(rows, columns=["unit_code", "indicator_id", "period", "source_kind", "precedence", "value",
                                       "batch_id"])


def to_use(conn: sa.Connection, values: pd.DataFrame, source_kind: str) -> pd.DataFrame:
    """The rows of ``values`` that ``source_kind`` may write into ``indicator_values``.

    A key another source of better precedence already gives is left to that source.
    """
    stored = read_sources(conn, sorted(values["indicator_id"].unique()) if len(values) else [])
    better = stored[stored["precedence"] < PRECEDENCE[source_kind]][KEY].drop_duplicates()
    if better.empty:
        return values
    merged = values.merge(better.assign(_better=True), on=KEY, how="left")
    return values[merged["_better"].isna().to_numpy()].reset_index(drop=True)


def disagreements(conn: sa.Connection, tolerance: float = TOLERANCE) -> pd.DataFrame:
    """Keys where two sources differ by more than ``tolerance`` (relative to the value used).

    Columns: unit_code, indicator_id, period, used_source, used_value, other_source, other_value,
    relative_difference [fraction].
    """
    rows = read_sources(conn)
    cols = ["unit_code", "indicator_id", "period", "used_source", "used_value", "other_source", "other_value",
            "relative_difference"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.sort_values(KEY + ["precedence"], kind="mergesort")
    used = rows.drop_duplicates(KEY, keep="first")
    others = rows[~rows.index.isin(used.index)]
    pair = others.merge(used, on=KEY, suffixes=("_other", "_used"))
    with np.errstate(all="ignore"):
        rel = (pair["value_other"] - pair["value_used"]).abs() / pair["value_used"].abs()
    pair = pair.assign(relative_difference=rel)
    pair = pair[pair["relative_difference"] > tolerance]
    out = pd.DataFrame({
        "unit_code": pair["unit_code"], "indicator_id": pair["indicator_id"], "period": pair["period"],
        "used_source": pair["source_kind_used"], "used_value": pair["value_used"],
        "other_source": pair["source_kind_other"], "other_value": pair["value_other"],
        "relative_difference": pair["relative_difference"],
    })
    return out.reset_index(drop=True)[cols]


def findings(conn: sa.Connection, tolerance: float = TOLERANCE) -> list[Problem]:
    """The disagreements as data-quality findings (one located line each)."""
    out = []
    for r in disagreements(conn, tolerance).itertuples(index=False):
        out.append(Problem(
            f"two sources disagree on {r.indicator_id} {r.period}: {r.used_source} {r.used_value:.1f} (used, "
            f"precedence) vs {r.other_source} {r.other_value:.1f} ({r.relative_difference:.0%} apart, tolerance "
            f"{tolerance:.0%})", file=None, row=None, column=str(r.unit_code)))
    return out


def record_batch_as_source(conn: sa.Connection, batch_id: int, source_kind: str,
                           indicators: Sequence[str] | None = None) -> int:
    """Keep the values a stored batch wrote (``indicators`` of them) as ``source_kind``'s, where not kept yet.

    For a source ingested before per-source values were kept (e.g. the Beijing station data).
    """
    from zhicheng.store.schema import indicator_values

    v, t = indicator_values, indicator_value_sources
    stmt = sa.select(v.c.unit_code, v.c.indicator_id, v.c.period, v.c.value).where(v.c.batch_id == batch_id)
    if indicators is not None:
        stmt = stmt.where(v.c.indicator_id.in_(list(indicators)))
    values = pd.DataFrame(conn.execute(stmt).fetchall(), columns=[*KEY, "value"])
    have = conn.execute(sa.select(sa.func.count()).select_from(t).where(
        t.c.batch_id == batch_id, t.c.source_kind == source_kind)).scalar_one()
    if values.empty or have:
        return 0
    return record_sources(conn, values, source_kind, batch_id)
