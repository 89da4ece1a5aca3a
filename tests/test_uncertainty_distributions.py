"""Distributions of parameter tables: inverse CDFs, closed-form moments, validation messages."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.distributions import is_uncertain, mean, ppf, validate_dist, var
from jdmodel.uncertainty.rng import U_MAX, U_MIN, uniforms

TABLES = {
    "uniform": {"value": 0.35, "low": 0.25, "high": 0.45, "dist": "uniform"},
    "triangular": {"value": 0.30, "low": 0.25, "high": 0.45, "dist": "triangular"},
    "triangular_edge": {"value": 0.25, "low": 0.25, "high": 0.45, "dist": "triangular"},
    "pert": {"value": 0.30, "low": 0.25, "high": 0.45, "dist": "pert"},
    "pert_lambda": {"value": 0.30, "low": 0.25, "high": 0.45, "dist": "pert", "lambda": 9.0},
    "normal": {"value": 120.0, "sd": 15.0, "dist": "normal"},
    "truncnorm": {"value": 0.02, "sd": 0.03, "low": 0.0, "high": 0.2, "dist": "truncnorm"},
    "lognormal": {"value": 2.5, "sigma": 0.4, "dist": "lognormal"},
    "normal_truncated": {"value": 0.02, "sd": 0.03, "low": 0.0, "high": 0.2, "dist": "normal"},
    "lognormal_truncated": {"value": 2.5, "sigma": 0.4, "low": 1.5, "high": 6.0, "dist": "lognormal"},
}


class _TruncatedLognormal:
    """exp(ln median + sigma Z), Z a standard normal truncated to the log bounds: scipy's truncnorm, mapped."""

    def __init__(self, t):
        self.m, self.s = np.log(t["value"]), t["sigma"]
        self.z = stats.truncnorm((np.log(t["low"]) - self.m) / self.s, (np.log(t["high"]) - self.m) / self.s)

    def ppf(self, u):
        return np.exp(self.m + self.s * self.z.ppf(u))

    def mean(self):
        return self.z.expect(lambda z: np.exp(self.m + self.s * z))

    def var(self):
        return self.z.expect(lambda z: np.exp(2 * (self.m + self.s * z))) - self.mean() ** 2


def scipy_equivalent(t):
    """The same distribution as a frozen scipy.stats object: an independent reference."""
    d = t["dist"]
    if d == "uniform":
        return stats.uniform(t["low"], t["high"] - t["low"])
    if d == "triangular":
        w = t["high"] - t["low"]
        return stats.triang((t["value"] - t["low"]) / w, t["low"], w)
    if d == "pert":
        lam, w = t.get("lambda", 4.0), t["high"] - t["low"]
        a = 1 + lam * (t["value"] - t["low"]) / w
        b = 1 + lam * (t["high"] - t["value"]) / w
        return stats.beta(a, b, t["low"], w)
    if d == "normal" and "low" not in t:
        return stats.norm(t["value"], t["sd"])
    if d == "lognormal" and "low" in t:
        return _TruncatedLognormal(t)
    if d == "truncnorm" or (d == "normal" and "low" in t):
        return stats.truncnorm((t["low"] - t["value"]) / t["sd"], (t["high"] - t["value"]) / t["sd"],
                               t["value"], t["sd"])
    return stats.lognorm(t["sigma"], scale=t["value"])


@pytest.mark.parametrize("name", TABLES)
def test_sample_moments_match_closed_form(name):
    t = TABLES[name]
    x = ppf(t, uniforms(1, name, np.arange(400_000)))
    m, v = mean(t), var(t)
    se = np.sqrt(v / x.size)
    assert abs(x.mean() - m) < 5 * se
    assert x.var() == pytest.approx(v, rel=0.03)


@pytest.mark.parametrize("name", TABLES)
def test_closed_forms_agree_with_scipy(name):
    ref = scipy_equivalent(TABLES[name])
    assert mean(TABLES[name]) == pytest.approx(ref.mean(), rel=1e-10)
    assert var(TABLES[name]) == pytest.approx(ref.var(), rel=1e-8)


