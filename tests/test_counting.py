"""Tests of the counting models (jdmodel.counting): quantiles, closed forms, properties."""

from __future__ import annotations

import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from jdmodel.counting import (
    NOISE_STREAMS,
    PARAMETER_SHAPES,
    binomial_quantile,
    enterprise_count_pmf,
    enterprise_rates,
    enterprises_mean_path,
    lags,
    parameters_from_toml,
    pipeline_landed_distribution,
    pipeline_landed_mean,
    poisson_quantile,
    simulate_counts,
)
from jdmodel.counting.model import _read
from jdmodel.errors import ModelError, ParameterError
from jdmodel.params.plan import load_plan
from jdmodel.params.schema_counting import SCHEMA_COUNTING

ROOT = Path(__file__).resolve().parents[1]
S, T, Y = 5, 10, 11
ALLOWED_UNITS = {"1", "1/yr", "yr", "firms", "projects", "scenarios", "亿元", "亿元/yr", "人", "公顷"}


def _document() -> dict:
    """The counting tables of the baseline."""
    for name in ("baseline.toml",):
        path = ROOT / "parameters" / "plans" / "jiading" / name
        if path.is_file():
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
            if "counting" in doc:
                return doc
    pytest.skip("no [counting.*] tables in parameters/")


@pytest.fixture(scope="module")
def table() -> dict:
    return _document()["counting"]


@pytest.fixture(scope="module")
def central() -> dict:
    return parameters_from_toml(_document())


def noise_for(seed: int, draws: int, start: int = 0):
    """Uniforms keyed by (seed, stream, draw index): draws [start, start + draws) of a fixed sequence."""
    def noise(stream: str, tail: tuple[int, ...]) -> np.ndarray:
        rng = np.random.default_rng([seed, zlib.crc32(stream.encode())])
        return rng.random((start + draws, *tail))[start:]
    return noise


def levers(funds=1.0, talent=300.0, land=2.0, growth=1.5, infra=1.3):
    """Flat lever paths (D=1), output growing linearly by `growth` over 2020–2030, infra likewise."""
    one = np.ones((1, S, T))
    return dict(funds=funds * one, talent=talent * one, land=land * one,
                output=np.full((1, S, Y), 100.0) * np.linspace(1.0, growth, Y),
                infra=np.linspace(1.0, infra, Y)[None, :])


# --- quantile functions --------------------------------------------------------------------------

