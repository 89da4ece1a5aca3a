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


def _trend_value_added(ds, sc):
    """Value added without the shock deviations (what the production function gives)."""
    p = sc.plan
    dev = growth.shock_deviation(
        np.array([[sc.params[f"sectors.{s}.shock"].value if f"sectors.{s}.shock" in sc.params else 0.0
                   for s in SECTORS]]),
        np.array([[sc.params[f"sectors.{s}.rebound"].value if f"sectors.{s}.rebound" in sc.params else 0.0
                   for s in SECTORS]]),
        len(p.years.all), None if p.shock is None else p.shock[0] - p.years.base)[0]
    return ds.value_added / (1.0 + dev)


def test_engine_log_growth_decomposes_exactly(baseline):
    sc = jd.load_scenario("plan")
    ds = jd.simulate(sc, io=False)
    v = _trend_value_added(ds, sc)
    d = np.log(ds[["tfp", "capital", "talent", "land"]]).diff("year")
    dv = np.log(v).diff("year")
    for s in SECTORS:
        a, b, c = (sc[f"sectors.{s}.{e}"] for e in ("alpha", "beta", "gamma"))
        rhs = d.tfp + a * d.capital + b * d.talent + c * d.land
        np.testing.assert_allclose(dv.sel(sector=s), rhs.sel(sector=s), rtol=1e-10, atol=1e-13)
        # what the statistics measure is value added over margin × value-added share, every year
        ratio = sc[f"sectors.{s}.margin"] * sc[f"sectors.{s}.va_share"]
        np.testing.assert_allclose(ds.output.sel(sector=s), ds.value_added.sel(sector=s) / ratio, rtol=1e-12)


def test_investment_is_a_share_of_value_added_hand_computed_over_three_years(baseline):
    """K₀ = s V₀/(g₀ + δ); K_{t+1} = (1 − δ) K_t + s V_t + m F_{t+1}; V = A K^α H^β L^γ, worked year by year."""
    sc = baseline.with_overrides({
        "levers.funds.ecommerce": 3.0, "levers.talent.ecommerce": 500.0, "levers.land.ecommerce": 2.0,
        "district.land_budget": 40000.0, "sectors.ecommerce.shock": 0.0, "sectors.ecommerce.rebound": 0.0,
        "district.infrastructure": [1 + 0.04 * t for t in range(1, 11)],   # constant Δ = 0.04
        "district.business_environment": [1 + 0.01 * t for t in range(1, 11)],
    })
    ds = jd.simulate(sc, io=False).sel(sector="ecommerce")
    p = {k.split(".")[-1]: sc[k] for k in sc.params if k.startswith("sectors.ecommerce.")}
    a, b, c, s, dep = p["alpha"], p["beta"], p["gamma"], p["investment_rate"], p["depreciation"]
    V = p["base_output"] * p["margin"] * p["va_share"]
    K = s * V / (p["pre_growth"] + dep)
    H, L = p["talent_base"], p["land_base"]
    A = V / (K**a * H**b * L**c)
    g = p["tfp_growth"] + p["infra_effect"] * 0.04 + p["environment_effect"] * 0.01
    expected_K, expected_V = [K], [V]
    for _ in range(3):
        K = (1 - dep) * K + s * V + p["leverage"] * 3.0
        H = (1 - p["talent_attrition"]) * H + p["talent_organic"] + 500.0
        L = L + 2.0
        A = A * (1 + g)
        V = A * K**a * H**b * L**c
        expected_K.append(K)
        expected_V.append(V)
    np.testing.assert_allclose(ds.capital.values[:4], expected_K, rtol=1e-12)
    np.testing.assert_allclose(ds.value_added.values[:4], expected_V, rtol=1e-12)
    np.testing.assert_allclose(ds.output.values[:4], np.array(expected_V) / (p["margin"] * p["va_share"]), rtol=1e-12)


def test_the_shock_stays_within_its_span(baseline):
    """The base year is reproduced whatever the shock; the rebound moves only its own year."""
    key = "sectors.online_services"
    a = jd.simulate(baseline.with_overrides({f"{key}.rebound": 0.0}), io=False).output.sel(sector="online_services")
    b = jd.simulate(baseline.with_overrides({f"{key}.rebound": 0.3}), io=False).output.sel(sector="online_services")
    assert float(b.sel(year=2021)) == pytest.approx(1.3 * float(a.sel(year=2021)), rel=1e-12)
    np.testing.assert_allclose(b.sel(year=slice(2022, None)), a.sel(year=slice(2022, None)), rtol=1e-13)
    assert float(b.sel(year=2020)) == float(a.sel(year=2020)) == pytest.approx(baseline[f"{key}.base_output"])
    c = jd.simulate(baseline.with_overrides({f"{key}.shock": -0.2}), io=False)
    assert float(c.output.sel(sector="online_services", year=2020)) == pytest.approx(baseline[f"{key}.base_output"])
    # the trend behind the shocked base year is higher: 2022 (after the span) is above the no-shock run
    assert float(c.output.sel(sector="online_services", year=2022)) > float(a.sel(year=2022))


