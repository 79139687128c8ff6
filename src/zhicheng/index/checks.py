"""Indicator statistics and checks: skew, kurtosis, availability, flags, correlations, Cronbach's alpha.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 3 (imputation: data
availability), Step 4 (multivariate analysis: correlation, Cronbach's alpha, section 4.1.3) and
Step 5 (normalisation: skewness and kurtosis as outlier signals, section 5.1).
COINr ``skew()``, ``kurt()``, ``check_SkewKurt()``, ``get_stats()``, ``get_corr()``,
``get_cronbach()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from zhicheng.index.errors import IndexInputError


def skew(x: np.ndarray) -> float:
    """Sample skewness as COINr's ``skew()`` (``e1071::skewness`` type 2, Excel's ``SKEW``).

    ``NaN`` values are removed; fewer than 3 values, or values that are all equal (0/0, as in
    COINr), give ``NaN``.

    Parameters
    ----------
    x
        Values [any unit].

    Returns
    -------
    float
        Skewness [dimensionless]: ``sqrt(n) * sum(d^3) / sum(d^2)^(3/2) * sqrt(n (n-1)) / (n-2)``.

    References
    ----------
    COINr ``skew()`` (R/treat.R); Joanes & Gill (1998), statistic G1.
    """
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 3:
        return float("nan")
    d = v - v.mean()
    spread = np.sum(d**2)
    if spread == 0:
        return float("nan")
    y = np.sqrt(n) * np.sum(d**3) / (spread**1.5)
    return float(y * np.sqrt(n * (n - 1)) / (n - 2))


def kurt(x: np.ndarray) -> float:
    """Sample excess kurtosis as COINr's ``kurt()`` (``e1071::kurtosis`` type 2, Excel's ``KURT``).

    Parameters
    ----------
    x
        Values [any unit]; ``NaN`` removed, fewer than 4 values or values all equal (0/0, as
        in COINr) give ``NaN``.

    Returns
    -------
    float
        Kurtosis [dimensionless]: ``((n+1)(r-3)+6)(n-1)/((n-2)(n-3))`` with ``r = n sum(d^4)/sum(d^2)^2``.

    References
    ----------
    COINr ``kurt()`` (R/treat.R); Joanes & Gill (1998), statistic G2.
    """
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 4:
        return float("nan")
    d = v - v.mean()
    spread = np.sum(d**2)
    if spread == 0:
        return float("nan")
    r = n * np.sum(d**4) / (spread**2)
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def skew_kurt_pass(sk: float, kt: float, skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> bool | None:
    """COINr's ``check_SkewKurt`` test: ``|skew| < skew_thresh OR kurtosis < kurt_thresh``.

    Returns ``None`` where R's three-valued logic gives ``NA`` (a statistic is missing and the
    other does not already pass).

    References
    ----------
    COINr ``check_SkewKurt()``; OECD/JRC Handbook (2008), section 5.1 (outlier detection).
    """
    a = None if np.isnan(sk) else bool(abs(sk) < skew_thresh)
    b = None if np.isnan(kt) else bool(kt < kurt_thresh)
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def signif(x: float, digits: int) -> float:
    """Round to ``digits`` significant figures exactly as R's ``signif()`` (C ``fprec``).

    R scales by a power of ten and rounds with ``nearbyint`` (half to even) on the scaled double,
    so ``signif(9.205, 3)`` is 9.2 (the product 920.4999... rounds down).

    References
    ----------
    R ``signif()`` (src/nmath/fprec.c), used by COINr ``get_stats(nsignif = 3)``.
    """
    if not np.isfinite(x) or x == 0:
        return x
    sgn = -1.0 if x < 0 else 1.0
    ax = abs(x)
    e10 = int(digits - 1 - np.floor(np.log10(ax)))
    if e10 > 0:
        p10 = 10.0**e10
        return float(sgn * np.rint(ax * p10) / p10)
    p10 = 10.0 ** (-e10)
    return float(sgn * np.rint(ax / p10) * p10)


def _stats_row(v: np.ndarray, n: int) -> dict[str, float]:
    ok = v[~np.isnan(v)]
    n_avail = ok.size
    sk, kt = skew(ok), kurt(ok)
    nzero = int(np.sum(ok != 0))
    uniq, counts = np.unique(ok, return_counts=True)
    nunq = uniq.size
    nsame = int(counts.max()) if counts.size else 0
    has = n_avail > 0
    return {
        "Min": float(ok.min()) if has else np.inf,
        "Max": float(ok.max()) if has else -np.inf,
        "Mean": float(ok.mean()) if has else np.nan,
        "Median": float(np.median(ok)) if has else np.nan,
        "Std": float(ok.std(ddof=1)) if n_avail > 1 else np.nan,
        "Skew": sk, "Kurt": kt,
        "N.Avail": n_avail, "N.NonZero": nzero, "N.Unique": nunq, "N.Same": nsame,
        "Frc.Avail": n_avail / n,
        "Frc.NonZero": nzero / n_avail if has else np.nan,
        "Frc.Unique": nunq / n_avail if has else np.nan,
        "Frc.Same": nsame / n_avail if has else np.nan,
    }


def get_stats(data: pd.DataFrame, *, t_skew: float = 2.0, t_kurt: float = 3.5, t_avail: float = 0.65,
              t_zero: float = 0.5, t_unq: float = 0.5, nsignif: int | None = 3) -> pd.DataFrame:
    """Statistics and flags of each indicator column, as COINr's ``get_stats()``.

    Parameters
    ----------
    data
        Indicator values (units x indicators) [indicator units].
    t_skew, t_kurt
        Thresholds: a column is flagged ``"OUT"`` when ``|skew| > t_skew`` and ``kurt > t_kurt``.
    t_avail
        Availability threshold [fraction]: ``"LOW"`` when the share of non-missing values is below it.
    t_zero
        Non-zero threshold [fraction of all units]: ``"LOW"`` when the share of non-zeros is below it.
    t_unq
        Unique-value threshold [fraction of all units].
    nsignif
        Significant figures of the numbers in the table (``None`` keeps full precision).

    Returns
    -------
    pandas.DataFrame
        Columns ``iCode, Min, Max, Mean, Median, Std, Skew, Kurt, N.Avail, N.NonZero, N.Unique,
        N.Same, Frc.Avail, Frc.NonZero, Frc.Unique, Frc.Same, Flag.Avail, Flag.NonZero,
        Flag.Unique, Flag.SkewKurt``.

    References
    ----------
    COINr ``get_stats.data.frame()`` (R/stats.R); OECD/JRC Handbook (2008), Steps 3 and 5.
    """
    n = len(data)
    rows = []
    for code in data.columns:
        r = _stats_row(data[code].to_numpy(dtype=float), n)
        flags = {
            "Flag.Avail": "ok" if r["Frc.Avail"] >= t_avail else "LOW",
            "Flag.NonZero": "ok" if r["N.NonZero"] / n >= t_zero else "LOW",
            "Flag.Unique": "ok" if r["N.Unique"] / n >= t_unq else "LOW",
            # R's ifelse() gives NA when skew or kurtosis is NA (fewer than 3 or 4 values)
            "Flag.SkewKurt": (None if np.isnan(r["Skew"]) or np.isnan(r["Kurt"])
                              else "OUT" if (abs(r["Skew"]) > t_skew and r["Kurt"] > t_kurt) else "ok"),
        }
        if nsignif is not None:
            r = {k: signif(float(v), nsignif) for k, v in r.items()}
        rows.append({"iCode": str(code), **r, **flags})
    return pd.DataFrame(rows)


def _pvalues(a: np.ndarray, b: np.ndarray, method: str) -> np.ndarray:
    p = np.full((a.shape[1], b.shape[1]), np.nan)
    for i in range(a.shape[1]):
        for j in range(b.shape[1]):
            ok = ~np.isnan(a[:, i]) & ~np.isnan(b[:, j])
            if ok.sum() < 3:
                continue
            if method == "spearman":
                p[i, j] = sps.spearmanr(a[ok, i], b[ok, j]).pvalue
            else:
                p[i, j] = sps.pearsonr(a[ok, i], b[ok, j]).pvalue
    return p


def correlation_matrix(a: pd.DataFrame, b: pd.DataFrame | None = None, method: str = "pearson") -> pd.DataFrame:
    """Pairwise-complete correlation matrix of the columns of ``a`` against ``b``.

    Same as R's ``cor(a, b, use = "pairwise.complete.obs", method)``.

    References
    ----------
    OECD/JRC Handbook (2008), section 4.1 (correlation analysis); COINr ``get_corr()``.
    """
    if method not in ("pearson", "spearman"):
        raise IndexInputError(f"correlation method must be 'pearson' or 'spearman', not {method!r}")
    b = a if b is None else b
    av, bv = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    out = np.full((av.shape[1], bv.shape[1]), np.nan)
    for i in range(av.shape[1]):
        for j in range(bv.shape[1]):
            ok = ~np.isnan(av[:, i]) & ~np.isnan(bv[:, j])
            x, y = av[ok, i], bv[ok, j]
            if x.size < 2:
                continue
            if method == "spearman":
                x, y = sps.rankdata(x), sps.rankdata(y)
            sx, sy = x - x.mean(), y - y.mean()
            den = np.sqrt(np.sum(sx**2) * np.sum(sy**2))
            out[i, j] = np.sum(sx * sy) / den if den > 0 else np.nan
    return pd.DataFrame(out, index=a.columns, columns=b.columns)


def get_corr(data1: pd.DataFrame, data2: pd.DataFrame | None = None, *, method: str = "pearson",
             pval: float = 0.05) -> pd.DataFrame:
    """Correlations in COINr's long layout ``Var1, Var2, Correlation``.

    Correlations whose p-value exceeds ``pval`` are set to ``NaN`` (``pval = 0`` keeps all), as
    COINr's ``get_corr()`` does.  ``data1`` is the higher level when two levels are compared.

    References
    ----------
    COINr ``get_corr()`` (R/correlations.R); OECD/JRC Handbook (2008), section 4.1.
    """
    data2 = data1 if data2 is None else data2
    cm = correlation_matrix(data1, data2, method)
    vals = cm.to_numpy()
    if pval > 0:
        p = _pvalues(data1.to_numpy(dtype=float), data2.to_numpy(dtype=float), method)
        vals = np.where(p > pval, np.nan, vals)
    # R's lengthen(): rows vary fastest within each column of the matrix
    v1 = np.repeat(np.asarray(cm.index, dtype=object)[None, :], cm.shape[1], axis=0).ravel()
    v2 = np.repeat(np.asarray(cm.columns, dtype=object), cm.shape[0])
    return pd.DataFrame({"Var1": v1, "Var2": v2, "Correlation": vals.T.ravel()})


def cronbach_alpha(data: pd.DataFrame) -> float:
    """Cronbach's alpha of a set of indicators (complete cases only).

    Parameters
    ----------
    data
        Indicator values (units x indicators), ideally normalised [dimensionless].

    Returns
    -------
    float
        ``k/(k-1) * (1 - sum(var_i) / var(sum_i x_i))`` [dimensionless].

    References
    ----------
    OECD/JRC Handbook (2008), section 4.1.3 (Cronbach coefficient alpha); COINr ``get_cronbach()``.
    """
    x = data.dropna().to_numpy(dtype=float)
    k = x.shape[1]
    if k < 2 or x.shape[0] < 2:
        return float("nan")
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def correlation_within_groups(data: pd.DataFrame, groups: dict[str, Sequence[str]],
                              method: str = "pearson", cor_thresh: float | None = None,
                              thresh_type: str = "high") -> pd.DataFrame:
    """Pairwise correlations of indicators sharing a parent, long layout ``Group, Ind1, Ind2, Corr``.

    With ``cor_thresh`` only the pairs above it (``thresh_type = "high"``: collinearity, double
    counting) or below it (``"low"``) are kept, as COINr's ``get_corr_flags()``.

    References
    ----------
    COINr ``get_corr_flags()``; OECD/JRC Handbook (2008), section 4.1 (collinearity within dimensions).
    """
    rows = []
    for g, codes in groups.items():
        cols = [c for c in codes if c in data.columns]
        cm = correlation_matrix(data[cols], method=method).to_numpy()
        for i, a in enumerate(cols):
            for j in range(i + 1, len(cols)):
                rows.append({"Group": g, "Ind1": a, "Ind2": cols[j], "Corr": float(cm[i, j])})
    out = pd.DataFrame(rows, columns=["Group", "Ind1", "Ind2", "Corr"])
    if cor_thresh is not None:
        if thresh_type not in ("high", "low"):
            raise IndexInputError("thresh_type must be 'high' or 'low'")
        keep = out["Corr"] > cor_thresh if thresh_type == "high" else out["Corr"] < cor_thresh
        out = out[keep].reset_index(drop=True)
    return out
