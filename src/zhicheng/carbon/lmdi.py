"""Additive LMDI-I decomposition of a change in emissions into the effects of its factors.

An aggregate ``V = Σ_i V_i`` with ``V_i = Π_k x_{k,i}`` changes from ``V⁰`` to ``Vᵀ``; the
additive LMDI-I effect of factor ``k`` is

    ΔV_k = Σ_i L(V_iᵀ, V_i⁰) · ln(x_{k,i}ᵀ / x_{k,i}⁰),   L(a, b) = (a − b) / (ln a − ln b),

and the effects add up exactly to ``Vᵀ − V⁰`` (perfect decomposition). Zero values follow the
analytical limits (Ang, Zhang & Choi 1998, Table 2; Wood & Lenzen 2006): when ``V_i`` is zero in
one period, the whole change of that item goes to the factor(s) that are zero there, shared
equally if several are.

Two factorisations the shipped data support (no energy quantities are in the data, so there is
no energy-intensity effect):

- **Kaya** (cities and provinces with population and GDP): ``C = P × (G/P) × (C/G)`` — population,
  GDP per person and CO2 per unit GDP (GDP at current prices: the last two are nominal);
- **inventory** (provinces): ``C = Σ_ij A × S_i × F_ij`` with ``S_i = C_i / C`` the sector's share
  of the unit's scope-1 emissions and ``F_ij = C_ij / C_i`` the fuel (or process) share within the
  sector; ``A`` is either the Kaya factors or the total itself (a scale effect).

References
----------
Ang, B.W. (2004) Decomposition analysis for policymaking in energy: which is the preferred
method? Energy Policy 32:1131–1139. Ang, B.W. (2005) The LMDI approach to decomposition
analysis: a practical guide. Energy Policy 33:867–871 (Table 1, additive LMDI-I). Ang, B.W. (2015)
LMDI decomposition approach: a guide for implementation. Energy Policy 86:233–238.
Ang, B.W., Zhang, F.Q., Choi, K.-H. (1998) Factorizing changes in energy and environmental
indicators through decomposition. Energy 23(6):489–495 (zero values, Table 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Effects in the order they are shown, with their names (zh, en).
EFFECT_NAMES: dict[str, tuple[str, str]] = {
    "population": ("人口规模效应", "Population"),
    "affluence": ("人均GDP效应(现价)", "GDP per person (current prices)"),
    "intensity": ("碳强度效应(现价)", "CO2 per unit GDP (current prices)"),
    "scale": ("排放规模效应", "Scale (total emissions)"),
    "structure": ("部门结构效应", "Sector structure"),
    "fuel_mix": ("燃料构成效应", "Fuel mix"),
}


def logmean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The logarithmic mean ``L(a, b) = (a − b) / (ln a − ln b)``, ``L(a, a) = a``, ``L(a, 0) = 0``.

    Parameters
    ----------
    a, b
        Non-negative arrays of the same shape [any unit]; the result has their unit.

    References
    ----------
    Ang (2005), Energy Policy 33:867–871, eq. (4)–(5) and footnote 2.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = np.zeros(np.broadcast(a, b).shape)
    both = (a > 0) & (b > 0)
    same = both & np.isclose(a, b, rtol=1e-12, atol=0.0)
    diff = both & ~same
    with np.errstate(divide="ignore", invalid="ignore"):
        out[diff] = ((a - b) / (np.log(a) - np.log(b)))[diff]
    out[same] = np.broadcast_to(a, out.shape)[same]
    return out


def additive(x0: np.ndarray, xt: np.ndarray) -> np.ndarray:
    """Additive LMDI-I effects of every factor on every item.

    Parameters
    ----------
    x0, xt
        Factor values in period 0 and T, shape ``(factors, …items)``; each item's aggregate is the
        product over the first axis (``V_i = Π_k x_{k,i}``) [any unit].

    Returns
    -------
    numpy.ndarray
        ``ΔV_{k,i}``, shape of ``x0`` [unit of V]; summed over items it is the effect of factor
        ``k``, and summed over factors it is ``V_iᵀ − V_i⁰`` exactly.

    References
    ----------
    Ang (2005), Energy Policy 33:867–871, eq. (5) and Table 1 (LMDI-I, additive); zero values by
    the limits of Ang, Zhang & Choi (1998), Energy 23:489–495, Table 2.
    """
    x0 = np.asarray(x0, dtype=float)
    xt = np.asarray(xt, dtype=float)
    v0 = np.prod(x0, axis=0)
    vt = np.prod(xt, axis=0)
    weight = logmean(vt, v0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((x0 > 0) & (xt > 0), np.log(np.where(xt > 0, xt, 1.0) / np.where(x0 > 0, x0, 1.0)), 0.0)
    effects = weight[None, ...] * ratio
    # Items present in one period only: the change goes to the factors that are zero there.
    appear = (v0 == 0) & (vt > 0)
    vanish = (v0 > 0) & (vt == 0)
    for mask, zero_side, change in ((appear, x0 == 0, vt), (vanish, xt == 0, -v0)):
        if not mask.any():
            continue
        zeros = zero_side & mask[None, ...]
        count = zeros.sum(axis=0)
        share = np.where(count > 0, change / np.maximum(count, 1), 0.0)
        effects = np.where(mask[None, ...], np.where(zeros, share[None, ...], 0.0), effects)
    return effects


@dataclass(frozen=True)
class Decomposition:
    """The change of one unit's emissions between two years and the effects it splits into [Mt CO2]."""

    unit_code: str
    year_from: int
    year_to: int
    value_from: float
    value_to: float
    #: Effect id → contribution [Mt CO2], in :data:`EFFECT_NAMES` order; they add up to ``change``.
    effects: dict[str, float]
    #: Which factorisation: ``kaya``, ``inventory+kaya`` or ``inventory``.
    model: str

    @property
    def change(self) -> float:
        """``value_to − value_from`` [Mt CO2]."""
        return self.value_to - self.value_from

    @property
    def residual(self) -> float:
        """Change minus the sum of the effects (zero up to rounding: LMDI-I is perfect)."""
        return self.change - sum(self.effects.values())


