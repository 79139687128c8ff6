"""The runs of the analysis, vectorised.

The stages before aggregation are computed once per distinct combination of the inputs that
affect them, then all replications sharing those data are aggregated together as batched matrix
products (weights as a replications x codes matrix), and ranked with one 2-D argsort.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from zhicheng.index import aggregate as agg
from zhicheng.index.coin import Coin
from zhicheng.index.errors import IndexInputError
from zhicheng.index.pipeline import Pipeline, Results
from zhicheng.index.sensitivity_spec import SensitivitySpec
from zhicheng.index.weights import given_weights


def _changes(spec: SensitivitySpec, choice: Sequence[int], pipeline: Pipeline,
             keep: Callable[[int], bool]) -> dict[int, dict[str, Any]]:
    """Settings per step index for one combination of choices (only steps where ``keep``).

    A ``replace`` input drops the step's original settings (keeping ``dset``, ``write_to``,
    ``indiv`` and whatever other inputs set); the others are merged in.
    """
    steps = pipeline.steps
    out: dict[int, dict[str, Any]] = {}
    touched: dict[int, set[str]] = {}
    for inp, c in zip(spec.inputs, choice, strict=True):
        i = pipeline.find(inp.stage)
        if not keep(i):
            continue
        alt = inp.alternatives[int(c)]
        mine = touched.setdefault(i, set())
        cur = out.get(i, dict(steps[i][1]))
        if inp.replace:
            cur = {k: v for k, v in cur.items() if k in mine or k in _KEEP}
        out[i] = {**cur, **alt}
        mine.update(alt)
    return out


_KEEP = ("dset", "write_to", "indiv", "indiv_specs")


def _apply(pipeline: Pipeline, changes: Mapping[int, Mapping[str, Any]]) -> Pipeline:
    new = Pipeline(pipeline.coin, pipeline.steps)
    for i, params in changes.items():
        new.replace(i, params)
    return new


class _Engine:
    """Runs the replications of a spec on a pipeline, sharing work between them."""

    def __init__(self, pipeline: Pipeline, spec: SensitivitySpec) -> None:
        self.pipe = pipeline
        self.spec = spec
        self.coin: Coin = pipeline.coin
        stages = [s for s, _ in pipeline.steps]
        if "aggregate" not in stages:
            raise IndexInputError("sensitivity analysis needs an aggregate step")
        self.i_agg = len(stages) - 1 - stages[::-1].index("aggregate")
        self.target = spec.target or self.coin.aggregates_at(self.coin.max_level)[0]
        if self.target not in self.coin.level_of:
            raise IndexInputError(f"target {self.target!r} is not in the hierarchy")
        self.late = any(pipeline.find(inp.stage) > self.i_agg for inp in spec.inputs)
        self._pre_cache: dict[tuple[int, ...], Results | Exception] = {}

    def pre_key(self, choice: Sequence[int]) -> tuple[int, ...]:
        return tuple(c if self.pipe.find(inp.stage) < self.i_agg else -1
                     for inp, c in zip(self.spec.inputs, choice, strict=True))

    def pre_state(self, choice: Sequence[int]) -> Results | Exception:
        key = self.pre_key(choice)
        if key not in self._pre_cache:
            ch = _changes(self.spec, choice, self.pipe, lambda i: i < self.i_agg)
            try:
                self._pre_cache[key] = _apply(self.pipe, ch).run(upto=self.i_agg)
            except IndexInputError as exc:  # COINr: "Regen failed", the run gives NA
                self._pre_cache[key] = exc
        return self._pre_cache[key]

    def run(self, choices: np.ndarray, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Target scores, replications x units."""
        units = self.coin.data.index
        out = np.full((choices.shape[0], len(units)), np.nan)
        if self.late:
            return self._run_each(choices, out, progress)
        # replications sharing the data before aggregation and the aggregation settings other than
        # the weights form one batch
        keycols = [k for k, inp in enumerate(self.spec.inputs)
                   if self.pipe.find(inp.stage) < self.i_agg
                   or any(key not in ("w", "weights") for alt in inp.alternatives for key in alt)]
        if keycols:
            uniq, inv = np.unique(choices[:, keycols], axis=0, return_inverse=True)
            inv = np.asarray(inv).ravel()
        else:
            uniq, inv = np.zeros((1, 0), dtype=int), np.zeros(choices.shape[0], dtype=int)
        wall = self._weights(choices)
        done = 0
        for g in range(uniq.shape[0]):
            rows = np.flatnonzero(inv == g)
            rep = choices[rows[0]]
            params = _changes(self.spec, rep, self.pipe, lambda i: i == self.i_agg).get(
                self.i_agg, dict(self.pipe.steps[self.i_agg][1]))
            params = {k: v for k, v in params.items() if k not in ("w", "weights")}
            state = self.pre_state(rep)
            if not _batchable(params):  # settings the batched path does not cover: plain re-runs
                self._run_each(choices[rows], out, None, rows)
            elif not isinstance(state, Exception):
                w = wall[rows] if not state.weights or self._explicit_w() else self._weights(choices[rows], state.weights)
                try:
                    scores = self._aggregate(state, params, w)
                    pos = units.get_indexer(state.datasets[self._src(state)].index)
                    out[np.ix_(rows, pos[pos >= 0])] = scores[:, pos >= 0]
                except IndexInputError:
                    pass
            done += len(rows)
            if progress:
                progress(done)
        return out

    def _src(self, state: Results) -> str:
        p = self.pipe.steps[self.i_agg][1]
        return str(p.get("dset") or self.pipe._last_name(state, self.i_agg))

    def _run_each(self, choices: np.ndarray, out: np.ndarray, progress: Callable[[int], None] | None,
                  rows: np.ndarray | None = None) -> np.ndarray:
        units = self.coin.data.index
        for k, choice in enumerate(choices):
            r = k if rows is None else int(rows[k])
            try:
                res = _apply(self.pipe, _changes(self.spec, choice, self.pipe, lambda i: True)).run()
                s = res.aggregated[self.target]
                out[r, units.get_indexer(s.index)] = s.to_numpy(dtype=float)
            except IndexInputError:
                pass
            if progress:
                progress(k + 1)
        return out

    def _explicit_w(self) -> bool:
        p = self.pipe.steps[self.i_agg][1]
        return p.get("w") is not None or p.get("weights") is not None

    def _weights(self, choices: np.ndarray, nominal: Mapping[str, float] | None = None) -> np.ndarray:
        """Weights of every code per replication (replications x codes).

        The base is the aggregate step's ``w``, else ``nominal`` (weights set by a ``weights``
        step), else the metadata weights; weight inputs override it per replication.
        """
        codes = list(self.coin.level_of)
        base_params = self.pipe.steps[self.i_agg][1]
        base = given_weights(self.coin, base_params.get("w") or base_params.get("weights") or nominal or None)
        w0 = np.array([base[c] for c in codes])
        w = np.tile(w0, (choices.shape[0], 1))
        col = {c: j for j, c in enumerate(codes)}
        for k, inp in enumerate(self.spec.inputs):
            if self.pipe.find(inp.stage) != self.i_agg:
                continue
            alts = [a.get("w", a.get("weights")) for a in inp.alternatives]
            if all(a is None for a in alts):
                continue
            mat = np.tile(w0, (len(alts), 1))
            for i, a in enumerate(alts):
                if not a:
                    continue
                unknown = [c for c in a if c not in col]
                if unknown:
                    raise IndexInputError(f"weights name unknown code(s) {unknown}")
                mat[i, [col[c] for c in a]] = [float(v) for v in a.values()]
            changed = np.any(mat != w0, axis=0)
            w[:, changed] = mat[choices[:, k]][:, changed]
        return w

    def _aggregate(self, state: Results, params: Mapping[str, Any], wmat: np.ndarray) -> np.ndarray:
        """Target scores for replications sharing the data and aggregation settings."""
        data = state.datasets[self._src(state)]
        inds = [c for c in data.columns if self.coin.level_of.get(str(c)) == 1]
        nlev = self.coin.max_level
        methods = [agg.method_name(m) for m in agg.per_level(params.get("method", params.get("f_ag", "amean")), nlev, "method")]
        thr = agg.per_level(params.get("dat_thresh"), nlev, "dat_thresh")
        ps = agg.per_level(params.get("p"), nlev, "p")
        codes = list(self.coin.level_of)
        col = {c: j for j, c in enumerate(codes)}
        vals: np.ndarray = data[inds].to_numpy(dtype=float)
        names = inds
        for lev in range(2, nlev + 1):
            parents = self.coin.aggregates_at(lev)
            mem = agg.membership(names, parents, self.coin.parent_of)
            wl = wmat[:, [col[c] for c in names]]
            vals = _level(vals, wl, mem, methods[lev - 2], ps[lev - 2], thr[lev - 2])
            names = parents
            if self.target in names:
                out = vals[..., names.index(self.target)]
                return np.broadcast_to(out, (wmat.shape[0], out.shape[-1])).copy()
        raise IndexInputError(f"target {self.target!r} was not reached by aggregation")


