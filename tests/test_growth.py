"""Growth block: the growth-accounting identity and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jdmodel as jd
from jdmodel import growth
from jdmodel.params.plan import load_plan

SECTORS = load_plan("jiading").sector_ids


pos = st.floats(0.5, 50.0)
elas = st.floats(0.05, 0.6)
small = st.floats(-1e-3, 1e-3)


@settings(max_examples=200, deadline=None)
@given(A=pos, K=pos, H=pos, L=pos, a=elas, b=elas, c=elas, gA=small, gK=small, gH=small, gL=small)
def test_growth_accounting_identity_for_small_steps(A, K, H, L, a, b, c, gA, gK, gH, gL):
    y0 = growth.cobb_douglas(A, K, H, L, a, b, c)
    y1 = growth.cobb_douglas(A * (1 + gA), K * (1 + gK), H * (1 + gH), L * (1 + gL), a, b, c)
    g_y = y1 / y0 - 1
    # first-order identity g_Y = g_A + α g_K + β g_H + γ g_L, exact up to second-order terms
    assert g_y == pytest.approx(gA + a * gK + b * gH + c * gL, abs=2e-5)
    # and exact in logs
    assert np.log(y1 / y0) == pytest.approx(np.log1p(gA) + a * np.log1p(gK) + b * np.log1p(gH) + c * np.log1p(gL),
                                            abs=1e-12)


def test_engine_log_growth_decomposes_exactly(baseline):
    ds = jd.simulate("plan", io=False)
    d = np.log(ds[["output", "tfp", "capital", "talent", "land"]]).diff("year")
    sc = jd.load_scenario("plan")
    for s in SECTORS:
        a, b, c = (sc[f"sectors.{s}.{e}"] for e in ("alpha", "beta", "gamma"))
        rhs = d.tfp + a * d.capital + b * d.talent + c * d.land
        np.testing.assert_allclose(d.output.sel(sector=s), rhs.sel(sector=s), rtol=1e-10, atol=1e-13)


def test_closed_form_for_a_constant_lever_path(baseline):
    """K_t = K* + (K0 − K*)(1−δ)^t with K* = (I + mF)/δ; H likewise; L linear; A geometric."""
    sc = baseline.with_overrides({
        "levers.funds.ecommerce": 3.0, "levers.talent.ecommerce": 500.0, "levers.land.ecommerce": 2.0,
        "district.land_budget": 1e6,
        "district.infrastructure": [1 + 0.04 * t for t in range(1, 11)],   # constant Δ = 0.04
        "district.business_environment": [1 + 0.01 * t for t in range(1, 11)],
    })
    ds = jd.simulate(sc, io=False).sel(sector="ecommerce")
    p = {k.split(".")[-1]: sc[k] for k in sc.params if k.startswith("sectors.ecommerce.")}
    t = np.arange(11)
    Y0 = p["base_output"]
    K0 = p["capital_output_ratio"] * Y0
    Kstar = (p["investment_rate"] * Y0 + p["leverage"] * 3.0) / p["depreciation"]
    K = Kstar + (K0 - Kstar) * (1 - p["depreciation"]) ** t
    Hstar = (p["talent_organic"] + 500.0) / p["talent_attrition"]
    H = Hstar + (p["talent_base"] - Hstar) * (1 - p["talent_attrition"]) ** t
    L = p["land_base"] + 2.0 * t
    A0 = Y0 / (K0 ** p["alpha"] * p["talent_base"] ** p["beta"] * p["land_base"] ** p["gamma"])
    A = A0 * (1 + p["tfp_growth"] + p["infra_effect"] * 0.04 + p["environment_effect"] * 0.01) ** t
    Y = A * K ** p["alpha"] * H ** p["beta"] * L ** p["gamma"]
    np.testing.assert_allclose(ds.capital, K, rtol=1e-12)
    np.testing.assert_allclose(ds.talent, H, rtol=1e-12)
    np.testing.assert_allclose(ds.land, L, rtol=1e-12)
    np.testing.assert_allclose(ds.output, Y, rtol=1e-11)


def test_land_budget_binds_pro_rata():
    granted, remaining = growth.land_grant(np.array([[4.0, 6.0], [1.0, 1.0]]), np.array([5.0, 10.0]))
    np.testing.assert_allclose(granted, [[2.0, 3.0], [1.0, 1.0]])
    np.testing.assert_allclose(remaining, [0.0, 8.0])
