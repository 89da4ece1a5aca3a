"""jdmodel.symbolic: sympy equations run as the engine runs, derivations, docs generated from the source.

The proofs run for every shipped plan and scenario (``available_plans()``) and for a plan written
here that differs from them in every respect the package must not assume: its sectors and their
abbreviations, its years and shock span, its market and market sector, two total and two linked
indicators.
"""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import jdmodel as jd
from jdmodel import engine, growth
from jdmodel.errors import ModelError, ParameterError
from jdmodel.params.plan import available_plans, load_plan
from jdmodel.params.scenario import central_values, options
from jdmodel.params.schema import SCHEMA
from jdmodel.pipeline.simulate import run_engine
from jdmodel.symbolic import kernel
from jdmodel.symbolic import model as M
from jdmodel.symbolic.accounting import default_periods, growth_accounting
from jdmodel.symbolic.derivations import (
    doubling_time,
    ecommerce_arithmetic,
    g_V,
    path_arithmetic,
    required_cagr,
    steady_state,
)
from jdmodel.symbolic.display import equations, markdown_doc
from jdmodel.symbolic.levers import elasticities, lever_for_output

BASE = jd.load_scenario("baseline")
MARKET = jd.load_scenario("market_share")
PLANS = available_plans()
PLAN_SCENARIOS = [(p, s) for p in PLANS for s in load_plan(p).scenarios()]
GROWTH_KEYS = ("output", "value_added", "capital", "talent", "land", "tfp")

# --- a plan unlike the shipped ones ------------------------------------------------------------------
TOY_PLAN = """
title_en = "A toy plan"
region_en = "A toy region"
counterfactual = "baseline"

[years]
base = 2015
plan = [2016, 2019]
horizon = 2022

[[sectors]]
id = "robots"
en = "Robots"
colour = "#0072B2"
abbr = "rb"

[[sectors]]
id = "biotech"
en = "Biotech"
colour = "#CC79A7"
abbr = "bt"

[[sectors]]
id = "freight"
en = "Freight"
colour = "#E69F00"
abbr = "fr"

[[totals]]
id = "tech_output"
sectors = ["robots", "biotech"]
en = "Technology output"

[[totals]]
id = "all_output"
sectors = ["freight", "robots", "biotech"]
en = "All output"

[[linked]]
id = "robot_exports"
sector = "robots"
en = "Robot exports"

[[linked]]
id = "parcels"
sector = "freight"
en = "Parcels"

[shock]
years = [2016, 2017]
source = "toy: a strike and its recovery"

[market]
sector = "freight"
"""

# published from after the base year (the first interval's growth runs back to it), a gap interpolated
# log-linearly, growth at market.growth after the last published year
TOY_MARKET = """
[series]
id = "toy_haulage"
en = "Haulage market"
unit = "亿元"
source = "toy"

[[series.point]]
year = 2016
value = 5000
class = "OS"
source = "toy"

[[series.point]]
year = 2018
value = 5800
class = "OS"
source = "toy"

[[series.point]]
year = 2019
value = 6100
class = "OS"
source = "toy"
"""

TOY_TARGETS = """
[targets.tech]
indicator = "tech_output"
threshold = 900
unit = "亿元"
year = 2019
comparison = ">"
citation = "toy"

[paths.exports]
indicator = "robot_exports"
base_year = 2014
base_value = 100
growth = 0.1
start_year = 2016
target_year = 2019
target_value = 150
unit = "亿元"
citation = "toy"
"""

_TOY_SECTORS = ("robots", "biotech", "freight")
_TOY_PARAMS = {  # key: (unit, robots, biotech, freight)
    "base_output": ("亿元", 300.0, 500.0, 200.0),
    "margin": ("1", 1.0, 0.9, 0.3),
    "va_share": ("1", 0.4, 0.5, 0.6),
    "pre_growth": ("1/yr", 0.08, 0.05, 0.1),
    "depreciation": ("1/yr", 0.1, 0.12, 0.08),
    "investment_rate": ("1", 0.3, 0.2, 0.35),
    "leverage": ("1", 3.0, 2.0, 4.0),
    "talent_base": ("人", 8000, 12000, 5000),
    "talent_attrition": ("1/yr", 0.08, 0.06, 0.1),
    "talent_organic": ("人/yr", 800, 1000, 400),
    "land_base": ("公顷", 80, 60, 150),
    "alpha": ("1", 0.35, 0.25, 0.4),
    "beta": ("1", 0.45, 0.55, 0.3),
    "gamma": ("1", 0.1, 0.05, 0.15),
    "tfp_growth": ("1/yr", 0.05, 0.02, 0.03),
    "infra_effect": ("1", 0.15, 0.05, 0.2),
    "environment_effect": ("1", 0.05, 0.05, 0.02),
    "shock": ("1", -0.12, 0.05, -0.2),
    "rebound": ("1", 0.08, -0.03, 0.1),
}
_TOY_LEVERS = {"funds": ("亿元/yr", 1.0, 2.0, 0.5), "talent": ("人/yr", 300, 200, 100),
               "land": ("公顷/yr", 3.0, 1.0, 4.0)}


