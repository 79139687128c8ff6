"""Method configuration of an evaluation run (YAML): treatment, normalisation, weights, aggregation.

The default follows the practice of GB/T 33356 evaluations — every indicator is scored by how far
it has come towards its target, and scores are averaged up the tree with the framework's
weights::

    treat: null                              # or the index engine's settings, e.g. {winmax: 5}
    normalise: {method: dist2targ, cap_max: true}   # 0 = worst evaluated unit, 100 = target met
    weights: framework                       # framework | equal | {code: weight, …}
    aggregate: {method: amean}               # amean | gmean | hmean | genmean | copeland, or per level
    min_coverage: 0.5                        # leave out units with data for < 50 % of the indicators
                                             # that have data in the period
    lookback: 0                              # years a missing value may be taken from (latest first)

Normalisation methods are the index engine's (COINr's names); ``dist2targ`` and ``goalposts``
take each indicator's target from the framework, ``goalposts`` its bad end from the plausible
range. Methods that give fractions (``dist2targ``, ``fracmax``, ``dist2max``, ``dist2ref``,
``prank``) are scaled to 0–100 so that maturity grades apply.
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


class MethodConfig(BaseModel):
    """How an evaluation scores and aggregates (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    treat: dict[str, Any] | None = None
    normalise: dict[str, Any] = Field(default_factory=lambda: {"method": "dist2targ", "cap_max": True})
    weights: Literal["framework", "equal"] | dict[str, Annotated[float, Field(gt=0)]] = "framework"
    aggregate: dict[str, Any] = Field(default_factory=lambda: {"method": "amean"})
    min_coverage: Annotated[float, Field(ge=0, le=1)] = 0.5
    lookback: Annotated[int, Field(ge=0, le=10)] = 0

    def method(self) -> str:
        """The normalisation method's name (COINr's, without the ``n_`` prefix)."""
        name = str(self.normalise.get("method", self.normalise.get("f_n", "minmax")))
        return name.removeprefix("n_")

    def to_yaml(self) -> str:
        """The configuration as YAML (stored with each run so that it can be reproduced)."""
        return yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


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