def test_poisson_quantile_equals_scipy_on_random_inputs():
    rng = np.random.default_rng(11)
    n = 100_000
    u = np.concatenate([rng.random(n), 10.0 ** rng.uniform(-300, -1, n // 10), 1 - 10.0 ** rng.uniform(-16, -1, n // 10)])
    mu = np.concatenate([rng.uniform(0, 3, n // 4), rng.uniform(0, 30, n // 4), rng.uniform(0, 70, n // 4),
                         rng.exponential(8, n - 3 * (n // 4)), rng.uniform(0, 64, n // 5)])
    ours, ref = poisson_quantile(u, mu), stats.poisson.ppf(u, mu)
    assert np.array_equal(ours, ref), np.flatnonzero(ours != ref)[:5]


def test_binomial_quantile_equals_scipy_on_random_inputs():
    rng = np.random.default_rng(12)
    n = 60_000
    u = np.concatenate([rng.random(n), 10.0 ** rng.uniform(-300, -1, n // 10), 1 - 10.0 ** rng.uniform(-16, -1, n // 10)])
    m = u.size
    trials = rng.integers(0, 400, m).astype(float)
    p = np.concatenate([rng.uniform(0, 0.2, m // 3), rng.uniform(0, 1, m // 3), rng.uniform(0.8, 1, m - 2 * (m // 3))])
    ours, ref = binomial_quantile(u, trials, p), stats.binom.ppf(u, trials, p)
    assert np.array_equal(ours, ref), np.flatnonzero(ours != ref)[:5]


def test_quantile_edge_cases_equal_scipy():
    u = np.array([0.0, 2.0**-53, 1e-300, 1e-12, 0.5, 1 - 1e-12, 1 - 2.0**-53, 1.0, np.nan, -0.5, 1.5])
    for mu in (0.0, 1e-12, 0.3, 7.0, 63.999, 64.0, 250.0, -1.0, np.nan):
        assert np.array_equal(poisson_quantile(u, mu), stats.poisson.ppf(u, mu), equal_nan=True), mu
    for n in (0, 1, 7, 300, 2.5):
        for p in (0.0, 1e-9, 0.1, 0.5, 0.9, 1.0):
            assert np.array_equal(binomial_quantile(u, n, p), stats.binom.ppf(u, n, p), equal_nan=True), (n, p)
    assert poisson_quantile(0.3, np.zeros((2, 3))).shape == (2, 3)


@settings(max_examples=60, deadline=None)
@given(u=st.floats(1e-12, 1 - 1e-12), mu=st.floats(0, 80), dmu=st.floats(0, 5),
       n=st.integers(0, 200), dn=st.integers(0, 20), p=st.floats(0, 1), dp=st.floats(0, 0.2))
def test_quantiles_never_fall_as_the_rate_rises(u, mu, dmu, n, dn, p, dp):
    assert poisson_quantile(u, mu + dmu) >= poisson_quantile(u, mu)
    assert binomial_quantile(u, n + dn, p) >= binomial_quantile(u, n, p)
    assert binomial_quantile(u, n, min(p + dp, 1.0)) >= binomial_quantile(u, n, p)
    # survivors n - Q(u; n, p) never fall as the stock rises (the enterprise stock update relies on it)
    assert n + dn - binomial_quantile(u, n + dn, p) >= n - binomial_quantile(u, n, p)


# --- lags ----------------------------------------------------------------------------------------

def test_lags_conserve_arrivals_and_obey_littles_law():
    rng = np.random.default_rng(3)
    rate = 2.5
    stream = np.full(T + 1, rate)
    for lag in (0.0, 0.4, 1.0, 2.7):
        assert np.allclose(lags.matured(stream, lag), rate)               # steady state: out = in
        assert np.allclose(lags.pending(stream, lag), rate * lag)          # Little's law
    # a one-year pulse of arrivals matures whole, split over floor(lag) and floor(lag) + 1
    pulse = np.zeros(T + 1)
    pulse[2] = 1.0
    m = lags.matured(pulse, 1.25)
    assert np.isclose(m.sum(), 1.0) and np.isclose(m[2], 0.75) and np.isclose(m[3], 0.25)
    # batched: per-draw lags broadcast over sectors
    out = lags.matured(rng.random((4, S, T + 1)), rng.uniform(0, 3, (4, 1)))
    assert out.shape == (4, S, T)


# --- closed forms against simulation -------------------------------------------------------------

def _fixed_rate(central: dict) -> dict:
    """Parameters of a fixed-rate pipeline: no lever effect (support index 0, zero levers)."""
    p = dict(central)
    p["counting.projects.support_2020"] = np.array([0.0])
    p["counting.projects.base"] = np.array([5.0])
    return p


def test_pipeline_reach_probability_closed_form_matches_simulation(central):
    p = _fixed_rate(central)
    zero = levers(funds=0.0, talent=0.0, land=0.0)
    draws = 100_000
    out = simulate_counts(p, noise=noise_for(1, draws), **zero)
    reach = out["projects"][:, 5] >= 10                                     # 2025
    rate = float(p["counting.projects.proposal_rate"][0])
    dist = pipeline_landed_distribution(
        rate, p_appraisal=float(p["counting.projects.appraisal_prob"][0]),
        p_construction=float(p["counting.projects.construction_prob"][0]),
        lag=float(p["counting.projects.appraisal_lag"][0] + p["counting.projects.construction_lag"][0]),
        years=5, base=5)
    prob = float(dist.sf(9))
    se = np.sqrt(prob * (1 - prob) / draws)
    assert 0.05 < prob < 0.95
    assert abs(reach.mean() - prob) < 3 * se


def test_pipeline_mean_with_changing_rate_matches_brute_force_sum(central):
    p = dict(central)
    lv = levers(funds=0.0, land=0.0)
    lv["funds"] = np.linspace(0.0, 3.0, T)[None, None, :] * np.ones((1, S, 1))
    out = simulate_counts(p, noise=None, **lv)
    q = {k.removeprefix("counting."): float(np.asarray(v).ravel()[0]) for k, v in p.items()}
    lam0 = q["projects.proposal_rate"]
    lam = lam0 * (1 + lv["funds"].sum(axis=1)[0] / q["projects.funds_doubling"]) / (1 + q["projects.support_2020"])
    lag = q["projects.appraisal_lag"] + q["projects.construction_lag"]
    f, phi = int(np.floor(lag)), lag - np.floor(lag)
    landed = 0.0
    for arrival in range(-20, 6):                                           # years after 2020
        a = lam0 if arrival <= 0 else lam[arrival - 1]
        for delay, weight in ((f, 1 - phi), (f + 1, phi)):
            if 1 <= arrival + delay <= 5:
                landed += a * weight
    landed *= q["projects.appraisal_prob"] * q["projects.construction_prob"]
    assert np.isclose(out["projects"][0, 5] - q["projects.base"], landed, rtol=1e-12)
    closed = pipeline_landed_mean(lam[:5], p_appraisal=q["projects.appraisal_prob"],
                                  p_construction=q["projects.construction_prob"], lag=lag, rate_before=lam0)
    assert np.isclose(closed, landed, rtol=1e-12)


def test_enterprise_mean_path_solves_the_difference_equation(central):
    """Recompute the expected stock sector by sector, year by year, straight from the equations."""
    p = dict(central)
    p["counting.enterprises.maturation_lag"] = np.array([2.0])
    lv = levers(funds=1.5, talent=500.0, land=3.0, growth=1.8)
    lv["funds"] = lv["funds"] * np.linspace(0.5, 2.0, T)
    out = simulate_counts(p, noise=None, **lv)["enterprises"][0]
    q = {k.removeprefix("counting.enterprises."): np.asarray(v, float).ravel()
         for k, v in p.items() if k.startswith("counting.enterprises.")}
    c = {k: float(v[0]) for k, v in q.items() if v.size == 1}
    share = q["base_share"] / q["base_share"].sum()
    for s in range(S):
        e0 = c["base"] * share[s]
        y = lv["output"][0, s]
        g = (y / y[0]) ** c["output_elasticity"]

        def arrivals(t: int, s: int = s, e0: float = e0, g: np.ndarray = g) -> float:   # t: years after 2020
            if t <= 0:
                return c["arrival_rate"] * e0
            sig = (lv["funds"][0, s, t - 1] / c["funds_doubling"] + lv["talent"][0, s, t - 1] / c["talent_doubling"]
                   + lv["land"][0, s, t - 1] / c["land_doubling"])
            return c["arrival_rate"] * e0 * g[t] * (1 + sig) / (1 + c["support_2020"])

        e = e0
        assert np.isclose(out[s, 0], e0)
        for t in range(1, Y):
            fund = lv["funds"][0, s, t - 1]
            grad = c["graduation_prob"] + (1 - c["graduation_prob"]) * c["graduation_uplift"] * (
                1 - np.exp(-fund / c["graduation_funds_scale"]))
            raw = grad * arrivals(t - 2)
            room = c["exit_rate"] * c["ceiling_multiple"] * e0 * g[t]
            e = (1 - c["exit_rate"]) * e + raw * room / (raw + room)
            assert np.isclose(out[s, t], e, rtol=1e-12), (s, 2020 + t)
    # the closed-form solution of the same difference equation
    rates = enterprise_rates(_read(p, S), lv["funds"], lv["talent"], lv["land"], lv["output"])
    solved = enterprises_mean_path(rates["base"], rates["entries"], p["counting.enterprises.exit_rate"][:, None])
    assert np.allclose(solved[0], out, rtol=1e-12)


def test_simulated_means_match_the_mean_paths(central):
    lv = levers(funds=2.0, talent=600.0, land=4.0)
    mean = simulate_counts(central, noise=None, **lv)
    draws = 20_000
    sim = simulate_counts(central, noise=noise_for(2, draws), **lv)
    for key, reduce in (("enterprises", lambda a: a.sum(axis=1)), ("projects", lambda a: a),
                        ("scenarios", lambda a: a)):
        x = reduce(sim[key])
        m = reduce(mean[key])[0]
        se = x.std(axis=0) / np.sqrt(draws) + 1e-12
        assert np.all(np.abs(x.mean(axis=0) - m) < 4 * se), key


def test_enterprise_total_distribution_closed_form_matches_simulation(central):
    lv = levers(funds=2.0, talent=600.0, land=4.0, growth=2.0)
    draws = 40_000
    sim = simulate_counts(central, noise=noise_for(3, draws), **lv)["enterprises"].sum(axis=1)[:, 5]
    rates = enterprise_rates(_read(central, S), lv["funds"], lv["talent"], lv["land"], lv["output"])
    base = rates["base"].sum()
    assert base == int(base)                                                # integer bases: no rounding noise
    pmf = enterprise_count_pmf(int(base), rates["entries"].sum(axis=1)[0, :5],
                               float(central["counting.enterprises.exit_rate"][0]))
    threshold = int(np.floor(np.arange(pmf.size) @ pmf))                    # near the mean: P ≈ 1/2
    prob = pmf[threshold:].sum()
    se = np.sqrt(prob * (1 - prob) / draws)
    assert abs((sim >= threshold).mean() - prob) < 3 * se
    assert np.isclose(pmf.sum(), 1.0, atol=1e-10)


# --- properties ----------------------------------------------------------------------------------

def _range(entry: dict) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) shaped like the value (a list's range is one envelope for every element)."""
    value = np.asarray(entry["value"], float)
    return tuple(np.broadcast_to(np.asarray(entry.get(k, entry["value"]), float), value.shape)
                 for k in ("low", "high"))


def test_counts_are_nonnegative_integers_in_every_draw(table):
    rng = np.random.default_rng(5)
    draws = 3_000
    p = {}
    for group, entries in table.items():                                    # every parameter anywhere in its range
        for name, e in entries.items():
            lo, hi = _range(e)
            p[f"counting.{group}.{name}"] = rng.uniform(lo, hi, (draws, *lo.shape))
    lv = levers(funds=3.0, talent=800.0, land=6.0, growth=2.5, infra=2.0)
    out = simulate_counts(p, noise=noise_for(4, draws), **lv)
    for key in ("enterprises", "projects", "scenarios"):
        a = out[key]
        assert a.shape[0] == draws and np.all(a >= 0) and np.all(a == np.round(a)), key
        assert np.all(np.diff(out[key], axis=-1) >= 0) or key == "enterprises"  # cumulative counts never fall


def _drawn(table: dict, data, draws: int) -> dict:
    """A hypothesis-chosen point in each parameter's [low, high] range, same for all draws."""
    p = {}
    for group, entries in table.items():
        for name, e in entries.items():
            lo, hi = _range(e)
            w = data.draw(st.floats(0, 1))
            p[f"counting.{group}.{name}"] = (lo + w * (hi - lo))[None, ...]
    return p


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_more_of_a_lever_never_lowers_any_count(table, data):
    """Common random numbers: for fixed uniforms, raising any lever never lowers a count in any draw."""
    draws = 300
    p = _drawn(table, data, draws)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    lv = dict(funds=rng.uniform(0, 4, (1, S, T)), talent=rng.uniform(0, 1500, (1, S, T)),
              land=rng.uniform(0, 8, (1, S, T)),
              output=100 * np.cumprod(rng.uniform(0.95, 1.25, (1, S, Y)), axis=-1),
              infra=np.cumprod(rng.uniform(1.0, 1.1, (1, Y)), axis=-1))
    lever = data.draw(st.sampled_from(["funds", "talent", "land", "output", "infra"]))
    more = dict(lv)
    bump = rng.random(lv[lever].shape) < 0.3
    if lever in ("output", "infra"):
        bump[..., 0] = False          # 2020 is the base the paths are measured against, not a lever
    more[lever] = lv[lever] * (1 + bump * rng.exponential(0.5, lv[lever].shape))
    noise = noise_for(data.draw(st.integers(0, 1000)), draws)
    low, high = simulate_counts(p, noise=noise, **lv), simulate_counts(p, noise=noise, **more)
    mean_low, mean_high = simulate_counts(p, noise=None, **lv), simulate_counts(p, noise=None, **more)
    for key in ("enterprises", "projects", "scenarios"):
        assert np.all(high[key] >= low[key]), (lever, key)
        assert np.all(mean_high[key] >= mean_low[key] - 1e-9), (lever, key)


def test_policy_scenarios_give_visibly_different_distributions(central):
    draws = 20_000
    none = levers(funds=0.0, talent=0.0, land=0.0, infra=1.1)
    plan = levers(funds=3.0, talent=1000.0, land=6.0, infra=1.8)
    a = simulate_counts(central, noise=noise_for(6, draws), **none)
    b = simulate_counts(central, noise=noise_for(6, draws), **plan)
    ent_a, ent_b = a["enterprises"].sum(axis=1)[:, 5], b["enterprises"].sum(axis=1)[:, 5]
    assert ent_b.mean() - ent_a.mean() > 10 * np.hypot(ent_a.std(), ent_b.std()) / np.sqrt(draws)
    for key in ("projects", "scenarios"):
        pa, pb = (a[key][:, 5] >= 10).mean(), (b[key][:, 5] >= 10).mean()
        assert pb - pa > 0.1, (key, pa, pb)


def test_results_do_not_depend_on_chunking(central):
    lv = levers()
    whole = simulate_counts(central, noise=noise_for(8, 100), **lv)
    parts = [simulate_counts(central, noise=noise_for(8, 40, start=0), **lv),
             simulate_counts(central, noise=noise_for(8, 60, start=40), **lv)]
    for key in whole:
        assert np.array_equal(whole[key], np.concatenate([q[key] for q in parts])), key


def test_output_shapes_and_base_year(central):
    out = simulate_counts(central, noise=noise_for(9, 7), **levers())
    assert out["enterprises"].shape == (7, S, Y) and out["candidates_mean"].shape == (7, S, Y)
    assert out["projects"].shape == (7, Y) and out["scenarios"].shape == (7, Y)
    mean = simulate_counts(central, noise=None, **levers())
    assert np.isclose(mean["enterprises"][0, :, 0].sum(), central["counting.enterprises.base"][0])
    assert mean["projects"][0, 0] == central["counting.projects.base"][0]
    assert mean["scenarios"][0, 0] == central["counting.scenarios.base"][0]


# --- errors and the parameter file ----------------------------------------------------------------

def test_errors_name_the_problem(central):
    p = dict(central)
    del p["counting.projects.appraisal_prob"]
    with pytest.raises(ParameterError, match="counting.projects.appraisal_prob"):
        simulate_counts(p, noise=None, **levers())
    bad = levers()
    bad["funds"] = bad["funds"][:, :, :5]
    with pytest.raises(ParameterError, match="funds"):
        simulate_counts(central, noise=None, **bad)
    bad = levers()
    bad["output"][0, 3, 0] = 0.0
    with pytest.raises(ModelError, match="smart_transport"):
        simulate_counts(central, noise=None, sectors=load_plan("jiading").sector_ids, **bad)
    with pytest.raises(ModelError, match="noise"):
        simulate_counts(central, noise=lambda stream, tail: np.full((3, 2), 0.5), **levers())
    p = dict(central)
    p["counting.enterprises.base_share"] = np.ones((1, 4))
    with pytest.raises(ParameterError, match="base_share"):
        simulate_counts(p, noise=None, **levers())


def test_parameter_file_schema_and_model_agree(table):
    keys = {f"counting.{g}.{n}" for g, entries in table.items() for n in entries}
    assert keys == set(SCHEMA_COUNTING) == set(PARAMETER_SHAPES)
    assert set(NOISE_STREAMS) >= {"counting.enterprises.entries", "counting.projects.landed"}
    for group, entries in table.items():
        for name, e in entries.items():
            key = f"counting.{group}.{name}"
            spec = SCHEMA_COUNTING[key]
            assert e["unit"] == spec["unit"] and e["unit"] in ALLOWED_UNITS, key
            assert e.get("source"), key
            value = np.asarray(e["value"], float)
            assert value.shape == ((S,) if spec["shape"] == "sector" else ()), key
            assert spec["shape"] == PARAMETER_SHAPES[key], key
            if e["source"].startswith("assumption"):
                lo, hi = np.asarray(e["low"], float), np.asarray(e["high"], float)
                assert np.all(lo <= value) and np.all(value <= hi), key
                bounds = [lo, hi]
            else:
                bounds = [value]
            for b in bounds:
                assert spec["min"] is None or np.all(b >= spec["min"]), key
                assert spec["max"] is None or np.all(b <= spec["max"]), key


# --- the compiled loop (jdmodel.counting.kernel) --------------------------------------------------

def _kernel_quantiles(u, mu, n, p):
    from jdmodel.counting import kernel, quantiles

    G = kernel._bound_table()
    BG, BF = quantiles._binomial_tables()
    pq = np.array([kernel.poisson_q(a, b, G) for a, b in zip(u, mu, strict=True)])
    with np.errstate(divide="ignore"):
        bq = np.array([kernel.binomial_q(a, k, q, np.log1p(-q), np.log(q), BG, BF)
                       for a, k, q in zip(u, n, p, strict=True)])
    return pq, bq


@pytest.mark.filterwarnings("ignore:Error in function boost:RuntimeWarning")
def test_compiled_quantiles_equal_scipy_or_say_they_cannot():
    pytest.importorskip("numba")
    rng = np.random.default_rng(21)
    m = 20_000
    u = np.concatenate([rng.random(m), 10.0 ** rng.uniform(-300, -1, m // 10), 1 - 10.0 ** rng.uniform(-16, -1, m // 10)])
    mu = np.concatenate([rng.uniform(0, 20, u.size // 2), rng.uniform(0, 70, u.size - u.size // 2)])
    n = rng.integers(0, 300, u.size).astype(float)
    p = rng.uniform(0, 1, u.size)
    pq, bq = _kernel_quantiles(u, mu, n, p)
    undecided_p, undecided_b = pq < 0, bq < 0              # -1: the draw goes to the numpy code and scipy
    assert np.array_equal(pq[~undecided_p], stats.poisson.ppf(u, mu)[~undecided_p])
    assert np.array_equal(bq[~undecided_b], stats.binom.ppf(u, n, p)[~undecided_b])
    ordinary = (u > 1e-6) & (u < 1 - 1e-6)               # undecided elements are rare away from the tails
    assert undecided_p[ordinary & (mu < 60)].mean() < 1e-3
    assert undecided_b[ordinary & (n * np.minimum(p, 1 - p) < 40)].mean() < 1e-3


def _random_inputs(central, d: int, seed: int, extreme: bool):
    rng = np.random.default_rng(seed)
    p = {k: np.broadcast_to(v, (d, *v.shape[1:])).copy() for k, v in central.items()}
    for k in p:
        if k != "counting.enterprises.base_share":
            p[k] = p[k] * rng.uniform(0.7, 1.3, p[k].shape)
    for k in ("counting.enterprises.graduation_prob", "counting.enterprises.exit_rate",
              "counting.projects.appraisal_prob", "counting.projects.construction_prob"):
        p[k] = np.clip(p[k], 0.0, 1.0)
    if extreme:   # large stocks and flows: binomial means above 48, Poisson means above 64
        p["counting.enterprises.base"][: d // 4] *= 40
        p["counting.enterprises.arrival_rate"][: d // 8] *= 30
    lv = dict(funds=rng.uniform(0, 20, (d, S, T)), talent=rng.uniform(0, 2000, (d, S, T)),
              land=rng.uniform(0, 5, (d, S, T)),
              output=100 * np.cumprod(rng.uniform(1.0, 1.2, (d, S, Y)), axis=-1),
              infra=np.cumprod(rng.uniform(1.0, 1.05, (d, Y)), axis=-1))
    return p, lv


@pytest.mark.parametrize("extreme", [False, True])
def test_compiled_counting_equals_the_numpy_models_to_the_bit(central, monkeypatch, extreme):
    """The compiled loop, reading uniforms from arrays or drawing them itself from their keys (a sweep's
    ``KeyedNoise``), against the numpy models; with extreme inputs some draws go to scipy."""
    pytest.importorskip("numba")
    from jdmodel import _jit
    from jdmodel.uncertainty.rng import KeyedNoise

    p, lv = _random_inputs(central, 3000, 5, extreme)
    keyed_noise = KeyedNoise(9, np.arange(500, 3500), prefix="t.")
    keyed = simulate_counts(p, noise=keyed_noise, **lv)
    lean = simulate_counts(p, noise=keyed_noise, detail=False, **lv)
    as_arrays = simulate_counts(p, noise=lambda stream, shape: keyed_noise(stream, shape), **lv)
    assert keyed.keys() == as_arrays.keys() and set(keyed) - set(lean) == {
        "candidates_mean", "enterprise_ceiling", "projects_pipeline_mean"}
    for k in keyed:
        assert np.array_equal(keyed[k], as_arrays[k]), k
        assert k not in lean or np.array_equal(lean[k], keyed[k]), k
    compiled = simulate_counts(p, noise=noise_for(9, 3000), **lv)
    monkeypatch.setattr(_jit, "ENABLED", False)
    assert all(np.array_equal(keyed[k], v) for k, v in simulate_counts(p, noise=keyed_noise, **lv).items())
    reference = simulate_counts(p, noise=noise_for(9, 3000), **lv)
    assert compiled.keys() == reference.keys()
    for k in reference:
        assert np.array_equal(compiled[k], reference[k]), k
    if extreme:
        assert reference["enterprises"].max() > 500     # the fallback to scipy was exercised


@pytest.mark.parametrize("extreme", [False, True])
def test_compiled_expected_paths_equal_the_numpy_ones_to_the_bit(central, monkeypatch, extreme):
    """``noise=None`` (central runs, the budget search): the compiled loop's expected paths against
    ``model._expected``, with and without the paths a sweep leaves out."""
    pytest.importorskip("numba")
    from jdmodel import _jit

    p, lv = _random_inputs(central, 2000, 5, extreme)
    compiled = simulate_counts(p, noise=None, **lv)
    lean = simulate_counts(p, noise=None, detail=False, **lv)
    monkeypatch.setattr(_jit, "ENABLED", False)
    reference = simulate_counts(p, noise=None, **lv)
    assert compiled.keys() == reference.keys() and set(reference) - set(lean) == {
        "candidates_mean", "enterprise_ceiling", "projects_pipeline_mean"}
    for k in reference:
        assert np.array_equal(compiled[k], reference[k]), k
        assert k not in lean or np.array_equal(lean[k], reference[k]), k
    assert not np.array_equal(reference["enterprises"], np.floor(reference["enterprises"]))   # means, not counts


def test_counting_shapes_come_from_the_inputs(central):
    # three sectors and six lever years: nothing in the model assumes the shipped plan's sizes
    p = dict(central)
    p["counting.enterprises.base_share"] = np.array([[0.2, 0.3, 0.5]])
    one = np.ones((4, 3, 6))
    out = simulate_counts(p, funds=one, talent=300 * one, land=2 * one, output=np.full((4, 3, 7), 50.0),
                          infra=np.ones((4, 7)), noise=noise_for(1, 4))
    assert out["enterprises"].shape == (4, 3, 7) and out["projects"].shape == (4, 7)


@pytest.mark.parametrize("shape", [(7,), (3, 11), (40, 5, 11)])
def test_compiled_lags_give_the_numpy_bits(shape):
    """matured and pending, compiled row by row, equal the vectorised numpy code to the bit, lags 0–12 years."""
    from jdmodel import _jit
    from jdmodel.counting import lags

    rng = np.random.default_rng(len(shape))
    stream = rng.gamma(2.0, 3.0, shape)
    for lag in (rng.uniform(0.0, 4.0, shape[:-1]), rng.uniform(0.0, 12.0, shape[:-1]), 1.5, 0.0, 3.0):
        compiled = lags.matured(stream, lag), lags.pending(stream, lag)
        try:
            _jit.ENABLED = False
            plain = lags.matured(stream, lag), lags.pending(stream, lag)
        finally:
            _jit.ENABLED = True
        for a, b in zip(compiled, plain, strict=True):
            assert a.shape == b.shape and np.array_equal(a, b)