def _batchable(params: Mapping[str, Any]) -> bool:
    """Whether the batched aggregation covers these aggregate settings exactly."""
    known = {"method", "f_ag", "dat_thresh", "p", "dset", "write_to"}
    if set(params) - known:
        return False
    return not isinstance(params.get("dat_thresh"), Mapping)


def _level(vals: np.ndarray, wl: np.ndarray, mem: np.ndarray, method: str, p: float | None,
           thr: float | None, chunk: int = 2048) -> np.ndarray:
    """One aggregation level for shared (units x children) or batched (R x units x children) values."""
    same = bool(np.all(wl == wl[0]))
    if method == "copeland":
        if vals.ndim == 2 and same:
            return np.column_stack([agg.copeland(vals[:, mem[:, j] > 0], wl[0][mem[:, j] > 0])
                                    for j in range(mem.shape[1])])
        v3 = np.broadcast_to(vals, (wl.shape[0],) + vals.shape[-2:])
        return np.stack([np.column_stack([agg.copeland(v3[r][:, mem[:, j] > 0], wl[r][mem[:, j] > 0])
                                          for j in range(mem.shape[1])]) for r in range(wl.shape[0])])
    t = None if thr is None else float(thr)
    if same and vals.ndim == 2:
        return agg.weighted_mean(vals, wl[0][:, None] * mem, method, p, t, mem)
    parts = []
    for s in range(0, wl.shape[0], chunk):
        wm = wl[s:s + chunk, :, None] * mem[None]
        v = vals if vals.ndim == 2 else vals[s:s + chunk]
        parts.append(agg.weighted_mean(v, wm, method, p, t, mem))
    return np.concatenate(parts, axis=0)
