"""Tests of jdmodel.inputoutput: algebra and IOTable (known answers, identities, errors, pymrio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jdmodel.errors import ModelError, ParameterError
from jdmodel.inputoutput import IOTable
from jdmodel.inputoutput import algebra as alg

DATA = Path(__file__).parent / "data" / "io"
MB_Z = np.array([[150.0, 500.0], [200.0, 100.0]])
MB_F = np.array([350.0, 1700.0])


def random_table(seed: int, n: int, households: bool = False) -> IOTable:
    """Synthetic productive table: column sums of A below 0.9, positive final demand."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(0, 1, (n, n)) * rng.uniform(0.05, 0.9, n) / n
    f = rng.uniform(1, 100, n)
    x = np.linalg.solve(np.eye(n) - A, f)
    Z = A * x
    v = x - Z.sum(axis=0)
    if not households:
        return IOTable.from_arrays(Z, f, v=v, x=x, source="synthetic")
    comp = v * rng.uniform(0.1, 0.9, n)
    cons = f * rng.uniform(0, 1, n)
    cons *= min(1.0, 0.9 * comp.sum() / cons.sum())
    return IOTable.from_arrays(Z, np.column_stack([cons, f - cons]), v=v, x=x, compensation=comp,
                               consumption=cons, employment=rng.uniform(0, 50, n), source="synthetic")


# --------------------------------------------------------------------------- known answers
def test_miller_blair_two_sector_example():
    # Miller & Blair (2009), section 2.3: A = [[.15, .25], [.2, .05]];
    # L = [[1.2541, .3300], [.2640, 1.1221]]; output multipliers 1.518, 1.452.
    t = IOTable.from_arrays(MB_Z, MB_F)
    np.testing.assert_allclose(t.x, [1000, 2000])
    np.testing.assert_allclose(t.A, [[0.15, 0.25], [0.20, 0.05]], atol=1e-12)
    np.testing.assert_allclose(t.L, [[1.2541, 0.3300], [0.2640, 1.1221]], atol=1e-3)
    np.testing.assert_allclose(t.multipliers("output"), [1.518, 1.452], atol=1e-3)
    # Ghosh (M&B 12.1): B = [[.15, .5], [.1, .05]], G = (I - B)^-1 = [[.95, .5], [.1, .85]] / .7575
    np.testing.assert_allclose(t.B, [[0.15, 0.5], [0.1, 0.05]], atol=1e-12)
    np.testing.assert_allclose(t.ghosh_inverse(), [[1.2541, 0.6601], [0.1320, 1.1221]], atol=1e-3)


