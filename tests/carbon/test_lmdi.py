"""Additive LMDI-I: a published worked example, zero values, and perfect decomposition on real data."""

from __future__ import annotations

import numpy as np
import pytest

from zhicheng.carbon import lmdi

# Worked example of the matrix form of additive LMDI-I: Heun, M.K. & Brockway, P.E. (2019),
# Applied Energy 241:99–112, Supplementary Information §S3 "Simple example" (also the vignette of
# the R package LMDIR 0.1.14, whose tests print the values to 10 significant digits). Two
# subcategories × three factors, 1971 → 1972: V goes from 80 to 180.
X_1971 = np.array([[1.0, 4.0], [10.0, 5.0], [2.0, 3.0]])  # factors × subcategories
X_1972 = np.array([[4.0, 5.0], [5.0, 6.0], [3.0, 4.0]])
#: Printed effects of the three factors (ΔV, same source).
PRINTED_EFFECTS = [69.79006598, -9.455125793, 39.66505981]
#: Printed Z matrix (effect of each factor on each subcategory), same source.
PRINTED_Z = [[50.47438029, 19.31568569], [-25.23719014, 15.78206435], [14.76280986, 24.90224996]]
#: Printed to 10 significant digits: half a unit of the last printed decimal.
PRINTED_ATOL = 5e-9


def test_reproduces_the_printed_worked_example() -> None:
    effects = lmdi.additive(X_1971, X_1972)
    np.testing.assert_allclose(effects, PRINTED_Z, rtol=0, atol=PRINTED_ATOL)
    np.testing.assert_allclose(effects.sum(axis=1), PRINTED_EFFECTS, rtol=0, atol=PRINTED_ATOL)
    assert effects.sum() == pytest.approx(180 - 80, abs=1e-9)


def test_zero_values_follow_the_analytical_limits() -> None:
    # Same source, the degenerate cases (Ang, Zhang & Choi 1998 Table 2): a factor zero in 1971
    # gives its subcategory's whole 1972 value (60) to that factor; zero in 1972 gives −60.
    x0 = X_1971.copy()
    x0[0, 0] = 0.0
    np.testing.assert_allclose(lmdi.additive(x0, X_1972)[:, 0], [60.0, 0.0, 0.0], atol=1e-12)
    xt = X_1972.copy()
    xt[2, 1] = 0.0
    np.testing.assert_allclose(lmdi.additive(X_1971, xt)[:, 1], [0.0, 0.0, -60.0], atol=1e-12)


def test_logmean_reference_values() -> None:
    # L(a, b) = (a − b)/(ln a − ln b): L(2, 1) = 1/ln 2; L(a, a) = a; L(a, 0) = 0 (Ang 2005, fn. 2).
    got = lmdi.logmean(np.array([2.0, 3.0, 5.0, 0.0]), np.array([1.0, 3.0, 0.0, 0.0]))
    np.testing.assert_allclose(got, [1 / np.log(2), 3.0, 0.0, 0.0], rtol=1e-15)


def test_kaya_effects_sum_to_the_change() -> None:
    # Synthetic units (generated here), including a city whose emissions fall.
    rng = np.random.default_rng(19)
    c0, ct = rng.uniform(1, 100, 50), rng.uniform(1, 100, 50)
    p0, pt = rng.uniform(1e5, 1e7, 50), rng.uniform(1e5, 1e7, 50)
    g0, gt = rng.uniform(1e9, 1e12, 50), rng.uniform(1e9, 1e12, 50)
    eff = lmdi.kaya(c0, ct, p0, pt, g0, gt)
    np.testing.assert_allclose(eff["population"] + eff["affluence"] + eff["intensity"], ct - c0, rtol=0, atol=1e-9)
    # Population alone doubling with constant GDP per person and intensity: all of it is population.
    one = lmdi.kaya(np.array([10.0]), np.array([20.0]), np.array([1.0]), np.array([2.0]), np.array([5.0]),
                    np.array([10.0]))
    assert one["population"][0] == pytest.approx(10.0, abs=1e-12)
    assert one["affluence"][0] == pytest.approx(0.0, abs=1e-12)


def test_inventory_effects_sum_to_the_change_for_every_province_and_year_pair(long_table) -> None:
    """Every province, every pair of consecutive years and the whole span: |Σ effects − ΔC| ≤ 1e-9 Mt."""
    scope1 = long_table[long_table["scope"] == "1"]
    cube = scope1.pivot_table(index=["unit_code", "year", "sector"], columns="source", values="value_mt",
                              aggfunc="sum", fill_value=0.0)
    sectors = sorted(set(scope1["sector"]))
    worst = 0.0
    checked = 0
    for unit, per_unit in cube.groupby(level="unit_code"):
        years = sorted(set(per_unit.index.get_level_values("year")))
        mats = {y: per_unit.xs(y, level="year").droplevel("unit_code").reindex(sectors, fill_value=0.0).to_numpy()
                for y in years}
        pairs = [*zip(years[:-1], years[1:], strict=True), (years[0], years[-1])]
        for y0, y1 in pairs:
            eff = lmdi.inventory(mats[y0], mats[y1])
            worst = max(worst, abs(sum(eff.values()) - (mats[y1].sum() - mats[y0].sum())))
            eff = lmdi.inventory(mats[y0], mats[y1], p=(2.0e7, 2.1e7), g=(3.0e12, 3.5e12))
            worst = max(worst, abs(sum(eff.values()) - (mats[y1].sum() - mats[y0].sum())))
            checked += 1
        assert unit
    assert checked == 30 * 23
    assert worst <= 1e-9


def test_a_fuel_that_appears_is_a_fuel_mix_effect_and_a_new_sector_a_structure_effect() -> None:
    c0 = np.array([[10.0, 0.0], [0.0, 0.0]])
    ct = np.array([[10.0, 5.0], [0.0, 0.0]])
    eff = lmdi.inventory(c0, ct)
    assert eff["fuel_mix"] > 0 and sum(eff.values()) == pytest.approx(5.0, abs=1e-12)
    ct2 = np.array([[10.0, 0.0], [3.0, 0.0]])
    eff2 = lmdi.inventory(c0, ct2)
    assert eff2["structure"] > 0 and eff2["fuel_mix"] == pytest.approx(0.0, abs=1e-12)
    assert sum(eff2.values()) == pytest.approx(3.0, abs=1e-12)
