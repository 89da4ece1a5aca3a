"""Ex post: observation operator, error model, evaluate, calibrate, condition, CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy.stats import norm

import jdmodel as jd
from jdmodel.errors import ParameterError
from jdmodel.expost.calibrate import calibrate
from jdmodel.expost.condition import condition, weighted_quantile
from jdmodel.expost.evaluate import evaluate, required_growth
from jdmodel.expost.operator import ErrorModel, load_error_model, match, observe, scenario_shares
from jdmodel.params.observed import Observation, Period, load_observed

YEARS = np.arange(2020, 2031)
SRC = {"title": "synthetic", "publisher": "test", "date": "2026"}


def obs(id_, indicator, period, value, cls="OS", bound=None, growth=None):
    return Observation(id_, indicator, period, value, "亿元", cls, SRC, growth=growth, bound=bound)


def path_ds(values, name="online_economy_output"):
    return xr.Dataset({name: ("year", np.asarray(values, float))}, coords={"year": YEARS})


@pytest.fixture(scope="module")
def errors():
    return load_error_model()


@pytest.fixture(scope="module")
def report():
    return evaluate("baseline")


# --- error model ------------------------------------------------------------------------------
def test_error_model_orders_classes_and_reads_shares(errors):
    s = errors.scale
    assert s["OS"] < s["OG"] < s["NR"] < s["SE"]
    assert errors.sd("OS") == pytest.approx(math.hypot(s["OS"], errors.discrepancy))
    assert 0.43 <= errors.h1_share["gdp"] <= 0.50
    assert errors.use_growth is False and errors.drop_redundant_totals is True


def test_error_model_file_problems_are_all_reported(tmp_path):
    bad = tmp_path / "expost.toml"
    bad.write_text('[scale.OS]\nvalue = 0.9\nunit = "1"\nlow = 0.01\nhigh = 0.05\n'
                   'source = "assumption: x"\n'
                   '[discrepancy]\nvalue = 0.0\nunit = "%"\nlow = 0.0\nhigh = 0.1\n'
                   'source = "assumption: y"\n', encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        load_error_model(bad)
    text = str(err.value)
    assert "scale.OS" in text and "outside its range" in text
    assert "scale.SE" in text and "discrepancy" in text and "unit" in text


# --- the operator -----------------------------------------------------------------------------
def test_jan_oct_figure_is_compared_with_annual_times_share(errors):
    annual = np.linspace(1000, 2000, YEARS.size)
    ds = path_ds(annual)
    share = 0.8
    o = obs("a", "online_economy_output", Period(2021, 1, 10), share * annual[1])
    (term,) = match(ds, [o], errors, shares={(1, 10, 2021): share}).terms
    assert float(term.model) == pytest.approx(share * annual[1])
    assert float(term.log_error()) == pytest.approx(0.0, abs=1e-12)
    # compared with the full-year value the residual would be ln(1/0.8)/σ, not 0
    full = obs("b", "online_economy_output", Period(2021), share * annual[1])
    (wrong,) = match(ds, [full], errors, shares={(1, 10, 2021): share}).terms
    assert float(wrong.z()) == pytest.approx(math.log(1 / share) / errors.sd("OS"))


def test_half_years_use_the_h1_share(errors):
    ds = path_ds(np.full(YEARS.size, 1000.0), name="io_value_added").expand_dims(io_sector=["01"])
    ds = ds.transpose("year", "io_sector")
    h1, h2 = obs("h1", "gdp", Period(2022, 1, 6), 1.0, "OG"), obs("h2", "gdp", Period(2022, 7, 12), 1.0, "OG")
    t1, t2 = match(ds, [h1, h2], errors).terms
    w = errors.h1_share["gdp"]
    assert float(t1.model) == pytest.approx(1000 * w)
    assert float(t2.model) == pytest.approx(1000 * (1 - w))


def test_partial_year_without_a_share_is_never_compared(errors):
    ds = path_ds(np.full(YEARS.size, 100.0))
    q1 = obs("q1", "online_economy_output", Period(2021, 1, 3), 25.0)
    m = match(ds, [q1], errors, shares={(1, 10, 2021): 0.83})
    assert m.terms == [] and "no within-year share" in m.skipped[0].reason
    with pytest.raises(ValueError, match="never compared with a full-year value"):
        observe(ds["online_economy_output"], q1, 1.0)
    jo = obs("jo", "online_economy_output", Period(2021, 1, 10), 80.0)
    assert "no within-year share for months 01..10" in match(ds, [jo], errors).skipped[0].reason


def test_missing_observation_is_skipped_not_zero(errors):
    ds = path_ds(np.full(YEARS.size, 100.0))
    good = obs("g", "online_economy_output", Period(2022), 110.0)
    missing = obs("m", "online_economy_output", Period(2023), float("nan"))
    zero = obs("z", "online_economy_output", Period(2024), 0.0)
    m = match(ds, [good, missing, zero], errors)
    assert [t.id for t in m.terms] == ["g"]
    assert {s.obs.id for s in m.skipped} == {"m", "z"}
    assert "never read as 0" in next(s.reason for s in m.skipped if s.obs.id == "m")
    # a model without a value for the year: skipped as well, never a zero
    gap = ds.copy()
    gap["online_economy_output"][3] = np.nan
    y2023 = obs("y", "online_economy_output", Period(2023), 100.0)
    assert match(gap, [good, y2023], errors).skipped[0].obs.id == "y"


def test_lower_bound_is_a_normal_cdf_term(errors):
    values = np.array([2500.0, 3000.0, 3500.0])
    ds = xr.Dataset({"online_economy_output": (("draw", "year"), np.repeat(values[:, None], YEARS.size, 1))},
                    coords={"year": YEARS, "draw": np.arange(3)})
    bound = obs("lb", "online_economy_output", Period(2024), 3000.0, "NR", bound="lower")
    (t,) = match(ds, [bound], errors).terms
    sd = errors.sd("NR")
    expected = norm.logcdf(np.log(values / 3000.0) / sd)
    np.testing.assert_allclose(t.log_likelihood().values, expected)
    assert float(t.log_likelihood()[1]) == pytest.approx(math.log(0.5))


def test_growth_terms_only_when_asked(errors):
    ds = path_ds(100.0 * 1.1 ** (YEARS - 2020))
    o = obs("g", "online_economy_output", Period(2022), 121.0, growth=0.1)
    assert [t.kind for t in match(ds, [o], errors).terms] == ["level"]
    terms = match(ds, [o], errors.with_(use_growth=True)).terms
    assert [t.kind for t in terms] == ["level", "growth"]
    assert float(terms[1].log_error()) == pytest.approx(0.0, abs=1e-12)


# --- evaluate on the real observations ----------------------------------------------------------
def test_evaluate_real_2022_total_and_required_growth(report):
    row = report.row("1.6")
    assert row.obs.cls == "NR" and row.obs.value == pytest.approx(3119.2) and row.obs.period.full_year
    assert row.sd == pytest.approx(report.errors.sd("NR"))
    out = report.target("output")
    assert out.last.id == "1.6" and out.met is False
    assert out.required_growth == pytest.approx((4000 / 3119.2) ** (1 / 3) - 1)
    assert out.required_growth == pytest.approx(0.086, abs=0.001)
    assert out.model_growth is not None
    assert report.target("enterprises").last is None
    assert "3,119.2" in report.table() and "NR" in report.table()


def test_evaluate_jan_oct_rows_use_the_scenario_share(report, baseline):
    share = float(baseline["within_year.jan_oct.2021"])
    annual = float(report.results["output"].sel(sector="ecommerce", year=2021))
    row = report.row("1.3")
    assert float(row.model) == pytest.approx(share * annual)
    assert float(row.model) != pytest.approx(annual)


def test_evaluate_lists_skips_and_redundant_total(report):
    skipped = {s.obs.id: s.reason for s in report.skipped}
    assert "not produced by the model" in skipped["2.2"] and "2.3" in skipped
    assert "outside the model years" in skipped["3.1"]
    total = report.row("1.1")
    assert total.used is False and "sum of 1.2, 1.3, 1.4, 1.5" in total.note
    assert report.row("3.9").kind == "lower"
    ds = report.to_dataset()
    assert ds["published"].sel(observation="1.6") == pytest.approx(3119.2)
    assert str(ds["class"].sel(observation="1.6").values) == "NR"
    assert "<table>" in report._repr_html_()


def test_evaluate_without_io_skips_gdp_gracefully():
    rep = evaluate("baseline", io=False)
    reasons = [s.reason for s in rep.skipped if s.obs.indicator == "gdp"]
    assert reasons and all("input–output" in r for r in reasons)


def test_required_growth_known_answer():
    assert required_growth(2403.8, 4000.0, 5) == pytest.approx(0.1072, abs=1e-4)
    assert required_growth(100.0, 200.0, 0) is None


# --- calibrate ----------------------------------------------------------------------------------
TRUE = {"sectors.ecommerce.tfp_growth": 0.035, "sectors.online_services.tfp_growth": 0.065,
        "within_year.jan_oct.2021": 0.82}


def synthetic_observations(baseline, noise_seed=None):
    """Observations generated by the model itself at TRUE (with class-scale noise when seeded)."""
    truth = baseline.with_overrides(TRUE)
    ds = jd.simulate(truth, io=False)
    em = load_error_model()
    rng = np.random.default_rng(noise_seed) if noise_seed is not None else None
    out = []
    for year in range(2021, 2026):
        for sector, cls in (("ecommerce", "OS"), ("online_services", "OG")):
            value = float(ds["output"].sel(sector=sector, year=year))
            if rng is not None:
                value *= math.exp(rng.normal(0, em.sd(cls)))
            out.append(obs(f"{sector}-{year}", f"output.{sector}", Period(year), value, cls))
    jo = TRUE["within_year.jan_oct.2021"] * float(ds["online_economy_output"].sel(year=2021))
    out.append(obs("total-jo", "online_economy_output", Period(2021, 1, 10), jo, "OS"))
    return out


def test_calibration_recovers_known_parameters_exactly(baseline):
    cal = calibrate(baseline, observed=synthetic_observations(baseline), free=list(TRUE))
    for k, v in TRUE.items():
        assert cal.estimates[k] == pytest.approx(v, rel=1e-4), k
    assert 2 * cal.cost < 1e-8 and cal.identified


def test_calibration_recovers_parameters_within_standard_errors(baseline):
    cal = calibrate(baseline, observed=synthetic_observations(baseline, noise_seed=11), free=list(TRUE))
    for k, v in TRUE.items():
        se = cal.std_errors[k]
        assert 0 < se < math.inf and not cal.at_bound[k]
        assert abs(cal.estimates[k] - v) < 3 * se, (k, cal.estimates[k], se)
    assert cal.dof == 11 - 3
    assert 0.2 < cal.misfit < 3.0        # noise drawn at the class scales: Σr²/dof ≈ 1


def test_calibrated_scenario_carries_estimates_and_sources(baseline):
    cal = calibrate(baseline, free=["sectors.ecommerce.tfp_growth"])
    p = cal.scenario.params["sectors.ecommerce.tfp_growth"]
    assert p.value == pytest.approx(cal.estimates["sectors.ecommerce.tfp_growth"])
    assert p.source.startswith("calibrated:") and (p.low, p.high) == (-0.01, 0.05)
    assert -0.01 <= p.value <= 0.05
    assert "1.6" in cal.residuals["observation"].values
    assert "1.1" not in cal.residuals["observation"].values          # the redundant total
    assert "sectors.ecommerce.tfp_growth" in cal.table()


def test_calibrate_rejects_bad_free_parameters(baseline):
    with pytest.raises(ParameterError, match="no such parameter"):
        calibrate(baseline, free=["sectors.ecommerce.nope"])
    with pytest.raises(ParameterError, match="per-year path"):
        calibrate(baseline, free=["levers.funds.ecommerce"])
    with pytest.raises(ParameterError, match="needs a range"):
        key = "sectors.ecommerce.tfp_growth"
        calibrate(baseline, free=[key], bounds={key: (0.1, 0.1)})


def test_calibrate_refuses_a_search_range_outside_the_key_bounds_before_any_run(baseline, monkeypatch):
    import jdmodel.pipeline.simulate as pipeline

    def no_run(*args, **kwargs):
        raise AssertionError("calibrate ran the model before checking its search ranges")

    monkeypatch.setattr(pipeline, "simulate", no_run)
    tfp, share = "sectors.ecommerce.tfp_growth", "within_year.jan_oct.2020"

    def problems(free, bounds):
        with pytest.raises(ParameterError, match="calibrate: invalid free parameters") as err:
            calibrate(baseline, free=free, bounds=bounds)
        return err.value.problems

    assert problems([tfp], {tfp: (-2.0, 2.0)}) == [
        f"{tfp}: the search range [-2, 2] (from bounds=) leaves the bounds of this key: low -2 must be ≥ -0.5; "
        "high 2 must be ≤ 0.5 (bounds: ≥ -0.5 and ≤ 0.5 1/yr; docs/parameters.md)"]
    assert problems([tfp], {tfp: (0.0, 0.6)}) == [
        f"{tfp}: the search range [0, 0.6] (from bounds=) leaves the bounds of this key: high 0.6 must be ≤ 0.5 "
        "(bounds: ≥ -0.5 and ≤ 0.5 1/yr; docs/parameters.md)"]
    # an open bound is exclusive, as for low/high in a file: a within-year share is below 1
    assert problems([share], {share: (0.5, 1.0)}) == [
        f"{share}: the search range [0.5, 1] (from bounds=) leaves the bounds of this key: high 1 must be < 1 "
        "(bounds: ≥ 0.05 and < 1; docs/parameters.md)"]
    assert problems([tfp], {share: (0.7, 0.8)}) == [
        f"bounds={{{share!r}: ...}}: {share!r} is not a free parameter (free: {tfp})"]
    assert "needs a range low < high of finite numbers" in problems([tfp], {tfp: ("0", 0.1)})[0]
    assert "needs a range low < high of finite numbers" in problems([tfp], {tfp: (True, 0.1)})[0]
    assert "needs a range low < high of finite numbers" in problems([tfp], {tfp: (0.0, math.inf)})[0]
    assert problems([tfp], {tfp: 0.1}) == [f"{tfp}: bounds= gives 0.1; expected a pair (low, high)"]


def test_calibrate_stops_on_the_key_bound_when_the_figures_want_more(baseline, tmp_path):
    """Figures growing ~90 %/yr would need TFP growth beyond 0.5: the estimate ends on the bound, flagged."""
    from jdmodel.cli.expost import write_scenario

    key = "sectors.ecommerce.tfp_growth"
    ds = jd.simulate(baseline, io=False)
    fast = [obs(f"e-{y}", "output.ecommerce", Period(y),
                float(ds["output"].sel(sector="ecommerce", year=y)) * math.exp(0.9 * (y - 2020)), "OS")
            for y in range(2021, 2026)]
    cal = calibrate(baseline, observed=fast, free=[key], bounds={key: (-0.5, 0.5)})
    assert 0.5 - 1e-9 < cal.estimates[key] <= 0.5 and cal.at_bound[key]
    p = cal.scenario.params[key]
    assert (p.low, p.high) == (-0.5, 0.5) and p.value <= 0.5
    write_scenario(cal, "baseline", tmp_path / "cal.toml")
    back = jd.load_scenario(tmp_path / "cal.toml")           # the written file passes the checks of any file
    assert back[key] == pytest.approx(cal.estimates[key]) and back[key] <= 0.5


def test_calibrate_refuses_an_estimate_outside_its_bounds_before_using_it(baseline, monkeypatch):
    """The guard after the fit: were the optimiser to return a value outside the bounds, nothing is used."""
    import importlib
    from types import SimpleNamespace

    module = importlib.import_module("jdmodel.expost.calibrate")    # the package exports the function by that name
    key = "sectors.ecommerce.tfp_growth"
    for x, words in ((0.7, f"{key}: estimate 0.7 must be ≤ 0.5 (bounds: ≥ -0.5 and ≤ 0.5 1/yr)"),
                     (0.3, f"{key}: estimate 0.3 lies outside its search range [-0.01, 0.05]"),
                     (math.nan, f"{key}: estimate nan must be finite")):
        monkeypatch.setattr(module, "least_squares", lambda *a, x=x, **k: SimpleNamespace(x=np.array([x])))
        with pytest.raises(ParameterError, match="outside their bounds; nothing was used or written") as err:
            calibrate(baseline, free=[key])
        assert err.value.problems[0].startswith(words)


# --- condition ----------------------------------------------------------------------------------
MU0, TAU, SIGMA, T_OBS, G_OBS, Y0 = 0.08, 0.03, 0.10, 4, 0.06, 2500.0


def conjugate_ensemble(n=40_000, seed=5):
    g = np.random.default_rng(seed).normal(MU0, TAU, n)
    y = Y0 * np.exp(g[:, None] * (YEARS - 2020)[None, :])
    return xr.Dataset({"online_economy_output": (("draw", "year"), y),
                       "inputs": (("draw", "parameter"), g[:, None])},
                      coords={"draw": np.arange(n), "year": YEARS, "parameter": ["g"]})


def exact_errors(sigma):
    return ErrorModel(scale={"OS": sigma / 4, "OG": sigma / 2, "NR": sigma, "SE": 2 * sigma}, discrepancy=0.0)


def test_condition_matches_the_conjugate_normal_posterior():
    ens = conjugate_ensemble()
    y_obs = Y0 * math.exp(G_OBS * T_OBS)
    o = obs("y", "online_economy_output", Period(2020 + T_OBS), y_obs, "NR")
    post = condition(ens, observed=[o], errors=exact_errors(SIGMA))
    prec = 1 / TAU**2 + T_OBS**2 / SIGMA**2
    mean = (MU0 / TAU**2 + T_OBS * math.log(y_obs / Y0) / SIGMA**2) / prec
    var = 1 / prec
    g = ens["inputs"].sel(parameter="g")
    m, v = float(post.mean(g)), float(post.var(g))
    assert abs(m - mean) < 4 * math.sqrt(var / post.ess)
    assert abs(v / var - 1) < 4 * math.sqrt(2 / post.ess)
    assert float(post.parameters["posterior_mean"].sel(parameter="g")) == pytest.approx(m)
    assert 0.3 * ens.sizes["draw"] < post.ess < ens.sizes["draw"]
    assert float(post.weights.sum()) == pytest.approx(1.0)


def test_condition_warns_when_ess_collapses():
    ens = conjugate_ensemble(n=2000)
    o = obs("y", "online_economy_output", Period(2024), Y0 * math.exp(0.02 * 4), "NR")
    with pytest.warns(UserWarning, match="effective sample size collapsed"):
        post = condition(ens, observed=[o], errors=exact_errors(0.002))
    assert post.ess < 20


def test_condition_weighted_target_probabilities_and_quantiles():
    ens = conjugate_ensemble(n=5000)
    o = obs("y", "online_economy_output", Period(2022), Y0 * math.exp(0.1 * 2), "NR")
    post = condition(ens, observed=[o], errors=exact_errors(SIGMA), scenario="baseline")
    hit = (ens["online_economy_output"].sel(year=2025) > 4000).astype(float)
    r = post.targets.sel(target="output")
    assert float(r["prior"]) == pytest.approx(float(hit.mean()))
    assert float(r["posterior"]) == pytest.approx(float((hit * post.weights).sum()))
    assert float(r["posterior"]) > float(r["prior"])        # the observation favours fast growth
    q = post.quantiles["online_economy_output"]
    np.testing.assert_allclose(q.sel(which="prior").values,
                               np.quantile(ens["online_economy_output"].values, q["quantile"].values, axis=0,
                                           method="hazen"), rtol=1e-12)
    assert "output" in post.table() and "weight" in post.to_dataset()


def test_weighted_quantile_known_answers():
    x = np.array([3.0, 1.0, 2.0, 5.0])
    q = [0.05, 0.5, 0.95]
    np.testing.assert_allclose(weighted_quantile(x, np.full(4, 0.25), q), np.quantile(x, q, method="hazen"))
    np.testing.assert_allclose(weighted_quantile(x, np.array([0.0, 0.0, 0.0, 1.0]), q), 5.0)
    # N(0, 1) draws reweighted by the likelihood ratio of N(1, 1): the quantiles of N(1, 1)
    z = np.random.default_rng(3).standard_normal(200_000)
    w = np.exp(z - 0.5)
    got = weighted_quantile(z, w / w.sum(), [0.1, 0.5, 0.9])
    np.testing.assert_allclose(got, 1.0 + norm.ppf([0.1, 0.5, 0.9]), atol=0.03)


def test_condition_real_ensemble_runs_and_reports(baseline):
    ens = jd.simulate(baseline, draws=300, seed=1, io=False)
    with pytest.warns(UserWarning, match="effective sample size"):
        post = condition(ens)
    used = {t.id for t in post.matched.used()}
    assert {"1.2", "1.3", "1.6"} <= used and "1.1" not in used
    # the January–October share is read per draw from the ensemble's sampled inputs
    jo = next(t for t in post.matched.terms if t.id == "1.3")
    share = ens["inputs"].sel(parameter="within_year.jan_oct.2021")
    annual = ens["output"].sel(sector="ecommerce", year=2021)
    np.testing.assert_allclose(jo.model.values, (share * annual).values)
    assert 0.0 <= float(post.targets["posterior"].sel(target="output")) <= 1.0
    assert "output" in post.table()


def test_condition_needs_a_draw_dimension():
    with pytest.raises(ParameterError, match="draw"):
        condition(path_ds(np.ones(YEARS.size)))


# --- command line -------------------------------------------------------------------------------
def test_cli_evaluate_and_calibrate_write_a_checkable_scenario(tmp_path, capsys):
    from jdmodel.cli import main

    assert main(["evaluate", "baseline", "--no-io"]) == 0
    assert "3,119.2" in capsys.readouterr().out
    out = tmp_path / "cal.toml"
    assert main(["calibrate", "baseline", "--free", "sectors.ecommerce.tfp_growth", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'extends = "baseline"' in text and "calibrated:" in text
    assert main(["check", str(out)]) == 0
    sc = jd.load_scenario(out)
    assert sc.params["sectors.ecommerce.tfp_growth"].source.startswith("calibrated:")
    capsys.readouterr()
    assert main(["calibrate", "baseline", "--free", "sectors.nope.tfp_growth"]) == 2
    assert "sectors.nope.tfp_growth" in capsys.readouterr().err


def test_the_central_run_explains_the_jan_oct_2021_release(baseline):
    """With the central values, Jan–Oct 2021 = annual 2021 × the 2021 share: total within 10 %, components within σ."""
    ds = jd.simulate(baseline, io=False)
    errors = load_error_model()
    m = match(ds, load_observed("jiading"), errors, shares=scenario_shares(baseline))
    terms = {t.obs.id: t for t in m.terms}
    share = baseline["within_year.jan_oct.2021"]
    total = terms["1.1"]
    assert float(total.model) == pytest.approx(share * float(ds.online_economy_output.sel(year=2021)), rel=1e-12)
    assert abs(float(total.model) / 2784.9 - 1) < 0.10
    annual = float(ds.online_economy_output.sel(year=2021))
    assert abs(annual / 2784.9 - 1) > 0.15          # compared with the annual value it would not fit
    for oid in ("1.2", "1.3", "1.4", "1.5"):
        assert abs(float(terms[oid].log_error())) < terms[oid].sd, oid
