"""Scenario-level uncertainty: distributions from TOML, P(reach) against closed forms, sensitivity, discovery."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import spearmanr

import jdmodel as jd
from jdmodel.pipeline.sampling import uncertain_parameters


def _only_uncertain(sc, key, table):
    """``sc`` with every ranged parameter fixed at its central value except ``key``."""
    fixed = {k: float(sc[k]) for k, _ in uncertain_parameters(sc) if k != key}
    return sc.with_overrides({**fixed, key: table})


def test_p_reach_matches_the_analytic_probability_under_a_uniform_input(baseline):
    key = "sectors.ecommerce.tfp_growth"
    lo, hi = -0.01, 0.05
    sc = _only_uncertain(baseline, key, {"value": 0.02, "unit": "1/yr", "low": lo, "high": hi, "dist": "uniform",
                                         "source": "test"})
    (only,) = uncertain_parameters(sc)
    assert only[0] == key

    def total_2025(g):
        ds = jd.simulate(sc.with_overrides({key: g}), io=False)
        return float(ds.online_economy_output.sel(year=2025)) - 4000.0

    g_star = brentq(total_2025, lo, hi, xtol=1e-12)     # output is increasing in g: reached iff g > g*
    p_exact = (hi - g_star) / (hi - lo)
    rep = jd.assess(jd.simulate(sc, draws=4000, seed=5, design="mc", io=False))
    r = next(r for r in rep.results if r.target.id == "output")
    assert abs(r.probability - p_exact) < 3 * np.sqrt(p_exact * (1 - p_exact) / 4000)


def test_distributions_from_toml_have_their_moments(tmp_path, baseline):
    f = tmp_path / "d.toml"
    f.write_text('extends = "baseline"\n'
                 'sectors.ecommerce.leverage = { value = 3.0, unit = "1", low = 1.0, high = 6.0, dist = "pert", '
                 'source = "assumption: t" }\n'
                 'sectors.ecommerce.tfp_growth = { value = 0.05, unit = "1/yr", sd = 0.01, dist = "normal", '
                 'source = "assumption: t", low = 0.0, high = 0.1 }\n', encoding="utf-8")
    ens = jd.simulate(jd.load_scenario(f), draws=20000, seed=3, io=False)
    lev = ens.inputs.sel(parameter="sectors.ecommerce.leverage").values
    g = ens.inputs.sel(parameter="sectors.ecommerce.tfp_growth").values
    assert lev.mean() == pytest.approx((1 + 4 * 3 + 6) / 6, rel=0.01)          # PERT mean (a + 4m + b) / 6
    assert g.mean() == pytest.approx(0.05, abs=3e-4) and g.std() == pytest.approx(0.01, rel=0.03)


def test_rank_correlation_from_toml_is_achieved(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('extends = "baseline"\n[[correlations]]\n'
                 'params = ["sectors.ecommerce.tfp_growth", "sectors.online_services.tfp_growth"]\nrho = 0.6\n',
                 encoding="utf-8")
    sc = jd.load_scenario(f)
    ens = jd.simulate(sc, draws=5000, seed=1, io=False)
    a = ens.inputs.sel(parameter="sectors.ecommerce.tfp_growth")
    b = ens.inputs.sel(parameter="sectors.online_services.tfp_growth")
    assert spearmanr(a, b).statistic == pytest.approx(0.6, abs=0.03)
    assert sc.sha256 != jd.load_scenario("baseline").sha256


def test_sensitivity_of_the_scenario():
    si = jd.sensitivity("plan", outputs=["online_economy_output"], n=128, seed=1, years=[2025], n_boot=50)
    st = si.ST.sel(output="online_economy_output", year=2025)
    # smart transport is not in the bureau's total: its parameters cannot matter to it
    smart = [p for p in si.parameter.values if ".smart_transport." in p]
    assert float(abs(st.sel(parameter=smart)).max()) == 0.0
    assert st.idxmax().item() == "sectors.ecommerce.tfp_growth"
    assert si.attrs["parameters_sha256"] == jd.load_scenario("plan").sha256


def test_morris_on_the_scenario_and_sensitivity_on_a_callable():
    mo = jd.sensitivity("plan", method="morris", n=20, seed=2, years=[2025], n_boot=20)
    assert {"mu_star", "sigma", "mu_star_conf"} <= set(mo.data_vars)
    si = jd.sensitivity(lambda X: X[:, 0] + 2 * X[:, 1], bounds={"a": (0, 1), "b": (0, 1)}, n=512, seed=1,
                        n_boot=50)
    # linear additive: S1 = ST = c_i² / Σ c²  → 0.2, 0.8
    np.testing.assert_allclose(si.S1.values, [0.2, 0.8], atol=0.05)


def test_discover_finds_a_box_where_the_output_target_is_missed():
    ens = jd.simulate("plan", draws=3000, seed=4, io=False)
    res = jd.discover(ens, target="output")
    box = res.box
    assert "sectors.ecommerce.tfp_growth" in box
    missed = ~(ens.online_economy_output.sel(year=2025).values > 4000)
    inside = res.inside(ens.inputs.transpose("draw", "parameter").values)
    assert missed[inside].mean() > missed.mean()       # denser in failures than the whole sample
