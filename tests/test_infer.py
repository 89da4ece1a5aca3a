"""Posterior inference: closed-form answers, non-identified parameters, reproducibility, the backtest's cut."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

pytest.importorskip("particles")
pytest.importorskip("arviz")

import jdmodel as jd  # noqa: E402
from jdmodel.expost.latent import infer_callable  # noqa: E402

A = np.array([[1.0, 0.5], [0.2, 1.0], [1.0, 1.0]])
SIGMA = np.array([0.3, 0.5, 0.4])
Y = np.array([0.7, -0.2, 0.4])
M0, S0 = np.array([0.1, -0.3]), np.array([0.5, 0.8])
PRIORS = {"a": {"dist": "normal", "mean": M0[0], "sd": S0[0]}, "b": {"dist": "normal", "mean": M0[1], "sd": S0[1]}}


def linear(theta):
    return theta @ A.T


@pytest.fixture(scope="module")
def linear_posterior():
    return infer_callable(linear, PRIORS, Y, SIGMA, draws=3000, seed=3)


def test_linear_gaussian_posterior_and_evidence_match_the_closed_form(linear_posterior):
    res = linear_posterior
    prior_cov = np.diag(S0**2)
    prec = np.linalg.inv(prior_cov) + A.T @ np.diag(SIGMA**-2) @ A
    cov = np.linalg.inv(prec)
    mean = cov @ (np.linalg.solve(prior_cov, M0) + A.T @ np.diag(SIGMA**-2) @ Y)
    log_z = multivariate_normal(A @ M0, A @ prior_cov @ A.T + np.diag(SIGMA**2)).logpdf(Y)
    sd = np.sqrt(np.diag(cov))
    assert res.ess > 500 and res.rhat < 1.05
    for j, name in enumerate("ab"):
        assert res.mean[name] == pytest.approx(mean[j], abs=5 * sd[j] / np.sqrt(res.ess))
        assert res.sd[name] == pytest.approx(sd[j], rel=0.1)
    post = res.idata.posterior
    draws = np.column_stack([post["a"].values.ravel(), post["b"].values.ravel()])
    corr = np.corrcoef(draws.T)[0, 1]
    assert corr == pytest.approx(cov[0, 1] / (sd[0] * sd[1]), abs=0.06)
    assert res.log_evidence == pytest.approx(log_z, abs=0.2)
    assert {"posterior", "prior", "log_likelihood", "sample_stats", "observed_data"} <= set(res.idata.groups())


def test_a_parameter_the_data_do_not_see_keeps_its_prior():
    priors = {"a": {"dist": "normal", "mean": 0.0, "sd": 1.0},
              "b": {"value": 2.0, "low": 1.0, "high": 4.0}}          # triangular, mode 2: mean 7/3, var 7/18
    res = infer_callable(lambda t: t[:, :1], priors, [1.5], [0.3], draws=3000, seed=5)
    se = np.sqrt(7 / 18 / res.ess)
    assert res.mean["b"] == pytest.approx(7 / 3, abs=5 * se)
    assert res.sd["b"] == pytest.approx(np.sqrt(7 / 18), rel=0.1)
    assert res.mean["a"] == pytest.approx(1.5 / (1 + 0.09), abs=0.05)     # the one the data see moves


def test_same_seed_same_posterior_and_chunking_changes_nothing():
    a = infer_callable(linear, PRIORS, Y, SIGMA, draws=400, seed=11)
    b = infer_callable(linear, PRIORS, Y, SIGMA, draws=400, seed=11, chunks=37)
    c = infer_callable(linear, PRIORS, Y, SIGMA, draws=400, seed=12)
    for name in "ab":
        np.testing.assert_array_equal(a.idata.posterior[name].values, b.idata.posterior[name].values)
    assert a.log_evidence == b.log_evidence
    assert not np.array_equal(a.idata.posterior["a"].values, c.idata.posterior["a"].values)


def test_bad_priors_and_shapes_are_reported():
    with pytest.raises(jd.ParameterError):
        infer_callable(linear, {"a": {"dist": "normal", "mean": 0.0}}, Y, SIGMA, draws=100)
    with pytest.raises(jd.ParameterError):
        infer_callable(lambda t: t, PRIORS, Y, SIGMA, draws=100)           # 2 predictions for 3 observations


# --- the scenario likelihood ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan_likelihood():
    from jdmodel.expost.likelihood import ScenarioLikelihood
    from jdmodel.expost.operator import load_error_model

    sc = jd.load_scenario("plan")
    return ScenarioLikelihood.build(sc, sc.plan.observations, load_error_model(plan=sc.plan), io=None)


def test_scenario_likelihood_equals_the_operators_terms_and_ignores_chunking(plan_likelihood):
    import xarray as xr

    from jdmodel.expost.latent import _chunked
    from jdmodel.expost.operator import match, scenario_shares
    from jdmodel.pipeline.results import to_dataset

    lik = plan_likelihood
    theta = lik.prior.values(np.random.default_rng(2).standard_normal((60, lik.prior.dim)))
    ll = lik.loglik(theta, 0.05)
    chunked = _chunked(lambda th: lik.loglik(th, 0.05), 7)(theta)
    np.testing.assert_allclose(chunked, ll, rtol=1e-12)
    out, vals = lik.run(theta)
    ds = to_dataset(out, scenario=lik.scenario, seed=0, design="x", keep_draw=True)
    shares = {k: xr.DataArray(np.broadcast_to(np.asarray(v, float).reshape(-1), (60,)), dims="draw")
              for k, v in vals.items() if k.startswith("within_year")}
    errors = lik.errors.with_(discrepancy=0.05)
    matched = match(ds, lik.scenario.plan.observations, errors, shares=scenario_shares(lik.scenario, shares),
                    totals=lik.scenario.targets.total_of)
    assert [t.id for t in matched.used()] == [t.id for t in lik.terms]
    np.testing.assert_allclose(sum(t.log_likelihood().values for t in matched.used()), ll, rtol=1e-10)


def test_counting_parameters_are_not_seen_by_the_observations(plan_likelihood):
    seen = dict(zip(plan_likelihood.keys, plan_likelihood.relevant(), strict=True))
    assert not any(v for k, v in seen.items() if k.startswith("counting."))
    assert seen["sectors.ecommerce.tfp_growth"] and seen["within_year.jan_oct.2020"]


@pytest.mark.slow
def test_infer_on_the_plan_writes_a_posterior_that_run_reads(tmp_path):
    from jdmodel.expost.posterior import infer, simulate_posterior

    post = infer("plan", draws=400, seed=2, io=False)
    assert post.ess > 20 and np.isfinite(post.log_evidence)
    t = post.targets
    assert str(t["evidence"].sel(target="output").values) == "observed"
    for name in ("enterprises", "projects", "scenarios"):        # no count is published: prior kept, and said
        assert str(t["evidence"].sel(target=name).values) == "assumed"
        assert float(t["headline"].sel(target=name)) == float(t["prior"].sel(target=name))
    assert "no observation: prior kept" in post.table()
    assert post.parameters["informed"].sel(parameter="discrepancy")
    path = tmp_path / "post.nc"
    post.to_netcdf(path)
    ds = simulate_posterior(path, io=False)
    assert ds.sizes["draw"] == post.draws
    np.testing.assert_allclose(ds["inputs"].sel(parameter="sectors.ecommerce.tfp_growth").values,
                               post.idata.posterior["sectors.ecommerce.tfp_growth"].values.ravel())
    p = jd.assess(ds).results[0].probability
    assert p == pytest.approx(float(t["posterior"].sel(target="output")), abs=1e-12)


# --- the backtest ---------------------------------------------------------------------------------------
def test_honest_scenario_widens_priors_set_on_later_figures_and_cuts_the_market():
    from jdmodel.expost.backtesting import cut_years, honest_scenario

    sc = jd.load_scenario("market_share")
    assert cut_years(sc) == [2021, 2022, 2023, 2024]          # the base year comes from the 2021 release
    honest, notes = honest_scenario(sc, 2021)
    p = honest.params["sectors.ecommerce.tfp_growth"]          # informed_by 1.6, a 2022 figure
    assert p.dist["dist"] == "uniform" and p.low < sc.params[p.key].low and p.high > sc.params[p.key].high
    assert honest.params["district.final_demand_growth"].dist["dist"] == "uniform"   # set on GDP to 2024
    assert honest.params["sectors.ecommerce.va_share"] == sc.params["sectors.ecommerce.va_share"]
    assert max(pt.year for pt in honest.plan.market.points) == 2021
    assert any("market series cut" in n for n in notes)
    later, _ = honest_scenario(sc, 2024)
    assert "sectors.ecommerce.tfp_growth" not in later.overrides


@pytest.mark.slow
def test_backtest_never_uses_an_observation_after_its_cut():
    from dataclasses import replace

    from jdmodel.expost.backtesting import backtest

    sc = jd.load_scenario("plan")
    obs = sc.plan.observations
    base = backtest(sc, until=2021, observed=obs, draws=200, seed=4, io=False)
    assert base.fitted[2021] and all(o.period.year <= 2021 for o in obs if o.id in base.fitted[2021])
    assert list(base.rows["id"].values) == ["1.6"]              # the 2022 total, predicted
    # the figures after the cut changed beyond recognition: the fit and its predictions must not move
    moved = tuple(replace(o, value=o.value * 3.0) if o.period.year > 2021 else o for o in obs)
    other = backtest(sc, until=2021, observed=moved, draws=200, seed=4, io=False)
    for q in ("q05", "q25", "q50", "q75", "q95"):
        np.testing.assert_array_equal(base.rows[q].values, other.rows[q].values)
    assert float(other.rows["observed"][0]) == pytest.approx(3 * 3119.2)
    assert 0.0 <= base.coverage["90%"] <= 1.0
    with pytest.raises(jd.ParameterError):
        backtest(sc, until=2019, draws=100)
