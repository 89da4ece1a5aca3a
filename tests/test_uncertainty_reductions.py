"""Sweep reductions: fixed-block exact sums and histograms, the same bits for any split or order."""

from __future__ import annotations

import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jdmodel import _jit
from jdmodel.uncertainty.blocksums import BlockSums, block_sums
from jdmodel.uncertainty.reductions import histogram_add


def _split_and_merge(x, cuts, order):
    n = x.shape[0]
    bounds = list(zip([0, *cuts], [*cuts, n], strict=True))
    parts = []
    for a, b in bounds:
        part = BlockSums(x.shape[1], n, block=64)
        part.add(x[a:b], a)
        parts.append(part)
    total = BlockSums(x.shape[1], n, block=64)
    for i in order(len(parts)):
        total.merge(parts[i])
    assert total.complete()
    return total.exact.moments(n)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 700), cuts=st.lists(st.integers(1, 699), max_size=6), seed=st.integers(0, 2**16),
       reverse=st.booleans())
def test_block_sums_do_not_depend_on_the_split_or_the_merge_order(n, cuts, seed, reverse):
    x = np.random.default_rng(seed).lognormal(3, 2, (n, 3))
    cuts = sorted({c for c in cuts if c < n})
    whole = _split_and_merge(x, [], lambda k: range(k))
    parts = _split_and_merge(x, cuts, (lambda k: range(k - 1, -1, -1)) if reverse else (lambda k: range(k)))
    assert np.array_equal(whole[0], parts[0]) and np.array_equal(whole[1], parts[1])


def test_moments_are_close_to_the_exact_ones():
    rng = np.random.default_rng(4)
    x = np.column_stack([rng.normal(4000, 300, 5000), np.full(5000, 7.25), rng.integers(0, 50, 5000)])
    mean, m2 = _split_and_merge(x, [333, 1999, 4096], lambda k: range(k))
    for j in range(3):
        exact_mean = Fraction(math.fsum(x[:, j])) / len(x)
        exact_m2 = sum((Fraction(v) - exact_mean) ** 2 for v in x[:, j])
        assert abs(mean[j] - float(exact_mean)) <= 1e-15 * abs(float(exact_mean))
        assert abs(m2[j] - float(exact_m2)) <= 1e-12 * float(exact_m2) + 1e-300
    assert m2[1] == 0.0 and mean[1] == 7.25            # a constant: no rounding residue


def test_block_sums_compiled_and_numpy_agree_and_nan_is_reported(monkeypatch):
    x = np.random.default_rng(1).random((1000, 4))
    x[17, 2] = np.nan
    s, q = block_sums(x)
    monkeypatch.setattr(_jit, "ENABLED", False)
    s2, q2 = block_sums(x)
    assert np.array_equal(s, s2, equal_nan=True) and np.array_equal(q, q2, equal_nan=True)
    mean, _ = _split_and_merge(x, [500], lambda k: range(k))
    assert np.isnan(mean[2]) and np.all(np.isfinite(mean[[0, 1, 3]]))


def test_histograms_compiled_and_numpy_agree_on_edges_and_outside(monkeypatch):
    edges = np.geomspace(1e-3, 1e7, 1025)
    v = np.concatenate([edges, edges * (1 + 1e-16), np.nextafter(edges, 0), [0.0, -5.0, 1e9, np.nan, np.inf]])
    v = np.resize(v, (len(v) // 2, 2))
    counts = np.vstack([np.arange(40.0), np.arange(40.0) - 3]).T
    h1, c1 = np.zeros((2, 1024), np.int64), np.zeros((2, 32), np.int64)
    histogram_add(h1, v, edges)
    histogram_add(c1, counts, None)
    monkeypatch.setattr(_jit, "ENABLED", False)
    h2, c2 = np.zeros((2, 1024), np.int64), np.zeros((2, 32), np.int64)
    histogram_add(h2, v, edges)
    histogram_add(c2, counts, None)
    assert np.array_equal(h1, h2) and np.array_equal(c1, c2)
    assert h1.sum() == v.size and c1[:, 31].tolist() == [9, 6]
    # a value exactly on an edge belongs to the bin it opens
    one = np.zeros((1, 1024), np.int64)
    histogram_add(one, edges[[500]][None, :], edges)
    assert one[0, 500] == 1


@pytest.mark.parametrize("compiled", [True, False])
def test_reductions_travel_sparse_and_come_back_whole(monkeypatch, compiled):
    import jdmodel as jd
    from jdmodel.uncertainty.sweep import _chunk

    YEARS = jd.load_plan("jiading").years.all

    if not compiled:
        monkeypatch.setattr(_jit, "ENABLED", False)
    sc = jd.load_scenario("baseline")
    red, _ = _chunk(sc, 300, 1, "lhs", 0, 300, False, False, YEARS)
    back = pickle.loads(pickle.dumps(red))
    a, b = red.result(), back.result()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert len(pickle.dumps(red)) < 2_000_000       # dense histograms would be about 16 MB
