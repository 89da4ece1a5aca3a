"""Rank correlation: achieved Spearman correlations, chunk invariance, useful PSD diagnostics."""

import numpy as np
import pytest
from scipy import stats

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.correlation import (
    check_correlation,
    correlate,
    correlation_matrix,
    iman_conover,
    validate_correlation,
)
from jdmodel.uncertainty.designs import unit_sample

TARGET = np.array([[1.0, 0.6, -0.3, 0.0],
                   [0.6, 1.0, 0.0, 0.0],
                   [-0.3, 0.0, 1.0, 0.0],
                   [0.0, 0.0, 0.0, 1.0]])


@pytest.mark.parametrize("design", ["mc", "lhs", "sobol"])
def test_copula_reaches_target_rank_correlation(design):
    u = correlate(unit_sample(design, 2**15, 4, seed=4), TARGET)
    achieved = stats.spearmanr(u).statistic
    np.testing.assert_allclose(achieved, TARGET, atol=0.02)


def test_copula_keeps_uniform_marginals_and_untouched_columns():
    u0 = unit_sample("lhs", 20_000, 4, seed=1)
    u = correlate(u0, TARGET)
    for j in range(4):
        assert stats.kstest(u[:, j], "uniform").pvalue > 1e-3
    np.testing.assert_array_equal(u[:, 3], u0[:, 3])  # no correlation: stratification kept
    np.testing.assert_array_equal(u[:, 0], u0[:, 0])  # first column of a Cholesky factor is unchanged


def test_copula_is_chunk_invariant():
    u = unit_sample("mc", 1000, 4, seed=2)
    whole = correlate(u, TARGET, seed=2, start=0)
    parts = [correlate(u[a:b], TARGET, seed=2, start=a) for a, b in ((0, 1), (1, 400), (400, 1000))]
    np.testing.assert_array_equal(np.vstack(parts), whole)


def test_copula_with_perfect_correlation():
    u = correlate(unit_sample("mc", 1000, 2, seed=0), [[1, 1], [1, 1]])
    assert stats.spearmanr(u).statistic == pytest.approx(1.0)


def test_iman_conover_reaches_target_and_keeps_marginals():
    x = np.column_stack([unit_sample("lhs", 5000, 4, seed=5)[:, j] * (j + 1) for j in range(4)])
    y = iman_conover(x, TARGET, seed=5)
    np.testing.assert_allclose(stats.spearmanr(y).statistic, TARGET, atol=0.03)
    for j in range(4):
        np.testing.assert_array_equal(np.sort(y[:, j]), np.sort(x[:, j]))


def test_correlation_matrix_from_toml_pairs():
    spec = [{"params": ["a", "c"], "rho": -0.3, "source": "assumption: x"}, {"params": ["b", "a"], "rho": 0.6}]
    c = correlation_matrix(["a", "b", "c"], spec)
    np.testing.assert_array_equal(c, [[1, 0.6, -0.3], [0.6, 1, 0], [-0.3, 0, 1]])
    assert validate_correlation(c) == []


@pytest.mark.parametrize("spec, fragment", [
    ([{"params": ["a", "z"], "rho": 0.1}], "'z' is not an uncertain parameter"),
    ([{"params": ["a", "b"], "rho": 1.5}], "must be a number in [-1, 1], got 1.5"),
    ([{"params": ["a"], "rho": 0.5}], "params must name two parameters"),
    ([{"params": ["a", "a"], "rho": 0.5}], "cannot be correlated with itself"),
    ([{"params": ["a", "b"], "rho": 0.5}, {"params": ["b", "a"], "rho": 0.2}], "given twice"),
])
def test_correlation_spec_errors(spec, fragment):
    with pytest.raises(ParameterError) as err:
        correlation_matrix(["a", "b", "c"], spec, where="baseline.toml: correlations")
    assert fragment in str(err.value) and "baseline.toml: correlations[" in str(err.value)


def test_validation_messages():
    names = ["a", "b"]
    assert "not symmetric" in validate_correlation([[1, 0.2], [0.3, 1]], names)[0]
    assert "diagonal entry for b must be 1" in validate_correlation([[1, 0.2], [0.2, 0.9]], names)[0]
    assert "(a, b) = 1.2 is outside [-1, 1]" in validate_correlation([[1, 1.2], [1.2, 1]], names)[0]
    assert "square" in validate_correlation([[1, 0.2]], names)[0]


def test_not_psd_names_the_pair_and_its_feasible_range():
    # a~b and a~c strongly positive forces b~c >= 2 * 0.9^2 - 1 = 0.62 (the 3x3 PSD condition)
    c = [[1, 0.9, 0.9], [0.9, 1, 0.3], [0.9, 0.3, 1]]
    problems = validate_correlation(c, ["tfp_a", "tfp_b", "tfp_c"], where="f.toml: correlations")
    assert "not positive semi-definite" in problems[0]
    assert any("(tfp_b, tfp_c) = 0.3 breaks it" in p and "[0.620, 1.000]" in p for p in problems)
    bound = 0.3 * 0.9 + np.sqrt((1 - 0.81) * (1 - 0.09))  # largest rho_ab given rho_ac = 0.9, rho_bc = 0.3
    assert any("(tfp_a, tfp_b) = 0.9 breaks it" in p and f"{bound:.3f}]" in p for p in problems)
    with pytest.raises(ParameterError, match="tfp_b, tfp_c"):
        check_correlation(c, ["tfp_a", "tfp_b", "tfp_c"])


def test_not_psd_without_a_single_pair_fix():
    c = np.full((4, 4), -0.6)
    np.fill_diagonal(c, 1)
    problems = validate_correlation(c)
    assert "no single pair fixes it" in problems[0] and "(p" in problems[0]