def test_land_budget_binds_pro_rata():
    granted, remaining = growth.land_grant(np.array([[4.0, 6.0], [1.0, 1.0]]), np.array([5.0, 10.0]))
    np.testing.assert_allclose(granted, [[2.0, 3.0], [1.0, 1.0]])
    np.testing.assert_allclose(remaining, [0.0, 8.0])


def _numpy_year(t, K, H, L, A, V, prm, funds, talent, land, d_infra, d_env, remaining):
    """One lever year with the documented numpy functions, as the engine runs them without numba."""
    K = growth.capital_step(K, prm["depreciation"], prm["investment_rate"] * V, prm["leverage"], funds[:, :, t])
    H = growth.talent_step(H, prm["talent_attrition"], prm["talent_organic"], talent[:, :, t])
    granted, remaining = growth.land_grant(land[:, :, t], remaining)
    A = growth.tfp_step(A, prm["tfp_growth"], prm["infra_effect"], d_infra[:, t, None], prm["environment_effect"],
                        d_env[:, t, None])
    return K, H, L + granted, A, granted, remaining


@pytest.mark.parametrize("S", [1, 5, 9])
def test_compiled_lever_year_gives_the_numpy_bits(S):
    """``year_into`` against the numpy functions: equal to the bit, with the land budget binding in some
    draws and not in others, zero requests, lever paths shared by every draw, and NaN carried through."""
    from jdmodel import _jit
    from jdmodel.engine import _STEP_PARAMS

    if not _jit.enabled():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(S)
    D, T = 600, 4
    prm = {k: rng.uniform(0.0, 0.3, (D, S)) for k in _STEP_PARAMS}
    prm["talent_organic"] = rng.uniform(0, 500, (D, S))
    prm["leverage"] = rng.uniform(0.5, 3.0, (D, S))
    K, H, L, A, V = (rng.uniform(1.0, 1e3, (D, S)) for _ in range(5))
    funds, talent = rng.uniform(0, 5, (D, S, T)), np.broadcast_to(rng.uniform(0, 300, (1, S, T)), (D, S, T))
    land = rng.uniform(0, 10, (D, S, T))
    land[::7] = 0.0                                       # nothing requested
    remaining = rng.uniform(0, 40, D)                     # binds in some draws, not in others
    K[3, 0] = np.nan
    d_infra, d_env = rng.normal(0, 0.05, (D, T)), rng.normal(0, 0.05, (D, T))
    state = [a.copy() for a in (K, H, L, A)]
    left, granted = remaining.copy(), np.zeros((D, S, T))
    paths = [np.zeros((T + 1, D, S)) for _ in range(4)]
    ref = (K, H, L, A, remaining)
    lean_state, lean_left, lean_granted = [a.copy() for a in (K, H, L, A)], remaining.copy(), np.zeros((D, S, T))
    bad, untouched = np.zeros(D, dtype=np.bool_), np.full((T + 1, D, S), 7.0)
    for t in range(T):
        growth.year_into(t, *state, V, *(prm[k] for k in _STEP_PARAMS), funds, talent, land, d_infra, d_env, left,
                         granted, *paths, True, bad)
        # without keep: the same state, no path written, the draws whose state is not a finite number ≥ 0 flagged
        growth.year_into(t, *lean_state, V, *(prm[k] for k in _STEP_PARAMS), funds, talent, land, d_infra, d_env,
                         lean_left, lean_granted, *([untouched] * 4), False, bad)
        for got, want in zip(lean_state + [lean_left], state + [left], strict=True):
            assert np.array_equal(got, want, equal_nan=True)
        *new, g, rem = _numpy_year(t, *ref[:4], V, prm, funds, talent, land, d_infra, d_env, ref[4])
        ref = (*new, rem)
        for got, want in zip(state + [left, granted[:, :, t]], new + [rem, g], strict=True):
            assert np.array_equal(got, want, equal_nan=True)
        for path, want in zip(paths, new, strict=True):
            assert np.array_equal(path[t + 1], want, equal_nan=True)
    assert (left == 0).any() and (left > 0).any()         # the budget bound in some draws only
    assert (untouched == 7.0).all() and np.array_equal(lean_granted, granted)
    assert np.flatnonzero(bad).tolist() == [3]               # the NaN capital, and nothing else
    assert np.isnan(state[0][3, 0]) and not np.isnan(state[0][4, 0])


def test_sector_sum_adds_sectors_in_order():
    a = np.array([[1e16, 1.0, 1.0, -1e16]])
    assert growth.sector_sum(a)[0] == ((1e16 + 1.0) + 1.0) - 1e16          # 0.0, not 2.0: the order is fixed
    assert growth.sector_sum(np.zeros((3, 0))).tolist() == [0.0, 0.0, 0.0]
