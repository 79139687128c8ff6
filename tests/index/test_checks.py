"""Statistics and checks: correlations (Pearson, Spearman, within groups), Cronbach's alpha, signif."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from zhicheng.index import Coin, Pipeline
from zhicheng.index.checks import (
    correlation_matrix,
    correlation_within_groups,
    cronbach_alpha,
    get_corr,
    signif,
)

D = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan], "b": [2.0, 1.0, 4.0, 3.0, 6.0, 1.0],
                  "c": [9.0, 7.0, 6.0, 2.0, 1.0, 0.0]})


def test_pearson_and_spearman_pairwise_complete() -> None:
    cm = correlation_matrix(D)
    ok = D[["a", "b"]].dropna()
    assert cm.loc["a", "b"] == pytest.approx(stats.pearsonr(ok["a"], ok["b"]).statistic, rel=1e-12)
    sp = correlation_matrix(D, method="spearman")
    assert sp.loc["b", "c"] == pytest.approx(stats.spearmanr(D["b"], D["c"]).statistic, rel=1e-12)


def test_get_corr_blanks_insignificant() -> None:
    long = get_corr(D[["a"]], D[["b", "c"]], pval=0.05)
    assert list(long["Var2"]) == ["b", "c"]
    p_b = stats.pearsonr(D["a"][:5], D["b"][:5]).pvalue
    assert (np.isnan(long["Correlation"].iloc[0])) == (p_b > 0.05)


def test_cronbach_alpha_formula() -> None:
    x = D.dropna()
    k = 3
    expected = k / (k - 1) * (1 - x.var(ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(D) == pytest.approx(expected, rel=1e-12)


def test_within_group_correlations(asem: Coin) -> None:
    res = Pipeline(asem, [{"normalise": {"method": "minmax"}}, {"aggregate": {}}]).run()
    tab = correlation_within_groups(res.scores(1), asem.children)
    assert set(tab["Group"]) == {"Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social", "SusEcFin"}
    row = tab[(tab.Ind1 == "Goods") & (tab.Ind2 == "Services")]
    assert row["Corr"].item() == pytest.approx(correlation_matrix(res.scores(1)[["Goods", "Services"]]).iloc[0, 1])
    flags = correlation_within_groups(res.scores(1), asem.children, cor_thresh=0.9)
    assert (flags["Corr"] > 0.9).all() and len(flags) == int((tab["Corr"] > 0.9).sum())


def test_signif_like_r() -> None:
    # R: signif(9.205, 3) == 9.2 (9.205*100 is 920.4999...), signif(0.0123456, 3) == 0.0123
    assert signif(9.205, 3) == 9.2 and signif(0.0123456, 3) == 0.0123 and signif(-1234.5, 2) == -1200


def test_weights_step_in_pipeline(asem: Coin) -> None:
    base = Pipeline(asem, [{"normalise": {"method": "minmax"}}, {"aggregate": {}}]).run()
    eq = Pipeline(asem, [{"normalise": {"method": "minmax"}}, {"weights": {"method": "equal"}},
                         {"aggregate": {}}]).run()
    np.testing.assert_allclose(eq.index, base.index, rtol=1e-12)  # ASEM weights are all 1 already
    ent = Pipeline(asem, [{"impute": {"method": "mean"}}, {"normalise": {"method": "minmax"}},
                          {"weights": {"method": "entropy"}}, {"aggregate": {}}]).run()
    phys = asem.children["Physical"]
    assert sum(ent.weights[c] for c in phys) == pytest.approx(1.0)
    assert not np.allclose(ent.index, base.index)
