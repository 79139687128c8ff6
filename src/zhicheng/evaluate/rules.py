"""The rules of a ranking: comparison groups, the common indicator set, who is ranked, who is graded.

Pure pandas over a units × indicators frame; no I/O. :func:`zhicheng.evaluate.service.evaluate`
applies them when the method configuration says ``rules: 2`` (see :mod:`zhicheng.evaluate.config`).

References
----------
OECD/JRC Handbook on Constructing Composite Indicators (2008), Step 3 (missing data: indicators
and units with too little data are excluded or imputed, and the choice is documented) and Step 4
(multivariate analysis on a common data set); COINr ``Screen()`` (``dat_thresh``, ``Remove``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# The statuses' codes and words live with the goal model, shared with the read models.
from zhicheng.goals.statuses import (
    CONTEXT,
    GRADED,
    INSUFFICIENT,
    NO_EVIDENCE,
    NOT_COMMON,
    NOT_SCORED,
    RANKED,
    SOLE_UNIT,
    STATUS_LABELS,
    status_label,
)

#: Chinese administrative units are coded by their 6-digit division code (GB/T 2260).
CN_CODE = re.compile(r"^\d{6}$")
CN_GROUP = "CN"

__all__ = ["CONTEXT", "GRADED", "INSUFFICIENT", "NOT_COMMON", "NOT_SCORED", "NO_EVIDENCE", "RANKED", "SOLE_UNIT",
           "STATUS_LABELS", "GroupSelection", "comparison_group", "evidence_status", "select_group", "status_label"]


def comparison_group(code: str, group_name: str | None) -> str:
    """The group a unit is compared within: ``CN`` for Chinese division codes, else its own group.

    Units outside China (the demo's Los Angeles and Somerville) are compared only with units of
    the same ``group_name`` (or, without one, only with themselves).
    """
    if CN_CODE.match(code):
        return CN_GROUP
    return f"{group_name or code}"


@dataclass(frozen=True)
class GroupSelection:
    """One comparison group's ranking set: its members, ranked units, common indicators, and why."""

    group: str
    members: tuple[str, ...]
    ranked: tuple[str, ...]
    common: tuple[str, ...]
    #: Indicators with data in the group left out of its ranking, with their share of ranked units.
    left_out: dict[str, float] = field(default_factory=dict)
    #: Each member's share of the common set [fraction].
    share: dict[str, float] = field(default_factory=dict)

    def status(self, unit: str) -> str:
        """The member's ``rank_status``."""
        if len(self.ranked) < 2 and unit in self.ranked:
            return SOLE_UNIT
        return RANKED if unit in self.ranked else INSUFFICIENT


def select_group(values: pd.DataFrame, group: str, common_share: float, min_coverage: float,
                 max_rounds: int = 10) -> GroupSelection:
    """The common indicator set and the ranked units of one comparison group.

    An indicator is common when at least ``common_share`` of the ranked units have it; a unit is
    ranked when it has at least ``min_coverage`` of the common set. The two depend on each other,
    so they are iterated from "every unit with data" to a fixed point (at most ``max_rounds``).

    Parameters
    ----------
    values
        Members × performance indicators, raw values (NaN = missing).
    group
        The group's name.
    common_share
        Share of ranked units an indicator needs [fraction].
    min_coverage
        Share of the common set a unit needs to be ranked [fraction].
    max_rounds
        Iterations at most [count].

    References
    ----------
    OECD/JRC Handbook (2008), Step 3 (missing data); COINr ``Screen(dat_thresh = …)`` for units
    and the data-availability rule of ``get_data_avail()`` for indicators.
    """
    has = values.notna()
    with_data = has.columns[has.any(axis=0)]
    ranked = has.index[has.any(axis=1)]
    common = pd.Index([])
    for _ in range(max_rounds):
        share = has.loc[ranked, with_data].mean(axis=0) if len(ranked) else pd.Series(0.0, index=with_data)
        common = share.index[share >= common_share - 1e-9]
        cover = has.loc[:, common].mean(axis=1) if len(common) else pd.Series(0.0, index=has.index)
        now = cover.index[(cover >= min_coverage - 1e-9) & has.any(axis=1)]
        if now.equals(ranked):
            break
        ranked = now
    share = has.loc[ranked, with_data].mean(axis=0) if len(ranked) else pd.Series(0.0, index=with_data)
    common = share.index[share >= common_share - 1e-9]
    cover = has.loc[:, common].mean(axis=1) if len(common) else pd.Series(0.0, index=has.index)
    order = [c for c in values.columns if c in set(common)]
    return GroupSelection(
        group=group, members=tuple(values.index), ranked=tuple(u for u in values.index if u in set(ranked)),
        common=tuple(order),
        left_out={str(c): round(float(share[c]), 4) for c in with_data if c not in set(common)},
        share={str(u): round(float(v), 4) for u, v in cover.items()},
    )


def evidence_status(coverage: pd.DataFrame, attainment: pd.DataFrame, levels: dict[str, int], domains: list[str],
                    index_code: str, thresholds: dict[str, float], each_domain: float) -> pd.DataFrame:
    """``grade_status`` of every unit and aggregate node: graded, insufficient evidence or not scored.

    A node is graded when its attainment is scored and its coverage (share of the framework's
    performance indicators under it that are scored for the unit) reaches the threshold of its
    level; the index needs, besides, every domain at ``each_domain`` or more.

    Parameters
    ----------
    coverage, attainment
        Units × aggregate codes [fraction; 0–100 points].
    levels
        Level number of each code (2 requirement, 3 domain, 4 index).
    domains
        Every domain of the framework (a domain without any score counts as coverage 0).
    index_code
        The index's code.
    thresholds
        Minimum coverage by level name (``requirement``, ``domain``, ``index``) [fraction].
    each_domain
        Minimum coverage of every domain for an index grade [fraction].
    """
    names = {2: "requirement", 3: "domain", 4: "index"}
    codes = list(attainment.columns)
    need = np.array([thresholds.get(names.get(levels.get(c, 2), "requirement"), 0.5) for c in codes])
    cov = coverage.reindex(index=attainment.index, columns=codes).fillna(0.0).to_numpy(dtype=float)
    enough = cov >= need - 1e-9
    if index_code in codes:
        dom = coverage.reindex(index=attainment.index, columns=domains).fillna(0.0)
        every = (dom.to_numpy(dtype=float) >= each_domain - 1e-9).all(axis=1)
        j = codes.index(index_code)
        enough[:, j] &= every
    scored = attainment.notna().to_numpy()
    status = np.where(~scored, NOT_SCORED, np.where(enough, GRADED, NO_EVIDENCE))
    return pd.DataFrame(status, index=attainment.index, columns=codes)
