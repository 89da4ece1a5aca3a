"""Sobol' indices and Morris screening against known answers."""

import numpy as np
import pytest
from scipy import stats

from jdmodel.errors import ModelError, ParameterError
from jdmodel.uncertainty.sensitivity import (
    morris_design,
    saltelli_design,
    sensitivity_callable,
    sobol_from_matrices,
    sobol_from_outputs,
)

PI_BOX = {name: (-np.pi, np.pi) for name in ("x1", "x2", "x3")}
# Ishigami & Homma (1990), a = 7, b = 0.1 (e.g. Saltelli et al. 2008, Global Sensitivity Analysis, §4.7)
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


@pytest.fixture(scope="module")
def ishigami_si():
    return sensitivity_callable(ishigami, PI_BOX, method="sobol", n=2**13, seed=1, conf=0.99)


def test_ishigami_indices_within_confidence_intervals(ishigami_si):
    si = ishigami_si
    assert list(si.parameter.values) == ["x1", "x2", "x3"]
    assert np.all(si.S1_conf_low.values <= ISHIGAMI_S1) and np.all(ISHIGAMI_S1 <= si.S1_conf_high.values)
    assert np.all(si.ST_conf_low.values <= ISHIGAMI_ST) and np.all(ISHIGAMI_ST <= si.ST_conf_high.values)
    np.testing.assert_allclose(si.S1, ISHIGAMI_S1, atol=0.02)
    np.testing.assert_allclose(si.ST, ISHIGAMI_ST, atol=0.02)
    assert np.all(si.ST_conf_high - si.ST_conf_low < 0.1)  # intervals that say something
    assert si.attrs["n_evaluations"] == 2**13 * 5


def test_estimators_match_scipy_sobol_indices():
    n = 512
    x = saltelli_design(3, n, seed=3) * 2 * np.pi - np.pi
    y = ishigami(x)
    ref = stats.sobol_indices(func={"f_A": y[:n][None], "f_B": y[n:2 * n][None],
                                    "f_AB": y[2 * n:].reshape(3, 1, n)}, n=n)
    mine = sobol_from_outputs(y, ["x1", "x2", "x3"], n, n_boot=0)
    np.testing.assert_allclose(mine.S1, ref.first_order, rtol=1e-10)
    np.testing.assert_allclose(mine.ST, ref.total_order, rtol=1e-10)


def test_additive_model_has_equal_first_and_total_indices():
    # f = 1 x1 + 2 x2 + 3 x3 on [0, 1]^3: S_i = c_i^2 / sum c^2
    si = sensitivity_callable(lambda x: x @ [1.0, 2.0, 3.0], {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=2**12,
                              seed=2, n_boot=200)
    expected = np.array([1, 4, 9]) / 14
    np.testing.assert_allclose(si.S1, expected, atol=0.01)
    np.testing.assert_allclose(si.ST, expected, atol=0.01)


def test_multi_output_and_distributions():
    def f(x):
        return np.column_stack([x[:, 0], x[:, 0] + x[:, 1]])

    dists = {"b": {"value": 0.0, "sd": 1.0, "dist": "normal"}}
    si = sensitivity_callable(f, {"a": (0.0, np.sqrt(12.0)), "b": (-1.0, 1.0)}, n=2**12, seed=0, dists=dists,
                              output_names=["only_a", "sum"], n_boot=100, chunk=1000)
    assert si.S1.dims == ("output", "parameter")
    np.testing.assert_allclose(si.S1.sel(output="only_a"), [1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(si.S1.sel(output="sum"), [0.5, 0.5], atol=0.03)  # var(a) = var(b) = 1


def test_constant_output_gives_zero_indices():
    si = sensitivity_callable(lambda x: np.ones(len(x)), {"a": (0, 1), "b": (0, 1)}, n=64, n_boot=10)
    np.testing.assert_array_equal(si.S1, [0.0, 0.0])


def test_saltelli_design_structure_and_slices():
    k, n = 3, 16
    d = saltelli_design(k, n, seed=5)
    a, b = d[:n], d[n:2 * n]
    for i in range(k):
        ab = d[(2 + i) * n:(3 + i) * n]
        np.testing.assert_array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
        np.testing.assert_array_equal(ab[:, i], b[:, i])
    np.testing.assert_array_equal(np.vstack([saltelli_design(k, n, 5, 0, 37), saltelli_design(k, n, 5, 37)]), d)


def test_sobol_errors():
    with pytest.raises(ParameterError, match="power of 2"):
        sensitivity_callable(ishigami, PI_BOX, n=1000)
    with pytest.raises(ParameterError, match="unknown method"):
        sensitivity_callable(ishigami, PI_BOX, method="fast", n=64)
    with pytest.raises(ModelError, match="not finite"), np.errstate(invalid="ignore"):
        sensitivity_callable(lambda x: np.log(x[:, 0]), {"a": (-1, 1)}, n=64)
    with pytest.raises(ParameterError, match="do not agree"):
        sobol_from_matrices(np.ones(4), np.ones(4), np.ones((2, 4)), ["a"])


def test_morris_linear_model_known_answer():
    # elementary effects per whole range: f = 2 a - 3 b on a in [0, 5], b in [1, 3] -> mu* = (10, 6), sigma = 0
    si = sensitivity_callable(lambda x: 2 * x[:, 0] - 3 * x[:, 1] + 0 * x[:, 2], {"a": (0, 5), "b": (1, 3),
                              "c": (0, 1)}, method="morris", n=20, seed=4)
    np.testing.assert_allclose(si.mu_star, [10.0, 6.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(si.mu, [10.0, -6.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(si.sigma, [0.0, 0.0, 0.0], atol=1e-9)
    assert si.attrs["n_evaluations"] == 20 * 4


def test_morris_ranks_ishigami_inputs():
    si = sensitivity_callable(ishigami, PI_BOX, method="morris", n=200, seed=1)
    assert si.mu_star.sel(parameter="x1") > si.mu_star.sel(parameter="x3")
    assert si.sigma.sel(parameter="x3") > 0  # x3 acts only through its interaction with x1
    assert abs(float(si.mu.sel(parameter="x3"))) < 3 * float(si.mu_star_conf.sel(parameter="x3"))


def test_morris_design_moves_one_parameter_per_step():
    k, r, levels = 5, 30, 4
    x = morris_design(k, r, seed=0, levels=levels).reshape(r, k + 1, k)
    steps = np.diff(x, axis=1)
    assert np.all(np.count_nonzero(steps, axis=2) == 1)
    np.testing.assert_allclose(np.abs(steps).sum(axis=2), levels / (2 * (levels - 1)))
    assert np.all(np.count_nonzero(steps, axis=1) == 1)  # each parameter moves once per trajectory
    grid = np.arange(levels) / (levels - 1)
    assert np.all(np.isclose(x[..., None], grid).any(axis=-1))
    with pytest.raises(ParameterError, match="even"):
        morris_design(3, 2, 0, levels=3)
