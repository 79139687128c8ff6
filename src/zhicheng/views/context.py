"""What every read model of one run needs: the run, its goal-tree labels, its units."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from zhicheng.errors import NotFound, Problem, ZhichengError
from zhicheng.views import queries
from zhicheng.views.labels import Labels, labels_for

#: Languages the cockpit speaks; Chinese is the default.
LANGS = ("zh", "en")


class ReportNotFound(NotFound):
    """A run, unit or goal-tree node asked for does not exist."""


def check_lang(lang: str) -> str:
    """``lang`` when it is a supported language, else a :class:`ZhichengError`."""
    if lang not in LANGS:
        raise ZhichengError(problems=[Problem(f"language {lang!r} is not one of {', '.join(LANGS)}",
                                              column="lang")])
    return lang


def number(value: Any) -> float | None:
    """A float for JSON, None for missing or non-finite values."""
    if value is None:
        return None
    out = float(value)
    return out if math.isfinite(out) else None


@dataclass(frozen=True)
class RunContext:
    """One run with its labels, its units and (when an uncertainty analysis exists) rank intervals."""

    run: dict[str, Any]
    labels: Labels
    units: dict[str, dict[str, Any]]
    index_code: str | None
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def run_id(self) -> int:
        """The run's id."""
        return int(self.run["id"])

    def unit_name(self, code: str, lang: str) -> str:
        """The unit's name in ``lang`` (Chinese when it has no English name; the code when unknown)."""
        row = self.units.get(code)
        if row is None:
            return code
        if lang == "en" and row.get("name_en"):
            return str(row["name_en"])
        return str(row.get("name_zh") or code)

    def unit_public(self, code: str, lang: str) -> dict[str, Any]:
        """A unit as the API shows it."""
        row = self.units.get(code, {})
        return {
            "code": code,
            "name": self.unit_name(code, lang),
            "level": row.get("level"),
            "group": row.get("group_name"),
            "parent": row.get("parent_code"),
        }

    def interval(self, code: str) -> list[float] | None:
        """The unit's rank interval [Q5, Q95], None without an uncertainty analysis."""
        found = self.intervals.get(code)
        return [found[0], found[1]] if found else None

    def require_unit(self, code: str) -> None:
        """Raise :class:`ReportNotFound` when the run did not score unit ``code``."""
        if code not in self.units:
            raise ReportNotFound(f"run {self.run_id} has no unit {code!r}{self._absence(code)}")

    def _absence(self, code: str) -> str:
        """Why the run has no such unit, as the run recorded it (other level, no data), or nothing."""
        try:
            note = json.loads(self.run.get("note") or "{}")
        except (TypeError, ValueError):
            return ""
        reason = (note.get("not_in_run") or {}).get(code) if isinstance(note, dict) else None
        if not isinstance(reason, str):
            return ""
        kind, _, level = reason.partition(":")
        words = {"other_level": f"other level ({level}; the run compares {note.get('level')} units)",
                 "no_data": "no performance indicator value in the run's period"}
        return f": {words.get(kind, reason)}"


def run_public(run: dict[str, Any]) -> dict[str, Any]:
    """A run as the API shows it; ``rules`` is 2 for runs with the like-with-like rules, else 1."""
    keys = ("id", "period", "base_period", "unit_count", "created_at", "note", "framework_id",
            "version")
    out = {k: run.get(k) for k in keys}
    try:
        note = json.loads(run.get("note") or "{}")
    except (TypeError, ValueError):
        note = {}
    out["rules"] = int(note.get("rules", 1)) if isinstance(note, dict) else 1
    return out


def load_context(conn: Connection, run: dict[str, Any], labels: Labels) -> RunContext:
    """Read the units, the index code and rank intervals of ``run``."""
    unit_rows = queries.run_units(conn, int(run["id"]))
    index_rows = queries.results(conn, int(run["id"]), levels=["index"])
    index_code = index_rows[0]["code"] if index_rows else labels.framework_id
    return RunContext(
        run=run,
        labels=labels,
        units={r["code"]: r for r in unit_rows},
        index_code=index_code,
        intervals=queries.rank_intervals(conn, int(run["id"])),
    )


def load_labels(conn: Connection, run: dict[str, Any]) -> Labels:
    """The labels of the framework version ``run`` was evaluated with."""
    stored = queries.framework_version(conn, int(run["framework_version_id"]))
    if stored is None:
        return labels_for(run.get("framework_id"), run.get("version"), None)
    return labels_for(stored["framework_id"], stored["version"], stored["content"])
