"""The inputs of an uncertainty and sensitivity analysis: their alternatives, the spec and the results.

Each input is a discrete, uniformly drawn choice among alternatives for one pipeline step; see
:mod:`zhicheng.index.sensitivity` for the whole analysis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from zhicheng.index.errors import IndexInputError
from zhicheng.index.pipeline import Pipeline
from zhicheng.index.rng import RCompatibleRNG
from zhicheng.index.weights import UniformSource, noisy_weights


class RandomSource(UniformSource, Protocol):
    """What the analysis draws from: uniforms and bootstrap indices (a numpy ``Generator`` is one).

    :class:`zhicheng.index.rng.RCompatibleRNG` gives R's streams, to repeat a COINr run exactly.
    """

    def integers(self, low: int, high: int, size: tuple[int, ...]) -> Any:
        """Integers in ``[low, high)`` of the given shape, filled in C order."""


@dataclass
class SAInput:
    """One uncertain input: alternatives for the settings of one pipeline step.

    ``alternatives`` are parameter mappings; with ``replace`` they replace the step's settings
    (e.g. a whole normalisation spec), otherwise they are merged into them (e.g. ``{"winmax": 3}``).
    ``labels`` name the alternatives in the parameter table.
    """

    name: str
    stage: str | int
    alternatives: list[dict[str, Any]]
    labels: list[str] = field(default_factory=list)
    replace: bool = False

    def __post_init__(self) -> None:
        if not self.alternatives:
            raise IndexInputError(f"input {self.name!r} has no alternatives")
        if not self.labels:
            self.labels = [_label(a) for a in self.alternatives]


def _label(alt: Mapping[str, Any]) -> str:
    if len(alt) == 1:
        (k, v), = alt.items()
        if k in ("w", "weights"):
            return "weights"
        return str(v)
    return ", ".join(f"{k}={v}" for k, v in alt.items())


@dataclass
class SensitivitySpec:
    """What to vary and how: the inputs, UA or SA, sample size, bootstrap draws, seed, target code.

    ``source``, when set, is the random stream shared by the noisy weights and the run (the spec
    key ``rng: R`` makes it :class:`~zhicheng.index.rng.RCompatibleRNG` seeded with ``seed``, so a
    spec with COINr's ``set.seed()`` value repeats COINr's run).
    """

    inputs: list[SAInput]
    sa_type: str = "UA"
    n: int = 100
    n_boot: int | None = None
    seed: int | None = None
    target: str | None = None
    source: RandomSource | None = None

    @property
    def n_runs(self) -> int:
        """Replications: ``N`` for UA, ``N (d + 2)`` for SA."""
        return self.n if self.sa_type == "UA" else self.n * (len(self.inputs) + 2)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], pipeline: Pipeline,
                     rng: RandomSource | None = None) -> SensitivitySpec:
        """Parse a spec (the YAML of ``zhicheng index sensitivity``).

        Each input has ``name`` and ``stage``, and one of: ``param`` + ``values`` (one setting
        takes each value), ``alternatives`` (whole settings of the step, replacing it), or
        ``noisy_weights: {levels: {2: 0.25}, n: 100}`` (COINr ``get_noisy_weights``), drawn from
        ``rng`` (default: numpy's generator seeded with the spec's ``seed``, or R's stream when
        the spec says ``rng: R``).
        """
        sa_type = str(doc.get("sa_type", doc.get("SA_type", "UA"))).upper()
        if sa_type not in ("UA", "SA"):
            raise IndexInputError("sa_type must be UA or SA")
        seed = doc.get("seed")
        kind = str(doc.get("rng", "numpy")).lower()
        if kind not in ("numpy", "r"):
            raise IndexInputError("rng must be numpy or R")
        source: RandomSource | None = None
        if kind == "r":
            if seed is None:
                raise IndexInputError("rng: R needs a seed (the value given to R's set.seed)")
            source = RCompatibleRNG(int(seed))
        rng = rng if rng is not None else (source or np.random.default_rng(seed))
        inputs = [_parse_input(i, pipeline, rng) for i in doc.get("inputs") or []]
        if not inputs:
            raise IndexInputError("the spec lists no inputs")
        n = int(doc.get("N", doc.get("n", 100)))
        if n < 2:
            raise IndexInputError("N must be at least 2")
        nboot = doc.get("Nboot", doc.get("n_boot"))
        return cls(inputs, sa_type, n, None if nboot is None else int(nboot), seed, doc.get("target"),
                   source if rng is source else None)


def _parse_input(item: Mapping[str, Any], pipeline: Pipeline, rng: RandomSource) -> SAInput:
    if not isinstance(item, Mapping) or "name" not in item or "stage" not in item:
        raise IndexInputError("each input needs a 'name' and a 'stage'")
    name, stage = str(item["name"]), item["stage"]
    pipeline.find(stage)
    if "noisy_weights" in item:
        nw = item["noisy_weights"]
        levels = {int(k): float(v) for k, v in dict(nw.get("levels", {})).items()}
        sets = noisy_weights(pipeline.coin, levels, int(nw.get("n", 100)), rng)
        return SAInput(name, stage, [{"w": s} for s in sets], [f"w{i + 1}" for i in range(len(sets))])
    if "param" in item:
        values = list(item.get("values") or [])
        return SAInput(name, stage, [{str(item["param"]): v} for v in values],
                       [str(v) for v in values])
    if "alternatives" in item:
        alts = [dict(a) for a in item["alternatives"]]
        return SAInput(name, stage, alts, [str(x) for x in item.get("labels", [])], replace=True)
    raise IndexInputError(f"input {name!r} needs 'param'+'values', 'alternatives' or 'noisy_weights'")


@dataclass
class SensitivityResults:
    """Scores, ranks and statistics of an uncertainty or sensitivity analysis.

    ``scores`` / ``ranks``: ``uCode, Nominal, r_1 ... r_R`` (COINr's layout); ``rank_stats``:
    ``uCode, Nominal, Mean, Median, Q5, Q95``; ``parameters``: the choice of each input per run;
    ``sensitivity_indices`` (SA only): ``Variable, Si, STi, Si_q5, Si_q95, STi_q5, STi_q95``.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    rank_stats: pd.DataFrame
    parameters: pd.DataFrame
    sensitivity_indices: pd.DataFrame | None
    seconds: float
    n_runs: int