@pytest.mark.parametrize("name", TABLES)
def test_ppf_agrees_with_scipy(name):
    u = np.concatenate([np.linspace(0.001, 0.999, 999), [U_MIN, 1e-9, 1 - 1e-9]])
    t = TABLES[name]
    width = scipy_equivalent(t).ppf(0.999) - scipy_equivalent(t).ppf(0.001)
    np.testing.assert_allclose(ppf(t, u), scipy_equivalent(t).ppf(u), atol=1e-9 * width, rtol=1e-9)


@pytest.mark.parametrize("name", TABLES)
def test_ppf_finite_at_extreme_uniforms(name):
    x = ppf(TABLES[name], np.array([U_MIN, U_MAX]))
    assert np.all(np.isfinite(x))


def test_far_tail_truncnorm_keeps_precision():
    t = {"value": 9.5, "mean": 0.0, "sd": 1.0, "low": 9.0, "high": 10.0, "dist": "truncnorm"}
    x = ppf(t, np.array([1e-6, 0.5, 1 - 1e-6]))
    assert np.all((x >= 9) & (x <= 10)) and np.all(np.diff(x) > 0)
    assert x[1] == pytest.approx(stats.truncnorm.ppf(0.5, 9, 10), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(low=st.floats(-1e3, 1e3), width=st.floats(1e-3, 1e3), pos=st.floats(0, 1),
       dist=st.sampled_from(["uniform", "triangular", "pert", "truncnorm"]))
def test_bounded_ppf_is_monotone_and_within_bounds(low, width, pos, dist):
    t = {"value": low + pos * width, "low": low, "high": low + width, "dist": dist, "sd": width}
    if dist != "truncnorm":
        t.pop("sd")
    u = np.sort(uniforms(0, "h", np.arange(500)))
    x = ppf(t, u)
    tol = 1e-9 * max(1.0, abs(low) + width)
    assert np.all(np.diff(x) >= -tol)
    assert np.all((x >= low - tol) & (x <= low + width + tol))


def test_no_dist_means_central_value_unless_default():
    t = {"value": 2.0, "low": 1.0, "high": 4.0}
    u = np.array([0.1, 0.9])
    assert not is_uncertain(t) and is_uncertain(t, default="uniform")
    np.testing.assert_array_equal(ppf(t, u), [2.0, 2.0])
    np.testing.assert_allclose(ppf(t, u, default="uniform"), [1.3, 3.7])
    np.testing.assert_allclose(ppf(t, u, default="triangular"),
                               stats.triang(1 / 3, 1.0, 3.0).ppf(u))
    assert mean(t) == 2.0 and var(t) == 0.0
    assert mean(t, default="uniform") == 2.5
    np.testing.assert_array_equal(ppf(3.5, u), [3.5, 3.5])
    with pytest.raises(ParameterError, match="default distribution"):
        ppf(t, u, default="normal")


def test_ppf_preserves_shape():
    u = uniforms(0, "s", np.arange(6), (2, 5))
    assert ppf(TABLES["pert"], u).shape == (6, 2, 5)


W = "baseline.toml: sectors.ecommerce.tfp_growth"


@pytest.mark.parametrize("table, fragment", [
    ({"value": 0.01, "low": 0.05, "high": 0.04, "dist": "triangular"},
     "triangular needs low <= mode <= high, got low=0.05 mode=0.01 high=0.04"),
    ({"value": 0.01, "low": 0.05, "high": 0.04, "dist": "uniform"}, "uniform needs low < high, got low=0.05 high=0.04"),
    ({"value": 1.0, "dist": "gamma"}, "unknown dist 'gamma'; expected one of uniform, triangular"),
    ({"value": 1.0, "dist": "normal"}, "normal needs sd"),
    ({"value": 1.0, "sd": 0.0, "dist": "normal"}, "normal needs sd > 0, got sd=0"),
    ({"value": 1.0, "sigma": 0.2, "dist": "normal"}, "normal does not use 'sigma' (did you mean 'sd'?)"),
    ({"value": 1.0, "sd": 0.2, "dist": "lognormal"}, "lognormal does not use 'sd' (did you mean 'sigma'?)"),
    ({"value": -1.0, "sigma": 0.2, "dist": "lognormal"}, "lognormal needs median > 0"),
    ({"value": 1.0, "sigma": -0.2, "dist": "lognormal"}, "lognormal needs sigma > 0"),
    ({"value": 1.0, "sd": "big", "dist": "normal"}, "sd must be a finite number, got 'big'"),
    ({"value": 1.0, "sd": 1.0, "low": 2.0, "high": 3.0, "dist": "truncnorm"}, "value 1 lies outside [low, high]"),
    ({"value": 1.0, "sd": 1.0, "low": 0.0, "dist": "truncnorm"}, "truncnorm needs high"),
    ({"value": 0.3, "low": 0.0, "high": 1.0, "lambda": 0, "dist": "pert"}, "pert needs lambda > 0"),
    ({"low": 0.0, "high": 1.0, "dist": "pert"}, "pert needs mode (or value)"),
    ({"value": 1.0, "low": 0.5}, "has low but not high"),
])
def test_validation_messages(table, fragment):
    problems = validate_dist(table, W)
    assert problems, table
    assert all(p.startswith(W + ": ") for p in problems)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize("name", TABLES)
def test_valid_tables_have_no_problems(name):
    assert validate_dist(TABLES[name], W) == []


def test_invalid_table_raises_on_ppf():
    with pytest.raises(ParameterError, match="normal needs sd"):
        ppf({"value": 1.0, "dist": "normal"}, np.array([0.5]), where="k")


@pytest.mark.parametrize("table, words", [
    ({"value": 1.0, "sd": 0.1, "low": 0.5, "dist": "normal"}, "give both low and high"),
    ({"value": 1.0, "sigma": 0.1, "high": 2.0, "dist": "lognormal"}, "give both low and high"),
    ({"value": 1.0, "sigma": 0.1, "low": -1.0, "high": 2.0, "dist": "lognormal"}, "lognormal needs low > 0"),
])
def test_normal_and_lognormal_are_truncated_by_both_bounds_or_neither(table, words):
    assert any(words in p for p in validate_dist(table, "k"))


def test_truncated_lognormal_stays_within_its_bounds():
    t = TABLES["lognormal_truncated"]
    x = ppf(t, np.array([U_MIN, 1e-9, 0.5, 1 - 1e-9, U_MAX]))
    assert np.all((x >= t["low"]) & (x <= t["high"])) and np.all(np.diff(x) >= 0)


def test_compiled_triangular_gives_the_numpy_bits(monkeypatch):
    from jdmodel import _jit

    u = np.concatenate([np.random.default_rng(3).random(10_001), [2.0**-53, 1 - 2.0**-53, 0.25, 0.5]])
    for table in ({"value": 2.0, "low": 1.0, "high": 3.5}, {"value": 1.0, "low": 1.0, "high": 3.0},
                  {"value": 3.0, "low": 1.0, "high": 3.0}):
        compiled = [ppf(table, u, default="triangular"), ppf(table, u[::7], default="triangular")]
        monkeypatch.setattr(_jit, "ENABLED", False)
        assert np.array_equal(ppf(table, u, default="triangular"), compiled[0])
        assert np.array_equal(ppf(table, u[::7], default="triangular"), compiled[1])
        monkeypatch.setattr(_jit, "ENABLED", True)


def test_columns_at_once_give_the_bits_of_one_column_at_a_time(monkeypatch):
    """``ppf_columns`` (one compiled call for the triangular columns) against ``ppf`` column by column,
    with other distributions and plain values among them, on C- and F-ordered uniforms."""
    from jdmodel import _jit
    from jdmodel.uncertainty.distributions import ppf_columns

    tables = [("a", {"value": 2.0, "low": 1.0, "high": 3.5}), ("b", {"value": 2.0, "low": 1.0, "high": 3.0,
                                                                     "dist": "uniform"}),
              ("c", {"value": 1.0, "low": 1.0, "high": 3.0}), ("d", TABLES["normal"]), ("e", 4.5),
              ("f", {"value": 3.0, "low": 1.0, "high": 3.0})]
    u = np.random.default_rng(5).random((1001, len(tables)))
    want = np.column_stack([ppf(t, u[:, j], default="triangular", where=w) for j, (w, t) in enumerate(tables)])
    for enabled in (True, False):
        monkeypatch.setattr(_jit, "ENABLED", enabled)
        for uu in (u, np.asfortranarray(u)):
            out = np.empty(u.shape, order="F")
            ppf_columns(tables, uu, out, default="triangular")
            assert np.array_equal(out, want)
    assert out[0, 4] == 4.5 and not np.array_equal(out[:, 0], out[:, 2])