def kaya(c0: np.ndarray, ct: np.ndarray, p0: np.ndarray, pt: np.ndarray, g0: np.ndarray, gt: np.ndarray) -> dict[str, np.ndarray]:
    """Kaya decomposition ``C = P × (G/P) × (C/G)`` of many units at once.

    Parameters
    ----------
    c0, ct
        Emissions in the two years [Mt CO2], one entry per unit.
    p0, pt
        Population [persons].
    g0, gt
        GDP [CNY, current prices].

    Returns
    -------
    dict
        ``population``, ``affluence``, ``intensity`` effects per unit [Mt CO2]; they add up to
        ``ct − c0``. Units with a missing or non-positive input give NaN.

    References
    ----------
    Kaya identity with additive LMDI-I: Ang (2005) Table 1; Ang (2015) §3, model 1 (CO2 emissions).
    """
    c0, ct, p0, pt, g0, gt = (np.asarray(v, dtype=float) for v in (c0, ct, p0, pt, g0, gt))
    ok = np.isfinite(c0 + ct + p0 + pt + g0 + gt) & (p0 > 0) & (pt > 0) & (g0 > 0) & (gt > 0) & (c0 > 0) & (ct > 0)
    safe = lambda v: np.where(ok, v, 1.0)  # noqa: E731
    x0 = np.stack([safe(p0), safe(g0) / safe(p0), safe(c0) / safe(g0)])
    xt = np.stack([safe(pt), safe(gt) / safe(pt), safe(ct) / safe(gt)])
    eff = additive(x0, xt)
    names = ("population", "affluence", "intensity")
    return {n: np.where(ok, eff[k], np.nan) for k, n in enumerate(names)}


def inventory(cells0: np.ndarray, cellst: np.ndarray, p: tuple[float, float] | None = None,
              g: tuple[float, float] | None = None) -> dict[str, float]:
    """Sector-structure and fuel-mix decomposition of one unit's inventory between two years.

    Parameters
    ----------
    cells0, cellst
        Scope-1 emissions by sector (rows) and fuel or process (columns) [Mt CO2].
    p, g
        Population [persons] and GDP [CNY, current prices] in the two years; with both, the
        activity factor is split by Kaya (population, GDP per person, CO2 per GDP), otherwise it is
        the total itself (scale effect).

    Returns
    -------
    dict
        Effect id → [Mt CO2]: (``population``, ``affluence``, ``intensity``) or ``scale``, then
        ``structure`` (sector shares of emissions) and ``fuel_mix`` (fuel shares within each
        sector); they add up to ``Σ cellst − Σ cells0`` exactly.

    References
    ----------
    Ang (2005) Energy Policy 33:867–871, Table 1 (additive LMDI-I), with the structure and mix
    factors of Ang (2015) Energy Policy 86:233–238, §3.
    """
    c0 = np.asarray(cells0, dtype=float)
    ct = np.asarray(cellst, dtype=float)
    tot0, tott = c0.sum(), ct.sum()
    sec0, sect = c0.sum(axis=1, keepdims=True), ct.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = np.broadcast_to(sec0 / tot0 if tot0 > 0 else np.zeros_like(sec0), c0.shape)
        st = np.broadcast_to(sect / tott if tott > 0 else np.zeros_like(sect), ct.shape)
        f0 = np.where(sec0 > 0, c0 / np.where(sec0 > 0, sec0, 1.0), np.nan)
        ft = np.where(sect > 0, ct / np.where(sect > 0, sect, 1.0), np.nan)
    # A sector absent in one year has no fuel mix there: take the other year's (no mix change),
    # so that its appearance or disappearance is a structure effect.
    f0 = np.where(np.isnan(f0), np.nan_to_num(ft), f0)
    ft = np.where(np.isnan(ft), f0, ft)
    if p is not None and g is not None and min(p) > 0 and min(g) > 0 and tot0 > 0 and tott > 0:
        act0 = [np.full(c0.shape, p[0]), np.full(c0.shape, g[0] / p[0]), np.full(c0.shape, tot0 / g[0])]
        actt = [np.full(c0.shape, p[1]), np.full(c0.shape, g[1] / p[1]), np.full(c0.shape, tott / g[1])]
        names = ["population", "affluence", "intensity"]
    else:
        act0, actt, names = [np.full(c0.shape, tot0)], [np.full(c0.shape, tott)], ["scale"]
    x0 = np.stack([*act0, s0, f0])
    xt = np.stack([*actt, st, ft])
    eff = additive(x0, xt).reshape(len(names) + 2, -1).sum(axis=1)
    return {n: float(v) for n, v in zip([*names, "structure", "fuel_mix"], eff, strict=True)}