def test_two_sector_type_ii_by_hand():
    # Households closed: h_r = comp / x = [.3, .25]; h_c = cons / sum(comp) = [200, 400] / 800.
    t = IOTable.from_csv(DATA / "mb2")
    closed = np.array([[0.15, 0.25, 0.25], [0.2, 0.05, 0.5], [0.3, 0.25, 0.0]])
    Lbar = np.linalg.inv(np.eye(3) - closed)
    np.testing.assert_allclose(t.multipliers("output", "II"), Lbar[:2, :2].sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(t.multipliers("income", "II"), Lbar[2, :2], rtol=1e-12)
    np.testing.assert_allclose(t.multipliers("income"), [0.3, 0.25] @ t.L, rtol=1e-12)
    # employment: 100 and 50 persons per 1000 and 2000 of output (万元 -> 亿元: x 1e4 per 亿元)
    e = np.array([100 / 0.1, 50 / 0.2])
    np.testing.assert_allclose(t.multipliers("employment"), e @ t.L, rtol=1e-12)
    np.testing.assert_allclose(t.multipliers("employment", ratio=True), e @ t.L / e, rtol=1e-12)


def test_from_csv_converts_wan_yuan_and_reads_roles():
    t = IOTable.from_csv(DATA / "mb2")
    np.testing.assert_allclose(t.x, [0.1, 0.2])          # 1000 万元 = 0.1 亿元
    assert t.codes == ("a", "b") and t.name_zh == ("部门一", "部门二")
    assert t.categories == ("households", "other")
    np.testing.assert_allclose(t.v, [0.065, 0.14])
    np.testing.assert_allclose(t.employment, [100, 50])


def test_linkages_two_sector():
    t = IOTable.from_arrays(MB_Z, MB_F)
    link = t.linkages()
    L = t.L
    np.testing.assert_allclose(link.backward, 2 * L.sum(axis=0) / L.sum())
    G = t.ghosh_inverse()
    np.testing.assert_allclose(link.forward, 2 * G.sum(axis=1) / G.sum())
    assert link.kind.tolist() == ["key", "weak"]
    assert "backward" in link.table() and "<table>" in link._repr_html_()


def test_mixed_model_two_sector_by_hand():
    # x_2 fixed at 2400: x_1 = (350 + .25 * 2400) / .85 = 1117.647; f_2 = 2400 - .2 x_1 - .05 * 2400
    t = IOTable.from_arrays(MB_Z, MB_F)
    x, f = t.mixed({1: 2400.0})
    assert x[0] == pytest.approx(950 / 0.85)
    assert f[1] == pytest.approx(2400 - 0.2 * 950 / 0.85 - 120)
    x2, _ = t.mixed({"2": np.array([[2000.0], [2400.0]])})     # by code, batched
    np.testing.assert_allclose(x2[:, 0, 0], [1000.0, 950 / 0.85])


# --------------------------------------------------------------------------- identities (properties)
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 9))
def test_leontief_identities(seed, n):
    t = random_table(seed, n)
    np.testing.assert_allclose(t.L @ (np.eye(n) - t.A), np.eye(n), atol=1e-10)
    np.testing.assert_allclose(t.output(t.f), t.x, rtol=1e-10)
    np.testing.assert_allclose(t.multipliers(), t.L.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(t.ghosh_inverse(), np.diag(1 / t.x) @ t.L @ np.diag(t.x), rtol=1e-9)
    batch = np.random.default_rng(seed).uniform(0, 10, (3, 4, n))
    np.testing.assert_allclose(t.output(batch), batch @ t.L.T, rtol=1e-10)
    np.testing.assert_allclose(t.impact(batch[0, 0]), t.L @ batch[0, 0], rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 9))