def _write_toy_plan(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "plan.toml").write_text(TOY_PLAN, encoding="utf-8")
    (folder / "market.toml").write_text(TOY_MARKET, encoding="utf-8")
    (folder / "targets.toml").write_text(TOY_TARGETS, encoding="utf-8")
    lines = ['name = "baseline"', "", "[model]", 'variant = { value = "supply", source = "toy" }']
    for i, s in enumerate(_TOY_SECTORS):
        lines += ["", f"[sectors.{s}]"]
        lines += [f'{k} = {{ value = {v[1 + i]}, unit = "{v[0]}", source = "toy" }}' for k, v in _TOY_PARAMS.items()]
    for lever, (unit, *vals) in _TOY_LEVERS.items():
        lines += ["", f"[levers.{lever}]"]
        lines += [f'{s} = {{ value = {v}, unit = "{unit}", source = "toy" }}'
                  for s, v in zip(_TOY_SECTORS, vals, strict=True)]
    infra = ", ".join(f"{1.04 ** (k + 1):.4f}" for k in range(7))
    lines += ["", "[district]",
              'land_budget = { value = 30.0, unit = "公顷", source = "toy: binds from the fourth lever year" }',
              f'infrastructure = {{ value = [{infra}], unit = "index", source = "toy" }}',
              'business_environment = { value = 1.02, unit = "index", source = "toy" }',
              'final_demand_growth = { value = 0.04, unit = "1/yr", source = "toy" }',
              "", "[linked.robot_exports]", 'base = { value = 120.0, unit = "亿元", source = "toy" }',
              'elasticity = { value = 1.2, unit = "1", source = "toy" }',
              "", "[linked.parcels]", 'base = { value = 40.0, unit = "亿元", source = "toy" }',
              'elasticity = { value = 0.8, unit = "1", source = "toy" }',
              "", "[market]", 'share_elasticity = { value = 0.6, unit = "1", source = "toy" }',
              'growth = { value = 0.05, unit = "1/yr", source = "toy" }']
    (folder / "baseline.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "market_share.toml").write_text(
        'extends = "baseline"\n\n[model]\nvariant = { value = "market_share", source = "toy" }\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def toy_folder(tmp_path_factory):
    return _write_toy_plan(tmp_path_factory.mktemp("plans") / "toy")


@pytest.fixture(scope="module")
def toy(toy_folder):
    """The baseline scenario of the toy plan (supply side, shock span 2016–2017)."""
    return jd.load_scenario(toy_folder)


@pytest.fixture(scope="module")
def toy_market(toy_folder):
    """The toy plan's market-share scenario: freight on its market."""
    return jd.load_scenario("market_share", plan=toy_folder)


def _scenario(plan: str, name: str = "baseline"):
    return jd.load_scenario(name, plan=plan)


def _random_step(rng: np.random.Generator, d: int, S: int) -> tuple[dict, dict, dict]:
    """Random states, levers and parameters over (draw, sector): land budgets that bind in some draws only."""
    u = lambda lo, hi, shape=(d, S): rng.uniform(lo, hi, shape)  # noqa: E731
    state = {
        "capital": u(1, 2000),
        "talent": u(100, 60000),
        "land": u(5, 500),
        "tfp": u(0.01, 2),
        "land_budget": u(0, 60, (d, 1)) * (rng.random((d, 1)) > 0.1),
        "value_added": u(1, 1500),
    }
    land = u(0, 15) * (rng.random((d, S)) > 0.2)
    land[: d // 10] = 0.0  # no requests at all: the share must be 1, not 0/0
    inputs = {
        "funds": u(0, 30),
        "talent_lever": u(0, 2000),
        "land_lever": land,
        "land_requested_total": land.sum(axis=1, keepdims=True),
        "d_infrastructure": u(-0.05, 0.2, (d, 1)),
        "d_environment": u(-0.05, 0.1, (d, 1)),
    }
    params = {
        "investment_rate": u(0, 0.4),
        "depreciation": u(0, 0.3),
        "leverage": u(0, 6),
        "talent_attrition": u(0, 0.2),
        "talent_organic": u(0, 5000),
        "tfp_growth": u(-0.05, 0.12),
        "infra_effect": u(0, 0.3),
        "environment_effect": u(0, 0.1),
        "alpha": u(0.1, 0.5),
        "beta": u(0.1, 0.6),
        "gamma": u(0.02, 0.2),
    }
    return state, inputs, params


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_lambdified_update_equals_the_engines_growth_functions(seed, plan):
    state, inputs, p = _random_step(np.random.default_rng(seed), 400, len(load_plan(plan).sectors))
    new = kernel.update(state, inputs, p)
    K = growth.capital_step(
        state["capital"],
        p["depreciation"],
        p["investment_rate"] * state["value_added"],  # investment out of last year's trend value added
        p["leverage"],
        inputs["funds"],
    )
    H = growth.talent_step(
        state["talent"], p["talent_attrition"], p["talent_organic"], inputs["talent_lever"]
    )
    granted, remaining = growth.land_grant(inputs["land_lever"], state["land_budget"][:, 0])
    L = state["land"] + granted
    A = growth.tfp_step(
        state["tfp"],
        p["tfp_growth"],
        p["infra_effect"],
        inputs["d_infrastructure"],
        p["environment_effect"],
        inputs["d_environment"],
    )
    V = growth.cobb_douglas(A, K, H, L, p["alpha"], p["beta"], p["gamma"])
    for name, ref in (("capital", K), ("talent", H), ("land", L), ("tfp", A), ("value_added", V)):
        np.testing.assert_allclose(new[name], ref, rtol=1e-12, atol=0, err_msg=name)
    # what is left of a budget is a difference: relative to the budget, not to a value that may be 0
    scale = 1e-12 * max(1.0, float(state["land_budget"].max()))
    np.testing.assert_allclose(new["land_granted"], granted, rtol=1e-12, atol=scale)
    np.testing.assert_allclose(new["land_budget"][:, 0], remaining, rtol=1e-12, atol=scale)
    assert np.isfinite(new["value_added"]).all()


def test_the_base_year_equations_equal_the_engines_growth_functions():
    rng = np.random.default_rng(7)
    d, S = 200, 4
    u = lambda lo, hi: rng.uniform(lo, hi, (d, S))  # noqa: E731
    M0, mu, v, d0 = u(10, 3000), u(0.05, 1.2), u(0.1, 0.9), u(-0.3, 0.5)
    s, g0, delta = u(0.05, 0.4), u(-0.05, 0.2), u(0.03, 0.2)
    V0 = kernel.equation_function("value_added_base", (M.M0, M.mu, M.v_va, M.d0))(M0, mu, v, d0)
    np.testing.assert_allclose(V0, M0 * (mu * v) / (1 + d0), rtol=1e-14)
    K0 = kernel.equation_function("capital_base", (M.s_inv, M.V0, M.g_0, M.delta))(s, V0, g0, delta)
    np.testing.assert_allclose(K0, growth.initial_capital(V0, s, g0, delta), rtol=1e-14)
    years = np.arange(2010, 2020)
    shock, rebound = u(-0.3, 0.3), u(-0.3, 0.3)
    f = kernel.equation_function("shock_deviation", (M.t_year, M.tau_1, M.tau_2, M.d_shock, M.d_rebound))
    for start in (2010, 2013, 2019):
        got = np.broadcast_to(f(years[None, :, None], start, start + 1, shock[:, None, :], rebound[:, None, :]),
                              (d, len(years), S))
        np.testing.assert_array_equal(got, growth.shock_deviation(shock, rebound, len(years), start - 2010))
    no_span = kernel.deviations(dataclasses.replace(load_plan(PLANS[0]), shock=None), shock, rebound)
    assert no_span.shape == (d, len(load_plan(PLANS[0]).years.all), S) and not no_span.any()


def _assert_run_equals_engine(sc, seed: int = 5, draws: int = 64) -> None:
    """The lambdified chain equals the engine on ``sc`` with every per-sector parameter perturbed per draw."""
    values = central_values(sc)
    rng = np.random.default_rng(seed)
    for key in [k for k in values if k.startswith(("sectors.", "linked.", "market."))
                and not k.endswith(("alpha", "beta", "gamma"))]:
        values[key] = values[key] * rng.uniform(0.8, 1.2, (draws, *values[key].shape[1:]))
    for key in [k for k in values if k.endswith((".shock", ".rebound"))]:  # never all zero: the span acts
        values[key] = values[key] + rng.uniform(-0.1, 0.1, (draws, *values[key].shape[1:]))
    values = {k: v for k, v in values.items() if not k.startswith("counting.")}  # growth block only
    ref = run_engine(sc, values)
    got = kernel.run_growth(values, sc)
    market = options(sc).get("model.variant") == "market_share"
    indicators = [x.id for x in sc.plan.linked] + list(sc.targets.total_of)
    assert indicators and set(indicators) <= set(got)
    extra = {"market"} if market else set()
    assert set(got) == {*GROWTH_KEYS, *indicators, *extra, "land_granted", "value_added_trend"}
    for k in (*GROWTH_KEYS, *indicators, *extra):
        assert got[k].shape == ref[k].shape, k
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=0, err_msg=k)
    np.testing.assert_allclose(got["land_granted"], ref["land_granted"], rtol=1e-12, atol=1e-10)
    if sc.plan.shock is not None:  # measured = trend (1 + d)/(μ v) with a deviation in the span only
        i = sc.plan.shock[0] - sc.plan.years.base
        assert not np.allclose(got["value_added"][:, i], got["value_added_trend"][:, i])
        after = slice(i + 2, None)
        np.testing.assert_allclose(got["value_added"][:, after], got["value_added_trend"][:, after], rtol=0)


@pytest.mark.parametrize("plan,name", PLAN_SCENARIOS)
def test_lambdified_run_equals_engine_run(plan, name):
    sc = _scenario(plan, name)
    assert sc.plan.id == plan
    _assert_run_equals_engine(sc)


def test_the_shipped_scenarios_include_the_market_share_variant():
    assert ("jiading", "market_share") in PLAN_SCENARIOS and options(MARKET)["model.variant"] == "market_share"
    assert MARKET.plan.shock is not None and MARKET.plan.market is not None


@pytest.mark.parametrize("name", ["toy", "toy_market"])
def test_lambdified_run_equals_engine_run_on_a_plan_unlike_the_shipped_ones(name, request):
    sc = request.getfixturevalue(name)
    assert sc.plan.id == "toy" and sc.plan.id not in PLANS
    assert sc.plan.shock == (2016, 2017) and sc.plan.market.sector == "freight"
    _assert_run_equals_engine(sc)
    out = kernel.run_growth(central_values(sc), sc)
    assert out["output"].shape == (1, len(sc.plan.years.all), 3)
    assert out["land_granted"].shape == (1, 3, len(sc.plan.years.levers))
    # the base year reproduces the measured base output, the shock year's deviation included
    np.testing.assert_allclose(out["output"][0, 0], [_TOY_PARAMS["base_output"][1 + i] for i in range(3)], rtol=1e-13)


def test_the_market_share_variant_follows_its_market(toy, toy_market):
    values = central_values(toy_market)
    out = kernel.run_growth(values, toy_market)
    years = toy_market.plan.years.all
    mkt = out["market"][0]
    published = {p.year: p.value for p in toy_market.plan.market.points}
    for y, v in published.items():
        assert mkt[years.index(y)] == pytest.approx(v, rel=1e-13)
    assert mkt[years.index(2017)] == pytest.approx(np.sqrt(5000 * 5800), rel=1e-13)  # log-linear in the gap
    np.testing.assert_allclose(mkt[years.index(2020):] / mkt[years.index(2019):-1], 1.05, rtol=1e-13)
    # freight: trend output = σ0 (X/X0)^ε Mkt, σ0 its base-year share; the other sectors as on the supply side
    j = toy_market.plan.sector_ids.index("freight")
    x = out["capital"][0, :, j] ** 0.4 * out["talent"][0, :, j] ** 0.3 * out["land"][0, :, j] ** 0.15
    trend = out["value_added_trend"][0, :, j] / (0.3 * 0.6)
    share0 = trend[0] / mkt[0]
    np.testing.assert_allclose(trend, share0 * (x / x[0]) ** 0.6 * mkt, rtol=1e-12)
    supply = kernel.run_growth(values, toy_market, options={"model.variant": "supply"})  # options override
    np.testing.assert_allclose(supply["output"], kernel.run_growth(central_values(toy), toy)["output"], rtol=1e-14)
    assert "market" not in supply and not np.allclose(supply["output"][..., j], out["output"][..., j])
    others = [i for i in range(3) if i != j]  # the other sectors do not see the variant
    np.testing.assert_allclose(out["output"][..., others], supply["output"][..., others], rtol=1e-14)
    np.testing.assert_allclose(out["tfp"], supply["tfp"], rtol=1e-14)


def test_the_market_share_variant_needs_a_market(toy):
    no_market = dataclasses.replace(toy.plan, market=None)
    values = central_values(toy)
    with pytest.raises(ParameterError, match="declares no \\[market\\]"):
        kernel.run_growth(values, no_market, options={"model.variant": "market_share"})
    with pytest.raises(ParameterError, match="declares no \\[market\\]"):
        engine.run(values, plan=no_market, options={"model.variant": "market_share"})


@pytest.mark.parametrize("plan", PLANS)
def test_a_scenario_that_redefines_a_total_runs_and_shows_its_own_sum(plan):
    sc = _scenario(plan)
    tid, members = next(iter(sc.targets.total_of.items()))
    fewer = [s for s in sc.plan.sector_ids if s in members][:-1] or list(sc.plan.sector_ids[:1])
    changed = dataclasses.replace(sc, targets=sc.targets.with_composition(fewer, tid))
    _assert_run_equals_engine(changed, draws=8)
    rhs = equations(plan=changed)[tid].rhs
    assert rhs.free_symbols == {M.sector_outputs(sc.plan)[s] for s in fewer}


def test_every_parameter_symbol_names_a_schema_key_and_the_kernel_reads_them():
    assert set(M.PARAMETER_KEYS.values()) <= set(SCHEMA)
    assert "sectors.{sector}.capital_output_ratio" not in SCHEMA
    kernel_keys = {f"sectors.{{sector}}.{p}" for p in kernel.PARAMS}
    assert kernel_keys <= set(M.PARAMETER_KEYS.values())
    # the symbols the update depends on are the kernel's arguments and nothing else
    free = set().union(*(e.free_symbols for e in kernel.update_expressions().values()))
    assert free == set(kernel._symbols())
    # every per-sector parameter the engine reads has a symbol
    sector_keys = {f"sectors.{{sector}}.{p}" for p in (*engine.SECTOR_PARAMS, *engine.OPTIONAL_SECTOR_PARAMS)}
    assert sector_keys <= set(M.PARAMETER_KEYS.values())


def test_ces_tends_to_cobb_douglas_as_sigma_tends_to_one():
    a, b, c = 0.3, 0.4, 0.15
    nu = a + b + c
    at = {M.A: 1.7, M.K: 320.0, M.H: 9000.0, M.L: 80.0, M.w_K: a / nu, M.w_H: b / nu, M.w_L: c / nu, M.nu: nu}
    cd = float(M.cobb_douglas().subs({**at, M.alpha: a, M.beta: b, M.gamma: c}))
    ces = sp.lambdify(M.sigma, M.ces_output().subs(at))
    assert ces(1 + 1e-7) == pytest.approx(cd, rel=1e-5)
    assert abs(ces(0.5) - cd) / cd > 1e-3  # and it is a different function away from σ = 1


# --- growth accounting -------------------------------------------------------------------------------
def _parts(out):
    return out.tfp + out.capital + out.talent + out.land + (out.market if "market" in out else 0.0)


def test_growth_accounting_contributions_sum_to_value_added_growth():
    ds = jd.simulate(BASE, io=False)
    acc = growth_accounting(ds, BASE, periods=[(2020, 2021), (2020, 2022), (2022, 2025), (2025, 2030), (2020, 2030)])
    out = acc.to_dataset()
    np.testing.assert_allclose(_parts(out).values, out.value_added.values, rtol=0, atol=1e-13)
    np.testing.assert_allclose((out.value_added + out.shock).values, out.output.values, rtol=0, atol=1e-13)
    y = ds.output
    np.testing.assert_allclose(
        out.output.sel(period="2020–2030").values, np.log(y.sel(year=2030) / y.sel(year=2020)).values, rtol=1e-13)
    # trend value added is the production function: Δln V from the stocks themselves
    sectors = list(ds.sector.values)
    ab = {k: np.array([BASE[f"sectors.{s}.{k}"] for s in sectors]) for k in ("alpha", "beta", "gamma")}
    v = ds.tfp * ds.capital ** ab["alpha"] * ds.talent ** ab["beta"] * ds.land ** ab["gamma"]
    np.testing.assert_allclose(out.value_added.sel(period="2022–2025").values,
                               np.log(v.sel(year=2025) / v.sel(year=2022)).values, rtol=1e-12)
    # the shock span: Δln(1 + d) is the rebound over 2020–2021 (shock in 2020 at its central value), 0 outside
    d = {k: np.array([BASE[f"sectors.{s}.{k}"] for s in sectors]) for k in ("shock", "rebound")}
    np.testing.assert_allclose(out.shock.sel(period="2020–2021").values,
                               np.log1p(d["rebound"]) - np.log1p(d["shock"]), rtol=1e-13)
    assert float(abs(out.shock.sel(period=["2022–2025", "2025–2030"])).max()) == 0.0
    assert (out.capital > 0).all() and (out.talent > 0).all()  # constant positive levers: stocks grow
    assert "market" not in out
    assert "TFP" in acc.table() and "Δln(1+d)" in acc.table() and "<table>" in acc._repr_html_()


def test_growth_accounting_of_the_market_share_variant():
    ds = jd.simulate(MARKET, io=False)
    out = growth_accounting(ds, MARKET, periods=[(2020, 2025), (2025, 2030)]).to_dataset()
    np.testing.assert_allclose(_parts(out).values, out.value_added.values, rtol=0, atol=1e-13)
    np.testing.assert_allclose((out.value_added + out.shock).values, out.output.values, rtol=0, atol=1e-13)
    j = MARKET.plan.market.sector
    mkt = np.log(ds.market.sel(year=2030) / ds.market.sel(year=2025))
    assert float(out.market.sel(sector=j, period="2025–2030")) == pytest.approx(float(mkt), rel=1e-13)
    assert float(abs(out.tfp.sel(sector=j)).max()) == 0.0
    assert float(abs(out.market.drop_sel(sector=j)).max()) == 0.0
    eps = MARKET["market.share_elasticity"]
    k = np.log(ds.capital.sel(year=2030, sector=j) / ds.capital.sel(year=2025, sector=j))
    assert float(out.capital.sel(sector=j, period="2025–2030")) == pytest.approx(
        eps * MARKET[f"sectors.{j}.alpha"] * float(k), rel=1e-12)
    assert "Δln Mkt" in growth_accounting(ds, MARKET).table()


def test_growth_accounting_on_an_ensemble_uses_each_draws_parameters():
    ens = jd.simulate(MARKET, draws=40, seed=3, io=False)
    sampled = [str(p) for p in ens.parameter.values]
    assert {"sectors.ecommerce.rebound", "sectors.ecommerce.alpha", "market.share_elasticity"} <= set(sampled)
    per_draw = growth_accounting(ens, MARKET, statistic=None).to_dataset()
    assert per_draw.sizes["draw"] == 40
    np.testing.assert_allclose(_parts(per_draw).values, per_draw.value_added.values, rtol=0, atol=1e-13)
    np.testing.assert_allclose((per_draw.value_added + per_draw.shock).values, per_draw.output.values,
                               rtol=0, atol=1e-13)
    assert float(per_draw.shock.sel(period="2020–2022").std("draw").max()) > 0  # sampled shocks, draw by draw
    med = growth_accounting(ens, MARKET).to_dataset()
    assert "draw" not in med.dims and med.attrs["statistic"] == "median over draws"
    np.testing.assert_allclose(med.value_added.values, per_draw.value_added.median("draw").values)


def test_growth_accounting_rejects_a_period_outside_the_results():
    before = BASE.plan.years.base - 1
    with pytest.raises(ParameterError, match=str(before)):
        growth_accounting(jd.simulate(BASE, io=False), BASE, periods=[(before, BASE.plan.years.plan_end)])
    with pytest.raises(ParameterError, match="no market"):
        growth_accounting(jd.simulate(BASE, io=False), MARKET)


@pytest.mark.parametrize("plan", PLANS)
def test_growth_accounting_default_periods_follow_the_plan(plan):
    sc = _scenario(plan)
    years = sc.plan.years
    periods = default_periods(sc)
    assert periods[0][0] == years.base and periods[-1][1] == years.horizon
    assert all(a[1] == b[0] for a, b in zip(periods[:-1], periods[1:], strict=True))
    acc = growth_accounting(jd.simulate(sc, io=False)).to_dataset()  # scenario and plan from ds.attrs
    assert list(acc["start"].values) == [p[0] for p in periods]
    assert list(acc["sector"].values) == list(sc.plan.sector_ids) and acc.attrs["plan"] == plan


@pytest.mark.parametrize("name", ["toy", "toy_market"])
def test_growth_accounting_on_a_plan_unlike_the_shipped_ones(name, request):
    sc = request.getfixturevalue(name)
    acc = growth_accounting(jd.simulate(sc, io=False), sc)
    out = acc.to_dataset()
    assert default_periods(sc) == ((2015, 2017), (2017, 2019), (2019, 2022))
    assert list(out["period"].values) == ["2015–2017", "2017–2019", "2019–2022"]
    np.testing.assert_allclose(_parts(out).values, out.value_added.values, rtol=0, atol=1e-13)
    np.testing.assert_allclose((out.value_added + out.shock).values, out.output.values, rtol=0, atol=1e-13)
    rebound = np.array([_TOY_PARAMS["rebound"][1 + i] for i in range(3)])
    np.testing.assert_allclose(out.shock.sel(period="2015–2017").values, np.log1p(rebound), rtol=1e-13)
    np.testing.assert_allclose(out.shock.sel(period="2017–2019").values, -np.log1p(rebound), rtol=1e-13)
    assert ("market" in out) == (name == "toy_market")
    assert "freight" in acc.table()


# --- arithmetic ----------------------------------------------------------------------------------------
def test_required_cagr_reproduces_the_plans_doubling_arithmetic():
    six, five = required_cagr(2024, 4000, 6), required_cagr(2024, 4000, 5)
    assert float(six) == pytest.approx((4000 / 2024) ** (1 / 6) - 1, rel=1e-14)
    assert float(five) == pytest.approx((4000 / 2024) ** (1 / 5) - 1, rel=1e-14)
    assert round(100 * float(six), 2) == 12.02 and round(100 * float(five), 2) == 14.60
    # the formula is symbolic and vectorised
    b, x, n = six.args
    assert sp.simplify(six.expr - ((x / b) ** (1 / n) - 1)) == 0
    np.testing.assert_allclose(six.func(np.array([1.0, 2.0]), 4.0, 2.0), [1.0, np.sqrt(2) - 1])


def test_doubling_time_doubles():
    t2 = doubling_time(0.15)
    assert 1.15 ** float(t2) == pytest.approx(2.0, rel=1e-14)
    assert round(float(t2), 2) == 4.96


def test_path_arithmetic_reproduces_the_default_plans_growth_path():
    t = path_arithmetic(plan=BASE)
    path = BASE.targets.paths[0]
    n = path.target_year - path.base_year
    n_line = path.target_year - path.start_year + 1
    assert t.values["line"] == pytest.approx(float(path.line(path.target_year)), rel=1e-13)
    assert t.values["line_from_base"] == pytest.approx(path.base_value * (1 + path.growth) ** n, rel=1e-13)
    assert t.values["cagr"] == pytest.approx((path.target_value / path.base_value) ** (1 / n) - 1, rel=1e-13)
    assert t.values["cagr_line"] == pytest.approx((path.target_value / path.base_value) ** (1 / n_line) - 1)
    assert t.values["implied_base"] == pytest.approx(path.target_value / (1 + path.growth) ** n_line, rel=1e-13)
    assert "<table>" in t._repr_html_() and r"\begin{array}" in t._repr_latex_()
    assert path_arithmetic(path.id).values == path_arithmetic(path.indicator, BASE.plan).values == t.values
    assert ecommerce_arithmetic is path_arithmetic  # the former name still works


def test_path_arithmetic_of_jiadings_ecommerce_line():
    t = path_arithmetic("ecommerce_sales", "jiading")
    assert round(t.values["line"]) == 4071 and round(t.values["line_from_base"]) == 4682
    assert round(t.values["implied_base"], 1) == 1988.7
    assert round(100 * t.values["cagr"], 2) == 12.02 and round(100 * t.values["cagr_line"], 2) == 14.60
    assert "4,071.0" in t.table()


def test_path_arithmetic_on_a_plan_unlike_the_shipped_ones(toy):
    t = path_arithmetic(plan=toy)
    assert t.values["line"] == pytest.approx(100 * 1.1**4) and t.values["implied_base"] == pytest.approx(150 / 1.1**4)
    assert "2015 base implied" in t.table()
    with pytest.raises(ParameterError, match="no growth path"):
        path_arithmetic("parcels", toy)


# --- elasticities and the inverse solve ------------------------------------------------------------------
def _fd_elasticity(sc, lever: str, sector: str, year: int, h: float = 1e-4) -> float:
    key = f"levers.{lever}.{sector}"
    path = np.broadcast_to(np.asarray(sc[key], float), (len(sc.plan.years.levers),))
    y = [
        float(
            jd.simulate(sc.with_overrides({key: list(path * f)}), io=False).output.sel(
                year=year, sector=sector
            )
        )
        for f in (1 + h, 1 - h)
    ]
    return float(np.log(y[0] / y[1]) / np.log((1 + h) / (1 - h)))


@pytest.mark.parametrize(
    "scenario,lever,sector",
    [
        ("baseline", "funds", "ecommerce"),
        ("baseline", "talent", "industrial_internet"),
        ("baseline", "land", "smart_transport"),
        ("baseline", "funds", "online_services"),
        ("market_share", "funds", "ecommerce"),
        ("market_share", "talent", "ecommerce"),
    ],
)
def test_analytic_elasticities_match_finite_differences_of_simulate(scenario, lever, sector):
    sc = BASE if scenario == "baseline" else MARKET
    e = elasticities(sc, 2025, levers=(lever,))
    assert str(e.values["method"].sel(lever=lever, sector=sector).item()).startswith("analytic")
    got = float(e.values.sel(lever=lever, sector=sector))
    assert got == pytest.approx(_fd_elasticity(sc, lever, sector, 2025), rel=1e-6)
    assert got > 0


def test_the_investment_feedback_is_part_of_the_elasticity():
    """Talent raises value added, whose investment raises capital: the elasticity exceeds β C_H / H."""
    from jdmodel.symbolic.levers import sensitivities

    values = central_values(BASE)
    run = kernel.run_growth(values, BASE)
    n = 2025 - BASE.plan.years.base
    path = np.stack([np.broadcast_to(np.ravel(values[f"levers.talent.{s}"]), (10,)) for s in BASE.plan.sector_ids])
    sens = sensitivities(BASE, values, run, "talent", path, n)
    beta = np.array([BASE[f"sectors.{s}.beta"] for s in BASE.plan.sector_ids])
    alpha = np.array([BASE[f"sectors.{s}.alpha"] for s in BASE.plan.sector_ids])
    direct = beta * sens["talent"] / run["talent"][0, n]
    assert (sens["capital"] > 0).all() and (sens["xi"] > direct).all() and not sens["land"].any()
    np.testing.assert_allclose(sens["xi"], direct + alpha * sens["capital"] / run["capital"][0, n], rtol=1e-14)


def test_numeric_elasticity_when_the_land_budget_binds_matches_simulate():
    tight = BASE.with_overrides({"district.land_budget": 30.0})
    e = elasticities(tight, 2027, levers=("land",))
    assert "differences" in str(e.values["method"].sel(lever="land", sector="ecommerce").item())
    got = float(e.values.sel(lever="land", sector="ecommerce"))
    assert got == pytest.approx(_fd_elasticity(tight, "land", "ecommerce", 2027), rel=1e-5)
    # a binding budget makes land worth less at the margin than the unbounded closed form says
    assert got < float(
        elasticities(BASE, 2027, levers=("land",)).values.sel(lever="land", sector="ecommerce")
    )


@pytest.mark.parametrize("plan,name", [(p, s) for p, s in PLAN_SCENARIOS if s in ("baseline", "market_share")])
def test_analytic_and_lambdified_elasticities_agree_everywhere(plan, name):
    sc = _scenario(plan, name)
    year = sc.plan.years.levers[len(sc.plan.years.levers) // 2]
    a = elasticities(sc, year).values
    n = elasticities(sc, year, method="numeric").values
    assert list(a["sector"].values) == list(sc.plan.sector_ids)
    np.testing.assert_allclose(a.values, n.values, rtol=1e-6)
    assert elasticities(sc).values.attrs["year"] == sc.plan.years.plan_end  # default: end of the plan period


@pytest.mark.parametrize("name", ["toy", "toy_market"])
def test_elasticities_and_lever_solutions_on_a_plan_unlike_the_shipped_ones(name, request):
    toy = request.getfixturevalue(name)
    early = elasticities(toy, 2018)  # the land budget does not bind yet
    assert set(early.values["method"].values.ravel()) == {"analytic (sympy)"}
    np.testing.assert_allclose(early.values.values, elasticities(toy, 2018, method="numeric").values.values,
                               rtol=1e-6)
    late = elasticities(toy)  # 2019, the end of its plan period: the budget binds
    assert late.values.attrs["year"] == 2019
    assert "differences" in str(late.values["method"].sel(lever="land", sector="freight").item())
    assert "robots" in late.table() and "plan toy" in late.table()
    y = float(jd.simulate(toy, io=False).output.sel(year=2019, sector="biotech"))
    sol = lever_for_output(toy, "biotech", 1.05 * y, lever="talent")
    assert sol.year == 2019 and sol.method.startswith("Newton")
    ds = jd.simulate(toy.with_overrides({"levers.talent.biotech": sol.level}), io=False)
    assert float(ds.output.sel(year=2019, sector="biotech")) == pytest.approx(1.05 * y, rel=1e-10)
    y = float(jd.simulate(toy, io=False).output.sel(year=2019, sector="freight"))
    land = lever_for_output(toy, "freight", 1.002 * y, 2019, "land")
    assert land.method.startswith("root")
    ds = jd.simulate(toy.with_overrides({"levers.land.freight": land.level}), io=False)
    assert float(ds.output.sel(year=2019, sector="freight")) == pytest.approx(1.002 * y, rel=1e-9)
    with pytest.raises(ParameterError, match="lever year"):
        lever_for_output(toy, "biotech", 700.0, 2025, "talent")  # a year of another plan
    with pytest.raises(ParameterError, match="robots, biotech, freight"):
        lever_for_output(toy, "ecommerce", 700.0, 2019, "talent")


@pytest.mark.parametrize(
    "scenario,lever,sector,factor",
    [
        ("baseline", "funds", "ecommerce", 1.1),
        ("baseline", "talent", "online_services", 1.1),
        ("baseline", "land", "industrial_internet", 1.05),
        ("market_share", "funds", "ecommerce", 1.05),
    ],
)
def test_lever_for_output_reaches_the_target_in_simulate(scenario, lever, sector, factor):
    sc = BASE if scenario == "baseline" else MARKET
    target = factor * float(jd.simulate(sc, io=False).output.sel(year=2025, sector=sector))
    sol = lever_for_output(sc, sector, target, 2025, lever)
    assert sol.method.startswith("Newton") and sol.level > 0 and 0 < sol.iterations <= 10
    # the closed form of the lever's own stock is a start, not the answer: investment feeds back
    assert sol.start != pytest.approx(sol.level, rel=1e-6)
    ds = jd.simulate(sc.with_overrides({f"levers.{lever}.{sector}": sol.level}), io=False)
    assert float(ds.output.sel(year=2025, sector=sector)) == pytest.approx(target, rel=1e-10)
    assert "Newton" in sol.table()


def test_lever_for_output_root_when_the_land_budget_binds():
    tight = BASE.with_overrides({"district.land_budget": 30.0})
    y = float(jd.simulate(tight, io=False).output.sel(year=2025, sector="smart_transport"))
    sol = lever_for_output(tight, "smart_transport", 1.005 * y, 2025, "land")
    assert sol.method.startswith("root")
    ds = jd.simulate(tight.with_overrides({"levers.land.smart_transport": sol.level}), io=False)
    assert float(ds.output.sel(year=2025, sector="smart_transport")) == pytest.approx(1.005 * y, rel=1e-9)
    with pytest.raises(ModelError, match="land budget"):
        lever_for_output(tight, "smart_transport", 2 * y, 2025, "land")


def test_lever_for_output_says_when_no_lever_is_needed():
    y = float(jd.simulate(BASE, io=False).output.sel(year=2025, sector="ecommerce"))
    with pytest.raises(ModelError, match="already produces"):
        lever_for_output(BASE, "ecommerce", 0.5 * y, 2025, "funds")
    with pytest.raises(ParameterError, match="lever"):
        lever_for_output(BASE, "ecommerce", 2 * y, 2025, "money")


# --- steady states ------------------------------------------------------------------------------------------
def test_the_capital_output_ratio_steady_state_and_its_path_solve_the_capital_equation():
    ex = steady_state().expressions
    k, s, delta, g0 = ex["capital_output_ratio"], M.s_inv, M.delta, M.g_0
    assert sp.simplify(k * (1 + g_V) - ((1 - delta) * k + s)) == 0  # K/V is a fixed point
    assert sp.simplify(k.subs(g_V, g0) - M.growth_equation("capital_base").rhs / M.V0) == 0  # K0 is it at g0
    path = ex["capital_output_ratio_path"]
    n = next(iter(path.free_symbols - {s, delta, g0, g_V}))
    assert sp.simplify(path.subs(n, n + 1) * (1 + g_V) - ((1 - delta) * path + s)) == 0
    assert sp.simplify(path.subs(n, 0) - s / (g0 + delta)) == 0
    # numbers: the engine's capital law on value added growing at a constant rate, from the base-year capital
    at = {s: 0.25, delta: 0.1, g0: 0.15, g_V: 0.04}
    V0 = 500.0
    K = growth.initial_capital(V0, at[s], at[g0], at[delta])
    for t in range(12):
        K = growth.capital_step(K, at[delta], at[s] * V0 * (1 + at[g_V]) ** t, 2.0, 0.0)
    assert K / (V0 * (1 + at[g_V]) ** 12) == pytest.approx(float(path.subs({**at, n: 12})), rel=1e-13)
    half = float(ex["capital_half_life"].subs(at))
    gap = [float(path.subs({**at, n: x}) - k.subs(at)) for x in (0, half)]
    assert gap[1] / gap[0] == pytest.approx(0.5, rel=1e-12)


def test_the_engines_base_year_capital_is_the_steady_state_at_pre_base_growth():
    ds = jd.simulate(BASE, io=False)
    base = BASE.plan.years.base
    ratio = steady_state(BASE).evaluate(BASE)["base_capital_output_ratio"]
    out = kernel.run_growth(central_values(BASE), BASE)
    np.testing.assert_allclose(ds.capital.sel(year=base).values / out["value_added_trend"][0, 0], ratio, rtol=1e-13)
    for i, s in enumerate(BASE.plan.sector_ids):
        assert ratio[i] == pytest.approx(
            BASE[f"sectors.{s}.investment_rate"] / (BASE[f"sectors.{s}.pre_growth"] + BASE[f"sectors.{s}.depreciation"]),
            rel=1e-14)


def test_balanced_growth_of_value_added():
    ex = steady_state().expressions
    fixed = ex["value_added_growth_fixed_inputs"]
    assert sp.simplify(fixed - ((1 + M.g_A) ** (1 / (1 - M.alpha)) - 1)) == 0
    gH, gL = sorted(ex["value_added_growth"].free_symbols - {M.g_A, M.alpha, M.beta, M.gamma}, key=str)
    assert sp.simplify(ex["value_added_growth"].subs({gH: 0, gL: 0}) - fixed) == 0
    # run the engine's growth functions with constant talent, land, TFP growth and no funds: value added
    # grows at (1 + g_A)^(1/(1-α)) − 1 in the end, and K/V settles at s/(g_V + δ)
    alpha, beta, gamma, delta, s, g = 0.35, 0.4, 0.1, 0.1, 0.2, 0.04
    A, K, H, L = 1.0, 50.0, 1000.0, 10.0
    V = growth.cobb_douglas(A, K, H, L, alpha, beta, gamma)
    for _ in range(1500):
        K = growth.capital_step(K, delta, s * V, 3.0, 0.0)
        A = growth.tfp_step(A, g, 0.0, 0.0, 0.0, 0.0)
        V, before = growth.cobb_douglas(A, K, H, L, alpha, beta, gamma), V
    gv = float(fixed.subs({M.g_A: g, M.alpha: alpha}))
    assert V / before - 1 == pytest.approx(gv, rel=1e-9)
    assert K / V == pytest.approx(float(ex["capital_output_ratio"].subs({M.s_inv: s, M.delta: delta, g_V: gv})),
                                  rel=1e-9)


@pytest.mark.parametrize("plan", PLANS)
def test_steady_state_evaluate_gives_per_sector_values(plan):
    sc = _scenario(plan)
    out = steady_state(sc).evaluate(sc)  # levers at their horizon level
    assert out["capital_output_ratio"].shape == (len(sc.plan.sectors),)
    for i, s in enumerate(sc.plan.sector_ids):
        p = {k: sc[f"sectors.{s}.{k}"] for k in ("investment_rate", "depreciation", "tfp_growth", "alpha",
                                                  "talent_organic", "talent_attrition")}
        gv = (1 + p["tfp_growth"]) ** (1 / (1 - p["alpha"])) - 1
        assert out["value_added_growth"][i] == pytest.approx(gv, rel=1e-13)
        assert out["capital_output_ratio"][i] == pytest.approx(p["investment_rate"] / (gv + p["depreciation"]),
                                                              rel=1e-13)
        t = float(np.ravel(sc[f"levers.talent.{s}"])[-1])
        assert out["talent"][i] == pytest.approx((p["talent_organic"] + t) / p["talent_attrition"], rel=1e-13)


def test_steady_state_on_a_plan_unlike_the_shipped_ones(toy):
    ss = steady_state(toy)
    assert r"\frac{s}{\delta + g_{V}}" in ss._repr_latex_() and "g_{0}" in ss._repr_latex_()
    out = ss.evaluate(toy, 2022)
    assert out["talent"] == pytest.approx([(800 + 300) / 0.08, (1000 + 200) / 0.06, (400 + 100) / 0.1])
    assert out["base_capital_output_ratio"] == pytest.approx([0.3 / 0.18, 0.2 / 0.17, 0.35 / 0.18])
    with pytest.raises(ParameterError, match="2016–2022"):
        ss.evaluate(toy, 2030)


# --- counting models --------------------------------------------------------------------------------
def test_counting_mean_equations_reproduce_the_counting_block():
    counting = pytest.importorskip("jdmodel.counting")
    from jdmodel.symbolic.counting import COUNTING_KEYS, mean_paths

    values = central_values(BASE)
    p = {k: v for k, v in values.items() if k.startswith("counting.")}
    if not p:
        pytest.skip("the baseline has no counting parameters")
    assert set(COUNTING_KEYS.values()) == set(p)
    rng = np.random.default_rng(11)
    d = 16
    # fractional lags, probabilities kept in [0, 1]: every draw its own parameters and levers
    p = {
        k: np.repeat(a, d, axis=0)
        * (1.0 if k.endswith(("prob", "uplift")) else rng.uniform(0.7, 1.3, (d, *a.shape[1:])))
        for k, a in p.items()
    }
    values = {k: v for k, v in values.items() if not k.startswith("counting.")}
    n_years = len(BASE.plan.years.levers)
    for key in [k for k in values if k.startswith("levers.")]:
        values[key] = values[key] * rng.uniform(0.0, 3.0, (d, n_years))
    growth_out = kernel.run_growth(values, BASE)
    x = engine.gather(values, BASE.plan.sector_ids, n_years)
    args = {
        "funds": x.levers["funds"],
        "talent": x.levers["talent"],
        "land": growth_out["land_granted"],
        "output": np.moveaxis(growth_out["output"], 1, 2),
        "infra": x.infrastructure,
    }
    ref = counting.simulate_counts(p, noise=None, sectors=BASE.plan.sector_ids, **args)
    got = mean_paths(p, **args)
    for name in ("enterprises", "projects", "scenarios"):
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-12, err_msg=name)


# --- display and docs --------------------------------------------------------------------------------
def test_equations_print_in_a_terminal_and_render_in_jupyter():
    eqs = equations()
    text = str(eqs)
    assert "K[t] = I[t-1] + F[t]*m + K[t-1]*(1 - δ)" in text and "capital accumulation" in text
    assert "I[t] = V[t]*s" in text and "M[t] = V[t]*(1 + d[t])/(μ*v)" in text
    assert eqs._repr_latex_().startswith("$$\\begin{aligned}") and "$$" in eqs._repr_markdown_()
    assert equations("text")._repr_latex_() is None and equations("text")._repr_markdown_() is None
    assert isinstance(eqs["capital"].eq, sp.Eq)
    with pytest.raises(ParameterError):
        equations("html")


@pytest.mark.parametrize("plan", PLANS)
def test_equations_of_every_plan_show_its_years_sectors_and_indicators(plan):
    p = load_plan(plan)
    eqs = equations(plan=p)
    assert str(eqs).splitlines()[0].endswith(f"t = {p.years.levers[0]}…{p.years.levers[-1]}; plan {p.id})")
    assert f"V_{{{p.years.base}}}" in eqs["capital_base"].latex()
    outputs = M.sector_outputs(p)
    for k, lk in enumerate(p.linked):
        eq = eqs[lk.id]
        assert eq.block == "linked" and outputs[lk.sector] in eq.rhs.free_symbols
        assert eq.lhs == M.linked_symbols(k)[0]
    for t in p.totals:
        assert eqs[t.id].rhs.free_symbols == {outputs[s] for s in t.sectors}
    names = {e.name for e in eqs}
    assert ("market_value_added" in names) == ("market_growth_accounting" in names) == (p.market is not None)
    shock = eqs["shock_deviation"].latex()
    assert (f"t = {p.shock[0]}" in shock) if p.shock else (r"\tau_{1}" in shock and "no shock span" in
                                                           eqs["shock_deviation"].description)
    doc = markdown_doc(p)
    assert all(f"`{s}`" in doc for s in p.sector_ids) and f"base year {p.years.base}" in doc
    assert ("`market.share_elasticity`" in doc) == (p.market is not None)


@pytest.mark.parametrize("name", ["toy", "toy_market"])
def test_equations_of_a_plan_unlike_the_shipped_ones(name, request):
    toy = request.getfixturevalue(name)
    eqs = equations(plan=toy)
    text = str(eqs)
    assert "t = 2016…2022; plan toy" in text and "S2[t] = S2[2015]*(M_fr[t]/M_fr[2015])**η2" in text
    assert eqs["tech_output"].latex() == r"Q_{t} = M^{\mathrm{rb}}_{t} + M^{\mathrm{bt}}_{t}"
    assert eqs["all_output"].latex() == r"Q^{(2)}_{t} = M^{\mathrm{rb}}_{t} + M^{\mathrm{bt}}_{t} + M^{\mathrm{fr}}_{t}"
    assert "E_{2015}" in eqs["enterprises_base"].latex() and "(K/V)_{2015+n}" in eqs["capital_output_ratio_path"].latex()
    assert r"t = 2016" in eqs["shock_deviation"].latex() and r"t = 2017" in eqs["shock_deviation"].latex()
    assert r"\sigma_{2015}" in eqs["market_share_base"].latex() and "`freight`" in eqs["market_value_added"].description
    doc = markdown_doc(toy)
    assert "Parcels (`parcels`)" in doc and "| $M^{\\mathrm{fr}}_{t}$ | `freight` | Freight |" in doc
    assert "Haulage market (`toy_haulage`)" in doc
    # what the package writes names no other plan (the counting table quotes the schema's own descriptions)
    own = doc.split("## Counting-model parameter symbols")[0] + doc.split("## Other symbols")[1]
    assert "2015" in own and not any(str(y) in own for y in (2020, 2021, 2025, 2030))
    assert not any(name in own for name in _region_names())
    assert jd.equations(plan=toy).plan is toy.plan


def test_committed_equations_doc_is_the_generated_text():
    doc = Path(__file__).parent.parent / "docs" / "equations.md"
    assert doc.read_text(encoding="utf-8") == markdown_doc(), "regenerate: python -m jdmodel.symbolic"


def _region_names() -> set[str]:
    """Sector, total and linked-indicator ids of every shipped plan."""
    names: set[str] = set()
    for plan in PLANS:
        p = load_plan(plan)
        names |= {*p.sector_ids, *(t.id for t in p.totals), *(x.id for x in p.linked)}
    return names


def test_the_symbolic_package_names_no_plans_sectors_indicators_or_years():
    """Docstrings may show a plan; code takes sectors, indicators and years from the plan it is given."""
    import re

    names = _region_names()
    years = {y for plan in PLANS for y in load_plan(plan).years.all}
    found = []
    for path in sorted((Path(M.__file__).parent).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "jdmodel.params.schema":
                found += [f"{path.name}: imports {a.name}" for a in node.names if a.name.isupper() and a.name != "SCHEMA"]
            if not isinstance(node, ast.Constant) or id(node) in docstrings:
                continue
            if isinstance(node.value, str):
                words = set(re.split(r"[^a-z0-9_]+", node.value))
                found += [f"{path.name}:{node.lineno}: {w!r}" for w in sorted(words & names)]
            elif isinstance(node.value, int) and node.value in years:
                found.append(f"{path.name}:{node.lineno}: year {node.value}")
    assert not found, found


def test_importing_the_package_does_not_import_sympy():
    code = (
        "import sys, jdmodel; before = 'sympy' in sys.modules; import jdmodel.symbolic; "
        "from jdmodel.symbolic import equations; print(before, 'sympy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    before, after = out.stdout.split()
    assert after == before