def inventory_many(cells0: np.ndarray, cellst: np.ndarray, p0: np.ndarray | None = None, pt: np.ndarray | None = None,
                   g0: np.ndarray | None = None, gt: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:func:`inventory` for many units at once (the first axis), vectorised.

    Parameters
    ----------
    cells0, cellst
        Scope-1 emissions, shape ``(units, sectors, sources)`` [Mt CO2].
    p0, pt, g0, gt
        Population [persons] and GDP [CNY, current prices] per unit; where all four are positive
        the activity is split by Kaya, elsewhere it is the scale effect (NaN in the other columns).

    Returns
    -------
    dict
        ``population``, ``affluence``, ``intensity``, ``scale``, ``structure``, ``fuel_mix`` per unit
        [Mt CO2]; per unit the non-NaN effects add up to the change exactly.

    References
    ----------
    As :func:`inventory`: Ang (2005) Table 1; Ang (2015) §3.
    """
    c0 = np.asarray(cells0, dtype=float)
    ct = np.asarray(cellst, dtype=float)
    n = c0.shape[0]
    tot0 = c0.sum(axis=(1, 2))
    tott = ct.sum(axis=(1, 2))
    sec0 = c0.sum(axis=2, keepdims=True)
    sect = ct.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = np.broadcast_to(np.where(tot0[:, None, None] > 0, sec0 / tot0[:, None, None], 0.0), c0.shape)
        st = np.broadcast_to(np.where(tott[:, None, None] > 0, sect / tott[:, None, None], 0.0), ct.shape)
        f0 = np.where(sec0 > 0, c0 / np.where(sec0 > 0, sec0, 1.0), np.nan)
        ft = np.where(sect > 0, ct / np.where(sect > 0, sect, 1.0), np.nan)
    f0 = np.where(np.isnan(f0), np.nan_to_num(ft), f0)
    ft = np.where(np.isnan(ft), f0, ft)
    nan = np.full(n, np.nan)
    p0 = nan if p0 is None else np.asarray(p0, dtype=float)
    pt = nan if pt is None else np.asarray(pt, dtype=float)
    g0 = nan if g0 is None else np.asarray(g0, dtype=float)
    gt = nan if gt is None else np.asarray(gt, dtype=float)
    with np.errstate(invalid="ignore"):
        kaya_ok = (p0 > 0) & (pt > 0) & (g0 > 0) & (gt > 0) & (tot0 > 0) & (tott > 0)

    def full(v: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.where(kaya_ok, v, 1.0)[:, None, None], c0.shape)

    with np.errstate(divide="ignore", invalid="ignore"):
        x0 = np.stack([full(p0), full(g0 / p0), full(tot0 / g0), np.broadcast_to(
            np.where(kaya_ok, 1.0, tot0)[:, None, None], c0.shape), s0, f0])
        xt = np.stack([full(pt), full(gt / pt), full(tott / gt), np.broadcast_to(
            np.where(kaya_ok, 1.0, tott)[:, None, None], c0.shape), st, ft])
    eff = additive(x0, xt).sum(axis=(2, 3))
    names = ("population", "affluence", "intensity", "scale", "structure", "fuel_mix")
    out = {k: eff[i] for i, k in enumerate(names)}
    for k in ("population", "affluence", "intensity"):
        out[k] = np.where(kaya_ok, out[k], np.nan)
    out["scale"] = np.where(kaya_ok, np.nan, out["scale"])
    return out
