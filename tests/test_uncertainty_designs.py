"""Designs on the unit cube: Latin hypercube strata, Sobol' nets, slice invariance."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.designs import feistel_permutation, unit_sample
from jdmodel.uncertainty.rng import U_MAX, U_MIN


def one_per_stratum(u: np.ndarray) -> bool:
    n = u.shape[0]
    strata = np.floor(u * n).astype(int)
    return all(np.array_equal(np.sort(strata[:, j]), np.arange(n)) for j in range(u.shape[1]))


@pytest.mark.parametrize("n_total", [1, 2, 3, 7, 64, 1000, 4097])
def test_lhs_has_one_point_per_stratum(n_total):
    assert one_per_stratum(unit_sample("lhs", n_total, 5, seed=3))


def test_lhs_with_many_dimensions():
    u = unit_sample("lhs", 500, 100, seed=8)
    assert one_per_stratum(u)
    c = np.corrcoef(u, rowvar=False)
    assert np.max(np.abs(c - np.eye(100))) < 0.25  # no structural dependence between dimensions
    assert abs(np.mean(c[np.triu_indices(100, 1)])) < 0.01


@pytest.mark.parametrize("n", [16, 1024])
def test_sobol_points_are_a_net(n):
    # scrambled Sobol' points with n = 2^m put exactly one point in each interval [i/n, (i+1)/n)
    assert one_per_stratum(unit_sample("sobol", n, 6, seed=2))


def test_sobol_warns_when_not_power_of_two():
    with pytest.warns(UserWarning, match="power of 2"):
        unit_sample("sobol", 1000, 3, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unit_sample("sobol", 1024, 3, seed=1, start=100, stop=300)  # slices of a 2^m design: no warning


@pytest.mark.parametrize("design", ["mc", "lhs", "sobol"])
def test_values_strictly_inside_unit_interval(design):
    u = unit_sample(design, 4096, 20, seed=0)
    assert u.shape == (4096, 20)
    assert u.min() >= U_MIN and u.max() <= U_MAX


@settings(max_examples=25, deadline=None)
@given(design=st.sampled_from(["mc", "lhs", "sobol"]), cuts=st.lists(st.integers(0, 512), max_size=5),
       seed=st.integers(0, 2**32))
def test_slices_concatenate_to_the_whole(design, cuts, seed):
    whole = unit_sample(design, 512, 7, seed)
    bounds = [0, *sorted(cuts), 512]
    parts = [unit_sample(design, 512, 7, seed, a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    assert np.array_equal(np.vstack(parts), whole)


def test_design_depends_on_seed_and_mc_not_on_n_total():
    a, b = unit_sample("lhs", 100, 3, seed=1), unit_sample("lhs", 100, 3, seed=2)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(unit_sample("mc", 100, 3, 1)[:50], unit_sample("mc", 50, 3, 1))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5000), key=st.integers(0, 2**64 - 1))
def test_feistel_is_a_permutation(n, key):
    keys = np.array([[key, key ^ 1, key ^ 2, key ^ 3]], dtype=np.uint64)
    p = feistel_permutation(np.arange(n), n, keys)[:, 0]
    assert np.array_equal(np.sort(p), np.arange(n))


def test_feistel_permutations_are_not_trivial():
    keys = np.arange(40, dtype=np.uint64).reshape(10, 4) * np.uint64(0x9E3779B97F4A7C15)
    p = feistel_permutation(np.arange(1000), 1000, keys)
    assert np.mean(p == np.arange(1000)[:, None]) < 0.01  # few fixed points, as for random permutations
    assert len({tuple(col) for col in p.T}) == 10


@pytest.mark.parametrize("args, fragment", [
    (("halton", 10, 2, 0), "unknown design 'halton'"),
    (("mc", 0, 2, 0), "n_total >= 1"),
    (("lhs", 10, 2, 0, 5, 11), "rows [5:11]"),
    (("lhs", 10, 2, 0, 6, 5), "rows [6:5]"),
])
def test_bad_arguments(args, fragment):
    with pytest.raises(ParameterError) as err:
        unit_sample(*args)
    assert fragment in str(err.value)


@pytest.mark.parametrize("chunk", [7, 999, 3001])
def test_lhs_rows_are_the_same_for_chunkings_that_do_not_divide_the_draws(chunk):
    n = 10_007
    whole = unit_sample("lhs", n, 9, seed=4)
    parts = np.vstack([unit_sample("lhs", n, 9, 4, a, min(a + chunk, n)) for a in range(0, n, chunk)])
    assert np.array_equal(parts, whole)
    assert one_per_stratum(whole)


@pytest.mark.parametrize("design, n, start, stop", [
    ("lhs", 1, 0, 1), ("lhs", 7, 2, 5), ("lhs", 4097, 0, 4097), ("lhs", 2**20 + 1, 1000, 30_000),
    ("lhs", 1_000_000, 999_000, 1_000_000), ("mc", 500, 100, 400)])
def test_compiled_and_numpy_designs_give_the_same_bits(monkeypatch, design, n, start, stop):
    from jdmodel import _jit

    compiled = unit_sample(design, n, 11, 6, start, stop)
    monkeypatch.setattr(_jit, "ENABLED", False)
    assert np.array_equal(unit_sample(design, n, 11, 6, start, stop), compiled)


def test_compiled_and_numpy_permutations_agree(monkeypatch):
    from jdmodel import _jit

    keys = np.random.default_rng(3).integers(0, 2**63, size=(6, 4)).astype(np.uint64)
    for n in (1, 2, 3, 1000, 1025, 65_537):
        p = feistel_permutation(np.arange(n), n, keys)
        monkeypatch.setattr(_jit, "ENABLED", False)
        assert np.array_equal(feistel_permutation(np.arange(n), n, keys), p)
        monkeypatch.setattr(_jit, "ENABLED", True)
        assert all(np.array_equal(np.sort(p[:, j]), np.arange(n)) for j in range(6))


def test_lhs_columns_are_independent_permutations():
    # the Feistel domain is the smallest power of 2 >= n: check a size just above one (many walks)
    u = unit_sample("lhs", 2**12 + 1, 40, seed=12)
    assert one_per_stratum(u)
    c = np.corrcoef(u, rowvar=False)
    assert np.max(np.abs(c - np.eye(40))) < 0.1
    ranks = np.floor(u * u.shape[0]).astype(int)
    assert np.mean(ranks[:, 0] == np.arange(u.shape[0])) < 0.01


def test_lhs_beyond_2_to_the_32_draws_is_refused():
    with pytest.raises(ParameterError, match="2\\*\\*32"):
        unit_sample("lhs", 2**32 + 1, 2, seed=0, start=0, stop=10)
