"""Method configuration of an evaluation run (YAML): the ranking rules, scoring and aggregation.

The default (``rules: 2``) compares like with like and separates units::

    rules: 2                                  # 2 = the rules below; 1 = runs stored before them
    treat: null                               # or the index engine's settings, e.g. {winmax: 5}
    normalise: {method: minmax, l_u: [0, 100]}   # ranking score: 0 = worst ranked unit, 100 = best
    attainment: {method: dist2targ, cap_max: true}   # 达标度 beside it: 100 = target met
    weights: framework                        # framework | equal | {code: weight, …}
    aggregate: {method: amean}                # amean | gmean | hmean | genmean | copeland, or per level
    common_share: 0.6667                      # an indicator enters a ranking when ≥ 2/3 of the ranked
                                              # units of the comparison group have it
    min_coverage: 0.5                         # a unit is ranked when it has ≥ 50 % of that common set
    evidence: {index: 0.5, domain: 0.5, requirement: 0.5, each_domain: 0.25}
    lookback: 0                               # years a missing value may be taken from (latest first)
    level: null                               # the unit level ranked (default: the commonest with data)

*Compare like with like.* Units are ranked within comparison groups (Chinese administrative
units by their 6-digit codes in one group; any other unit in the group its ``group_name`` names)
and on one indicator set per group: the indicators that at least ``common_share`` of the group's
ranked units have. Units with less than ``min_coverage`` of that set are not ranked (status
``insufficient_data``); a group of one unit is not ranked (``sole_unit``). Context indicators
(catalogue ``role: context``) are stored and shown but never scored.

*Scores that separate units.* The ranking score is COINr's ``n_minmax`` across the ranked units
of the group (OECD/JRC Handbook 2008, §5.2): the best unit on an indicator gets 100 and the
worst 0, so two units share a score only when their data are identical. Attainment of target
(``attainment``, by default the distance from the worst unit to the target, capped at it) is
computed beside it, and the maturity grades, gaps and lifts speak of attainment.

*Grades need evidence.* A node is graded only when the unit's scored indicators cover at least
``evidence[level]`` of the framework's performance indicators under it, and the index only when,
in addition, every domain reaches ``evidence.each_domain``; otherwise ``grade`` is empty,
``grade_status`` says ``insufficient_evidence`` and ``provisional_grade`` holds the grade of the
attainment over the scored part (always shown with its coverage).

Normalisation methods are the index engine's (COINr's names); ``dist2targ`` and ``goalposts``
take each indicator's target from the framework, ``goalposts`` its bad end from the plausible
range. Methods that give fractions (``dist2targ``, ``fracmax``, ``dist2max``, ``dist2ref``,
``prank``) are scaled to 0–100 so that maturity grades apply.

Run configurations stored before these rules have no ``rules`` key; :func:`stored_config`
reads them as ``rules: 1`` (score = attainment, every indicator with data, grades by score alone),
so they keep their method and their meaning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zhicheng.errors import Problem
from zhicheng.evaluate.errors import EvaluationError

#: Normalisation methods whose output is a fraction (0–1); the service scales them to 0–100.
FRACTION_METHODS = {"dist2targ", "fracmax", "dist2max", "dist2ref", "prank"}


#: Share of a comparison group's ranked units that must have an indicator for it to enter the ranking.
COMMON_SHARE = 0.6667
#: Attainment of target as the rules-1 default scored it (and as the rules-2 default shows beside the score).
ATTAINMENT = {"method": "dist2targ", "cap_max": True}


class Evidence(BaseModel):
    """Coverage a node needs for a maturity grade [fraction of its framework's performance indicators]."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: Annotated[float, Field(ge=0, le=1)] = 0.5
    domain: Annotated[float, Field(ge=0, le=1)] = 0.5
    requirement: Annotated[float, Field(ge=0, le=1)] = 0.5
    #: The index is graded only when every domain reaches this coverage too.
    each_domain: Annotated[float, Field(ge=0, le=1)] = 0.25


class MethodConfig(BaseModel):
    """How an evaluation ranks, scores and aggregates (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: Literal[1, 2] = 2
    treat: dict[str, Any] | None = None
    normalise: dict[str, Any] = Field(default_factory=lambda: {"method": "minmax", "l_u": [0, 100]})
    attainment: dict[str, Any] = Field(default_factory=lambda: dict(ATTAINMENT))
    weights: Literal["framework", "equal"] | dict[str, Annotated[float, Field(gt=0)]] = "framework"
    aggregate: dict[str, Any] = Field(default_factory=lambda: {"method": "amean"})
    common_share: Annotated[float, Field(ge=0, le=1)] = COMMON_SHARE
    min_coverage: Annotated[float, Field(ge=0, le=1)] = 0.5
    evidence: Evidence = Field(default_factory=Evidence)
    lookback: Annotated[int, Field(ge=0, le=10)] = 0
    level: str | None = None

    def attainment_config(self) -> MethodConfig:
        """The same configuration scoring attainment of target instead of the ranking score."""
        # Attainment compares each raw value with its target: outlier treatment does not apply.
        return self.model_copy(update={"normalise": dict(self.attainment), "treat": None})

    def label(self, lang: str = "zh") -> str:
        """The scoring method in a few words (``lang`` zh or en), e.g. for a run's heading."""
        att = self.attainment_config().method()
        if self.rules == 1:
            return (f"得分 = 达标度 ({self.method()}),规则 1" if lang == "zh" else
                    f"score = attainment ({self.method()}), rules 1")
        return (f"排名得分 {self.method()}(跨单位比较),达标度 {att} 并列,规则 2" if lang == "zh" else
                f"ranking score {self.method()} across units, attainment {att} beside it, rules 2")

    def method(self) -> str:
        """The normalisation method's name (COINr's, without the ``n_`` prefix)."""
        name = str(self.normalise.get("method", self.normalise.get("f_n", "minmax")))
        return name.removeprefix("n_")

    def to_yaml(self) -> str:
        """The configuration as YAML (stored with each run so that it can be reproduced)."""
        return yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


def stored_config(text: str | None) -> MethodConfig:
    """A run's stored configuration (YAML); one without ``rules`` was stored before rules 2.

    Raises
    ------
    ValueError, yaml.YAMLError
        When the stored text is not a configuration.
    """
    doc = yaml.safe_load(text or "") or {}
    if not isinstance(doc, dict):
        raise ValueError("the stored configuration is not a mapping")
    doc.setdefault("rules", 1)
    if doc["rules"] == 1:
        doc.setdefault("normalise", dict(ATTAINMENT))
    return MethodConfig.model_validate(doc)


def load_config(path: str | Path | None) -> MethodConfig:
    """Read a method configuration file; ``None`` gives the default.

    Raises
    ------
    EvaluationError
        With every problem of the file (key path and reason).
    """
    if path is None:
        return MethodConfig()
    name = str(path)
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise EvaluationError(problems=[Problem(f"unreadable YAML: {getattr(exc, 'problem', exc)}", name,
                                                None if mark is None else mark.line + 1)]) from None
    except UnicodeDecodeError:
        raise EvaluationError(problems=[Problem("bad encoding: the file is not UTF-8", name)]) from None
    try:
        return MethodConfig.model_validate(doc or {})
    except ValidationError as exc:
        problems = [Problem(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}", name) for e in exc.errors()]
        raise EvaluationError(problems=problems) from None