def test_type_ii_at_least_type_i(seed, n):
    t = random_table(seed, n, households=True)
    for kind in ("output", "income", "value_added", "employment"):
        one, two = t.multipliers(kind, "I"), t.multipliers(kind, "II")
        assert (two >= one - 1e-12).all(), kind


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 9), data=st.data())
def test_mixed_model_reproduces_leontief(seed, n, data):
    t = random_table(seed, n)
    k = data.draw(st.integers(1, n))
    exo = data.draw(st.permutations(range(n)))[:k]
    x, f = t.mixed({j: t.x[j] for j in exo})
    np.testing.assert_allclose(x, t.x, rtol=1e-9)
    np.testing.assert_allclose(f, t.f, rtol=1e-7, atol=1e-9 * t.x.max())


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 9))
def test_aggregation_preserves_totals(seed, n):
    t = random_table(seed, n, households=True)
    groups = {c: "g1" if i < n // 2 else "g2" for i, c in enumerate(t.codes)}
    agg = t.aggregate(groups)
    assert agg.codes == ("g1", "g2")
    np.testing.assert_allclose(agg.x.sum(), t.x.sum())
    np.testing.assert_allclose(agg.Z.sum(), t.Z.sum())
    np.testing.assert_allclose(agg.compensation.sum(), t.compensation.sum())
    h = n // 2
    np.testing.assert_allclose(agg.output(agg.f), [t.x[:h].sum(), t.x[h:].sum()], rtol=1e-9)
    same = t.aggregate({c: c for c in t.codes})
    np.testing.assert_allclose(same.L, t.L, rtol=1e-12)


# --------------------------------------------------------------------------- errors name the sector
def test_non_productive_table_rejected_naming_sector():
    # Column "b" uses 1.2 units of inputs per unit of output: spectral radius > 1.
    with pytest.raises(ModelError, match=r"spectral radius .* >= 1.*sector 'b'"):
        alg.check_productive([[0.5, 0.6], [0.4, 0.6]], codes=["a", "b"])
    Z = np.array([[50.0, 150.0], [60.0, 100.0]])
    with pytest.raises(ModelError, match="not productive"):
        IOTable.from_arrays(Z, [10.0, -50.0], codes=["a", "b"])


def test_negative_leontief_entry_rejected():
    # A with a negative coefficient: spectral radius < 1 but L[0, 1] < 0.
    A = np.array([[0.0, -0.5], [0.5, 0.0]])
    with pytest.raises(ModelError, match=r"negative entry .*row sector 'x'.*column sector 'y'"):
        alg.check_productive(A, codes=["x", "y"])


def test_unbalanced_table_rejected_naming_sector():
    with pytest.raises(ParameterError, match=r"column\) at sector 'b'"):
        IOTable.from_csv(DATA / "unbalanced")
    with pytest.raises(ParameterError, match=r"row\) at sector 'k2'"):
        IOTable.from_arrays(MB_Z, MB_F, x=[1000.0, 2100.0], codes=["k1", "k2"])


def test_bad_inputs_are_parameter_errors(tmp_path):
    t = IOTable.from_arrays(MB_Z, MB_F)
    with pytest.raises(ParameterError, match="need 'compensation'"):
        t.multipliers("output", "II")
    with pytest.raises(ParameterError, match="kind 'jobs'"):
        t.multipliers("jobs")
    with pytest.raises(ParameterError, match="expected \\(..., 2\\)"):
        t.output(np.ones(3))
    with pytest.raises(ParameterError, match="unknown sector code"):
        t.mixed({"z": 1.0})
    with pytest.raises(ParameterError, match="shape"):
        IOTable.from_arrays(np.ones((2, 3)), [1, 1])
    (tmp_path / "table.toml").write_text('unit = "千元"\n', encoding="utf-8")
    with pytest.raises(ParameterError, match="'unit' = '千元'"):
        IOTable.from_csv(tmp_path)


# --------------------------------------------------------------------------- cross-check with pymrio
def test_against_pymrio():
    pymrio = pytest.importorskip("pymrio")
    from pymrio.tools import iomath
    io = pymrio.load_test()
    Z, Y = io.Z.to_numpy(), io.Y.to_numpy()
    x_ref = iomath.calc_x(Z, Y).ravel()
    L_ref = iomath.calc_L(iomath.calc_A(Z, x_ref))
    t = IOTable.from_arrays(Z, Y, source="pymrio test system")
    np.testing.assert_allclose(t.x, x_ref, rtol=1e-10)
    np.testing.assert_allclose(t.L, L_ref, rtol=1e-10, atol=1e-10)
    y = Y.sum(axis=1)
    np.testing.assert_allclose(t.output(y), iomath.calc_x_from_L(L_ref, y).ravel(), rtol=1e-10)
    np.testing.assert_allclose(t.multipliers(), L_ref.sum(axis=0), rtol=1e-10)


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("n", [1, 3, 35, alg.SMALL_SYSTEM])
def test_small_systems_solved_by_substitution_agree_with_lapack_and_with_themselves(n, transpose):
    """A regional system is solved one right-hand side at a time: LAPACK's answer to rounding, the same
    bits compiled or numpy, and the same bits for a right-hand side alone or inside any batch."""
    import scipy.linalg

    from jdmodel import _jit

    rng = np.random.default_rng(n)
    A = rng.random((n, n)) * 0.9 / n
    A[0] += 0.5 / n                                  # rows that make LAPACK pivot
    lu = alg.leontief_lu(A)
    b = rng.random((3, 11, n)) * 100
    x = alg.solve_leontief(lu, b, transpose=transpose)
    ref = scipy.linalg.lu_solve(lu, b.reshape(-1, n).T, trans=int(transpose)).T.reshape(b.shape)
    np.testing.assert_allclose(x, ref, rtol=1e-12, atol=0)
    M = np.eye(n) - A
    np.testing.assert_allclose((x @ M) if transpose else (x @ M.T), b, rtol=1e-11)
    assert np.array_equal(alg.solve_leontief(lu, b[2, 5], transpose=transpose), x[2, 5])
    try:
        _jit.ENABLED = False
        assert np.array_equal(alg.solve_leontief(lu, b, transpose=transpose), x)
    finally:
        _jit.ENABLED = True


def test_large_systems_still_go_to_lapack():
    rng = np.random.default_rng(0)
    n = alg.SMALL_SYSTEM + 1
    A = rng.random((n, n)) * 0.9 / n
    f = rng.random(n)
    x = alg.solve_leontief(alg.leontief_lu(A), f)
    np.testing.assert_allclose(x - A @ x, f, rtol=1e-12)
