"""The workspace's own evaluation method, stored in the store so every command evaluates alike.

The demo (or an administrator) stores the method configuration it evaluates with; ``zhicheng
evaluate`` without ``--config`` then uses it, so the everyday command reproduces the workspace's
ranking instead of falling back to a default that differs from it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from zhicheng.evaluate.config import MethodConfig, stored_config
from zhicheng.evaluate.errors import EvaluationError
from zhicheng.goals.periods import period_kind
from zhicheng.store.schema_evaluation import workspace_settings

#: The settings key of the stored method.
METHOD_KEY = "evaluation.method"


@dataclass(frozen=True)
class StoredMethod:
    """The workspace's method: the configuration, years back to the trend base, who stored it and when."""

    config: MethodConfig
    trend_years: int | None
    updated_by: str
    updated_at: Any
    note: str = ""

    def base_period(self, period: str) -> str | None:
        """The trend base of ``period`` (``trend_years`` earlier), for year periods."""
        if self.trend_years and period_kind(period) == "year":
            return str(int(period) - self.trend_years)
        return None

    def describe(self) -> str:
        """One line: the method's scoring, look-back and origin."""
        c = self.config
        return (f"the workspace's stored method ({c.method()} across units, attainment by "
                f"{c.attainment_config().method()}, look-back {c.lookback}, common set ≥ {c.common_share:.0%} of "
                f"ranked units; stored by {self.updated_by})" if c.rules == 2 else
                f"the workspace's stored method ({c.method()}, rules 1; stored by {self.updated_by})")


def store_workspace_method(conn: sa.Connection, config: MethodConfig, *, by: str, trend_years: int | None = None,
                           note: str = "") -> bool:
    """Store ``config`` as the workspace's method (replacing an earlier one); True when it changed."""
    t = workspace_settings
    value = json.dumps({"config": config.to_yaml(), "trend_years": trend_years, "note": note}, ensure_ascii=False)
    old = conn.execute(sa.select(t.c.value).where(t.c.key == METHOD_KEY)).scalar()
    if old == value:
        return False
    now = dt.datetime.now(dt.UTC)
    if old is None:
        conn.execute(sa.insert(t).values(key=METHOD_KEY, value=value, updated_by=by, updated_at=now))
    else:
        conn.execute(sa.update(t).where(t.c.key == METHOD_KEY).values(value=value, updated_by=by, updated_at=now))
    return True


def workspace_method(engine: Engine) -> StoredMethod | None:
    """The workspace's stored method, or None when none is stored.

    Raises
    ------
    EvaluationError
        When the stored method cannot be read.
    """
    t = workspace_settings
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.c.value, t.c.updated_by, t.c.updated_at).where(t.c.key == METHOD_KEY)).first()
    if row is None:
        return None
    try:
        doc = json.loads(row.value)
        config = stored_config(doc["config"])
    except (ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise EvaluationError(f"the workspace's stored method ({METHOD_KEY}) cannot be read: {exc}") from None
    return StoredMethod(config, doc.get("trend_years"), str(row.updated_by), row.updated_at, str(doc.get("note") or ""))
