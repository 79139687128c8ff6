"""Raking and post-stratification against hand-computed tables; Kish's design effect."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhicheng.survey.weighting import (
    Dimension,
    WeightingError,
    dimensions_from_margins,
    kish_design_effect,
    poststratify,
    rake,
)

# A 2 × 2 sample of 100 respondents: sex (M, F) × age (young, old) with cell counts
#   M-young 20, M-old 30, F-young 40, F-old 10; population margins: M 0.4, F 0.6; young 0.4, old 0.6.
COUNTS = {(0, 0): 20, (0, 1): 30, (1, 0): 40, (1, 1): 10}


def _sample() -> tuple[np.ndarray, np.ndarray]:
    sex, age = [], []
    for (s, a), k in COUNTS.items():
        sex += [s] * k
        age += [a] * k
    return np.array(sex, dtype=np.int64), np.array(age, dtype=np.int64)


def _dims() -> list[Dimension]:
    sex, age = _sample()
    return [Dimension("sex", sex, np.array([0.4, 0.6]), ("M", "F")),
            Dimension("age", age, np.array([0.4, 0.6]), ("young", "old"))]


def _cell_weight(w: np.ndarray, s: int, a: int) -> np.ndarray:
    sex, age = _sample()
    return np.unique(np.round(w[(sex == s) & (age == a)], 12))


def test_first_raking_pass_matches_hand_computation() -> None:
    # By hand: sex step M × 40/50 = 0.8, F × 60/50 = 1.2 → cells 16, 24, 48, 12;
    # age step young × 40/64 = 0.625, old × 60/36 = 5/3 → cells 10, 40, 30, 20 (total 100),
    # so per-respondent weights are 10/20, 40/30, 30/40, 20/10.
    result = rake(_dims(), max_iter=1)
    expected = {(0, 0): 0.5, (0, 1): 4 / 3, (1, 0): 0.75, (1, 1): 2.0}
    for cell, w in expected.items():
        np.testing.assert_allclose(_cell_weight(result.weights, *cell), [w], atol=1e-12)
    assert result.iterations == 1 and not result.converged


def test_converged_raking_matches_closed_form_solution() -> None:
    # Raking keeps the sample's cross-product ratio (Deming & Stephan 1940; Bishop, Fienberg & Holland
    # 1975 §3.5): (20·10)/(30·40) = 1/6. With margins M 40, young 40 (per 100) the fitted table is
    # a, 40−a, 40−a, 20+a with a(20+a)/(40−a)² = 1/6 → a² + 40a − 320 = 0 → a = −20 + √720.
    a = -20 + math.sqrt(720)
    fitted = {(0, 0): a, (0, 1): 40 - a, (1, 0): 40 - a, (1, 1): 20 + a}
    result = rake(_dims(), tol=1e-12, max_iter=1000)
    assert result.converged
    for cell, total in fitted.items():
        np.testing.assert_allclose(_cell_weight(result.weights, *cell), [total / COUNTS[cell]], rtol=1e-9)
    assert result.max_margin_error < 1e-12
    assert result.weights.mean() == pytest.approx(1.0)


def test_respondents_without_a_category_keep_their_weight_on_that_dimension() -> None:
    sex = np.array([0, 0, 1, -1], dtype=np.int64)
    result = rake([Dimension("sex", sex, np.array([0.5, 0.5]))])
    # Known: two men and one woman → raw weights 0.75, 0.75, 1.5; the unknown keeps 1; mean-1 scaling.
    raw = np.array([0.75, 0.75, 1.5, 1.0])
    np.testing.assert_allclose(result.weights, raw / raw.mean(), atol=1e-12)


def test_poststratification_is_population_over_sample_share() -> None:
    cells = np.array([0, 0, 0, 1, 2, 2], dtype=np.int64)
    w = poststratify(cells, np.array([0.25, 0.25, 0.5]))
    # sample shares 1/2, 1/6, 1/3 → factors 0.5, 1.5, 1.5 (mean over respondents is already 1)
    np.testing.assert_allclose(w, [0.5, 0.5, 0.5, 1.5, 1.5, 1.5], atol=1e-12)


def test_bad_margins_are_refused_with_every_problem() -> None:
    sex = np.array([0, 1, 1], dtype=np.int64)
    age = np.array([0, 0, 0], dtype=np.int64)
    with pytest.raises(WeightingError) as err:
        rake([Dimension("sex", sex, np.array([0.5, 0.6]), ("m", "f")),
              Dimension("age", age, np.array([0.5, 0.5]), ("young", "old"))])
    text = "\n".join(err.value.lines())
    assert "'sex': shares sum to 1.1000" in text
    assert "'age': category 'old' has population share 0.5000 but no respondent" in text


def test_kish_design_effect_is_one_plus_cv_squared() -> None:
    # Kish (1965) §11.7: n Σw² / (Σw)²; weights 1, 1, 2, 2 → 4 · 10 / 36.
    assert kish_design_effect(np.array([1.0, 1.0, 2.0, 2.0])) == pytest.approx(10 / 9)
    assert kish_design_effect(np.ones(7)) == pytest.approx(1.0)


def test_dimensions_from_margins_encode_categories_and_skip_unanswered() -> None:
    dims = dimensions_from_margins(
        {"sex": np.array(["male", "female", None, "x"], dtype=object), "age_band": np.array([None] * 4, dtype=object)},
        {"sex": {"female": 0.5, "male": 0.5}, "age_band": {"18-24": 1.0}},
    )
    assert [d.name for d in dims] == ["sex"]
    assert dims[0].codes.tolist() == [1, 0, -1, -1]
