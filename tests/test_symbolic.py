"""jdmodel.symbolic: sympy equations run as the engine runs, derivations, docs generated from the source.

The proofs run for every shipped plan (``available_plans()``) and for a plan written here that
differs from them in every respect the package must not assume: its sectors and their
abbreviations, its years, two total and two linked indicators.
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
from jdmodel.params.scenario import central_values
from jdmodel.params.schema import SCHEMA
from jdmodel.pipeline.simulate import run_engine
from jdmodel.symbolic import kernel
from jdmodel.symbolic import model as M
from jdmodel.symbolic.accounting import default_periods, growth_accounting
from jdmodel.symbolic.derivations import (
    doubling_time,
    ecommerce_arithmetic,
    path_arithmetic,
    required_cagr,
    steady_state,
)
from jdmodel.symbolic.display import equations, markdown_doc
from jdmodel.symbolic.levers import elasticities, lever_for_output

BASE = jd.load_scenario("baseline")
PLANS = available_plans()
PLAN_SCENARIOS = [(p, s) for p in PLANS for s in load_plan(p).scenarios()]
GROWTH_KEYS = ("output", "capital", "talent", "land", "tfp")

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
    "capital_output_ratio": ("yr", 1.5, 1.0, 2.5),
    "depreciation": ("1/yr", 0.1, 0.12, 0.08),
    "investment_rate": ("1/yr", 0.2, 0.13, 0.3),
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
}
_TOY_LEVERS = {"funds": ("亿元/yr", 1.0, 2.0, 0.5), "talent": ("人/yr", 300, 200, 100),
               "land": ("公顷/yr", 3.0, 1.0, 4.0)}


def _write_toy_plan(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "plan.toml").write_text(TOY_PLAN, encoding="utf-8")
    (folder / "targets.toml").write_text(TOY_TARGETS, encoding="utf-8")
    lines = ['name = "baseline"', "", "[base_year]", 'jan_oct_share = { value = 0.8333, unit = "1", source = "toy" }']
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
              'elasticity = { value = 0.8, unit = "1", source = "toy" }']
    (folder / "baseline.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The baseline scenario of the toy plan."""
    return jd.load_scenario(_write_toy_plan(tmp_path_factory.mktemp("plans") / "toy"))


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
        "base_output": u(10, 3000),
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
        p["investment_rate"] * p["base_output"],
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
    Y = growth.cobb_douglas(A, K, H, L, p["alpha"], p["beta"], p["gamma"])
    for name, ref in (("capital", K), ("talent", H), ("land", L), ("tfp", A), ("output", Y)):
        np.testing.assert_allclose(new[name], ref, rtol=1e-12, atol=0, err_msg=name)
    # what is left of a budget is a difference: relative to the budget, not to a value that may be 0
    scale = 1e-12 * max(1.0, float(state["land_budget"].max()))
    np.testing.assert_allclose(new["land_granted"], granted, rtol=1e-12, atol=scale)
    np.testing.assert_allclose(new["land_budget"][:, 0], remaining, rtol=1e-12, atol=scale)
    assert np.isfinite(new["output"]).all()


def _assert_run_equals_engine(sc, seed: int = 5, draws: int = 64) -> None:
    """The lambdified chain equals the engine on ``sc`` with every per-sector parameter perturbed per draw."""
    values = central_values(sc)
    rng = np.random.default_rng(seed)
    for key in [k for k in values if k.startswith(("sectors.", "linked.")) and not k.endswith(("alpha", "beta", "gamma"))]:
        values[key] = values[key] * rng.uniform(0.8, 1.2, (draws, *values[key].shape[1:]))
    values = {k: v for k, v in values.items() if not k.startswith("counting.")}  # growth block only
    ref = run_engine(sc, values)
    got = kernel.run_growth(values, sc)
    indicators = [x.id for x in sc.plan.linked] + list(sc.targets.total_of)
    assert indicators and set(indicators) <= set(got)
    assert set(got) == {*GROWTH_KEYS, *indicators, "land_granted"}
    for k in (*GROWTH_KEYS, *indicators):
        assert got[k].shape == ref[k].shape, k
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=0, err_msg=k)
    np.testing.assert_allclose(got["land_granted"], ref["land_granted"], rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("plan,name", PLAN_SCENARIOS)
def test_lambdified_run_equals_engine_run(plan, name):
    sc = _scenario(plan, name)
    assert sc.plan.id == plan
    _assert_run_equals_engine(sc)


def test_lambdified_run_equals_engine_run_on_a_plan_unlike_the_shipped_ones(toy):
    assert toy.plan.id == "toy" and toy.plan.id not in PLANS
    _assert_run_equals_engine(toy)
    out = kernel.run_growth(central_values(toy), toy)
    assert out["output"].shape == (1, len(toy.plan.years.all), 3)
    assert out["land_granted"].shape == (1, 3, len(toy.plan.years.levers))


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
    kernel_keys = {f"sectors.{{sector}}.{p}" for p in kernel.PARAMS}
    assert kernel_keys <= set(M.PARAMETER_KEYS.values())
    # the symbols the update depends on are the kernel's arguments and nothing else
    free = set().union(*(e.free_symbols for e in kernel.update_expressions().values()))
    assert free == set(kernel._symbols())


def test_ces_tends_to_cobb_douglas_as_sigma_tends_to_one():
    a, b, c = 0.3, 0.4, 0.15
    nu = a + b + c
    at = {M.A: 1.7, M.K: 320.0, M.H: 9000.0, M.L: 80.0, M.w_K: a / nu, M.w_H: b / nu, M.w_L: c / nu, M.nu: nu}
    cd = float(M.cobb_douglas().subs({**at, M.alpha: a, M.beta: b, M.gamma: c}))
    ces = sp.lambdify(M.sigma, M.ces_output().subs(at))
    assert ces(1 + 1e-7) == pytest.approx(cd, rel=1e-5)
    assert abs(ces(0.5) - cd) / cd > 1e-3  # and it is a different function away from σ = 1


# --- growth accounting -------------------------------------------------------------------------------
def test_growth_accounting_contributions_sum_to_log_output_growth():
    ds = jd.simulate(BASE, io=False)
    acc = growth_accounting(ds, BASE, periods=[(2020, 2022), (2022, 2025), (2025, 2030), (2020, 2030)])
    out = acc.to_dataset()
    parts = out.tfp + out.capital + out.talent + out.land
    np.testing.assert_allclose(parts.values, out.total.values, rtol=0, atol=1e-13)
    y = ds.output
    np.testing.assert_allclose(
        out.total.sel(period="2020–2030").values,
        np.log(y.sel(year=2030) / y.sel(year=2020)).values,
        rtol=1e-13,
    )
    assert (out.capital > 0).all() and (out.talent > 0).all()  # constant positive levers: stocks grow
    assert "TFP" in acc.table() and "<table>" in acc._repr_html_()


def test_growth_accounting_on_an_ensemble_uses_each_draws_elasticities():
    ens = jd.simulate(BASE, draws=40, seed=3, io=False)
    per_draw = growth_accounting(ens, BASE, statistic=None).to_dataset()
    assert per_draw.sizes["draw"] == 40
    parts = per_draw.tfp + per_draw.capital + per_draw.talent + per_draw.land
    np.testing.assert_allclose(parts.values, per_draw.total.values, rtol=0, atol=1e-13)
    med = growth_accounting(ens, BASE).to_dataset()
    assert "draw" not in med.dims and med.attrs["statistic"] == "median over draws"
    np.testing.assert_allclose(med.total.values, per_draw.total.median("draw").values)


def test_growth_accounting_rejects_a_period_outside_the_results():
    before = BASE.plan.years.base - 1
    with pytest.raises(ParameterError, match=str(before)):
        growth_accounting(jd.simulate(BASE, io=False), BASE, periods=[(before, BASE.plan.years.plan_end)])


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


def test_growth_accounting_on_a_plan_unlike_the_shipped_ones(toy):
    acc = growth_accounting(jd.simulate(toy, io=False), toy)
    out = acc.to_dataset()
    assert default_periods(toy) == ((2015, 2017), (2017, 2019), (2019, 2022))
    assert list(out["period"].values) == ["2015–2017", "2017–2019", "2019–2022"]
    np.testing.assert_allclose((out.tfp + out.capital + out.talent + out.land).values, out.total.values,
                               rtol=0, atol=1e-13)
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
    "lever,sector",
    [
        ("funds", "ecommerce"),
        ("talent", "industrial_internet"),
        ("land", "smart_transport"),
        ("funds", "online_services"),
    ],
)
def test_analytic_elasticities_match_finite_differences_of_simulate(lever, sector):
    e = elasticities(BASE, 2025, levers=(lever,))
    assert str(e.values["method"].sel(lever=lever, sector=sector).item()).startswith("analytic")
    got = float(e.values.sel(lever=lever, sector=sector))
    assert got == pytest.approx(_fd_elasticity(BASE, lever, sector, 2025), rel=1e-6)
    assert got > 0


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


@pytest.mark.parametrize("plan", PLANS)
def test_analytic_and_lambdified_elasticities_agree_everywhere(plan):
    sc = _scenario(plan)
    year = sc.plan.years.levers[len(sc.plan.years.levers) // 2]
    a = elasticities(sc, year).values
    n = elasticities(sc, year, method="numeric").values
    assert list(a["sector"].values) == list(sc.plan.sector_ids)
    np.testing.assert_allclose(a.values, n.values, rtol=1e-6)
    assert elasticities(sc).values.attrs["year"] == sc.plan.years.plan_end  # default: end of the plan period


def test_elasticities_and_lever_solutions_on_a_plan_unlike_the_shipped_ones(toy):
    early = elasticities(toy, 2018)  # the land budget does not bind yet
    assert set(early.values["method"].values.ravel()) == {"analytic (sympy)"}
    np.testing.assert_allclose(early.values.values, elasticities(toy, 2018, method="numeric").values.values,
                               rtol=1e-6)
    late = elasticities(toy)  # 2019, the end of its plan period: the budget binds
    assert late.values.attrs["year"] == 2019
    assert "differences" in str(late.values["method"].sel(lever="land", sector="freight").item())
    assert "robots" in late.table() and "plan toy" in late.table()
    sol = lever_for_output(toy, "biotech", 700.0, lever="talent")
    assert sol.year == 2019 and sol.method.startswith("closed form")
    ds = jd.simulate(toy.with_overrides({"levers.talent.biotech": sol.level}), io=False)
    assert float(ds.output.sel(year=2019, sector="biotech")) == pytest.approx(700.0, rel=1e-10)
    land = lever_for_output(toy, "freight", 250.0, 2019, "land")
    assert land.method.startswith("root")
    ds = jd.simulate(toy.with_overrides({"levers.land.freight": land.level}), io=False)
    assert float(ds.output.sel(year=2019, sector="freight")) == pytest.approx(250.0, rel=1e-9)
    with pytest.raises(ParameterError, match="lever year"):
        lever_for_output(toy, "biotech", 700.0, 2025, "talent")  # a year of another plan
    with pytest.raises(ParameterError, match="robots, biotech, freight"):
        lever_for_output(toy, "ecommerce", 700.0, 2019, "talent")


@pytest.mark.parametrize(
    "lever,sector,target",
    [
        ("funds", "ecommerce", 3400.0),
        ("talent", "online_services", 520.0),
        ("land", "industrial_internet", 84.0),
    ],
)
def test_lever_for_output_closed_form_reaches_the_target_in_simulate(lever, sector, target):
    sol = lever_for_output(BASE, sector, target, 2025, lever)
    assert sol.method.startswith("closed form") and sol.level > 0
    ds = jd.simulate(BASE.with_overrides({f"levers.{lever}.{sector}": sol.level}), io=False)
    assert float(ds.output.sel(year=2025, sector=sector)) == pytest.approx(target, rel=1e-10)


def test_lever_for_output_root_when_the_land_budget_binds():
    tight = BASE.with_overrides({"district.land_budget": 30.0})
    sol = lever_for_output(tight, "smart_transport", 84.0, 2025, "land")
    assert sol.method.startswith("root")
    ds = jd.simulate(tight.with_overrides({"levers.land.smart_transport": sol.level}), io=False)
    assert float(ds.output.sel(year=2025, sector="smart_transport")) == pytest.approx(84.0, rel=1e-9)
    with pytest.raises(ModelError, match="land budget"):
        lever_for_output(tight, "smart_transport", 200.0, 2025, "land")


def test_lever_for_output_says_when_no_lever_is_needed():
    y = float(jd.simulate(BASE, io=False).output.sel(year=2025, sector="ecommerce"))
    with pytest.raises(ModelError, match="already produces"):
        lever_for_output(BASE, "ecommerce", 0.5 * y, 2025, "funds")
    with pytest.raises(ParameterError, match="lever"):
        lever_for_output(BASE, "ecommerce", 2 * y, 2025, "money")


# --- steady states ------------------------------------------------------------------------------------------
def test_steady_states_are_fixed_points_and_the_path_solves_the_recursion():
    ex = steady_state().expressions
    assert sp.simplify((1 - M.delta) * ex["capital"] + M.I + M.m * M.F - ex["capital"]) == 0
    assert sp.simplify((1 - M.rho) * ex["talent"] + M.O + M.T - ex["talent"]) == 0
    n = next(iter(ex["capital_path"].free_symbols - {M.delta, M.I, M.m, M.F, M.K0}))
    path = ex["capital_path"]
    assert sp.simplify(path.subs(n, n + 1) - ((1 - M.delta) * path + M.I + M.m * M.F)) == 0
    assert sp.simplify(path.subs(n, 0) - M.K0) == 0
    # and the closed form equals the engine's capital for the baseline's constant levers
    ds = jd.simulate(BASE, io=False)
    s = "smart_transport"
    at = {
        M.delta: BASE[f"sectors.{s}.depreciation"],
        M.m: BASE[f"sectors.{s}.leverage"],
        M.F: float(np.ravel(BASE[f"levers.funds.{s}"])[0]),
        n: 5,
        M.I: BASE[f"sectors.{s}.investment_rate"] * BASE[f"sectors.{s}.base_output"],
        M.K0: BASE[f"sectors.{s}.capital_output_ratio"] * BASE[f"sectors.{s}.base_output"],
    }
    assert float(path.subs(at)) == pytest.approx(float(ds.capital.sel(year=2025, sector=s)), rel=1e-12)


def test_balanced_growth_rate_of_the_solow_variant():
    ex = steady_state().expressions
    assert sp.simplify(ex["output_growth_solow_fixed_inputs"] - M.g_A / (1 - M.alpha)) == 0
    # simulate the variant (investment a share of current output): log growth tends to ln(1+g)/(1-α)
    alpha, delta, s, g = 0.35, 0.1, 0.2, 0.04
    K, A = 1.0, 1.0
    for _ in range(3000):
        K, A = (1 - delta) * K + s * A * K**alpha, A * (1 + g)
    y0 = A * K**alpha
    y1 = A * (1 + g) * ((1 - delta) * K + s * y0) ** alpha
    assert np.log(y1 / y0) == pytest.approx(np.log(1 + g) / (1 - alpha), rel=1e-6)


@pytest.mark.parametrize("plan", PLANS)
def test_steady_state_evaluate_gives_per_sector_stocks(plan):
    sc = _scenario(plan)
    out = steady_state(sc).evaluate(sc)  # levers at their horizon level
    assert out["capital"].shape == (len(sc.plan.sectors),)
    for i, s in enumerate(sc.plan.sector_ids):
        k = (
            sc[f"sectors.{s}.investment_rate"] * sc[f"sectors.{s}.base_output"]
            + sc[f"sectors.{s}.leverage"] * float(np.ravel(sc[f"levers.funds.{s}"])[-1])
        ) / sc[f"sectors.{s}.depreciation"]
        assert out["capital"][i] == pytest.approx(k, rel=1e-13)


def test_steady_state_on_a_plan_unlike_the_shipped_ones(toy):
    ss = steady_state(toy)
    assert "K_{2015}" in ss._repr_latex_()
    out = ss.evaluate(toy, 2022)
    assert out["talent"] == pytest.approx([(800 + 300) / 0.08, (1000 + 200) / 0.06, (400 + 100) / 0.1])
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
    assert "K[t] = I + F[t]*m + K[t-1]*(1 - δ)" in text and "capital accumulation" in text
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
    assert f"K_{{{p.years.base}}}" in eqs["capital_base"].latex()
    outputs = M.sector_outputs(p)
    for k, lk in enumerate(p.linked):
        eq = eqs[lk.id]
        assert eq.block == "linked" and outputs[lk.sector] in eq.rhs.free_symbols
        assert eq.lhs == M.linked_symbols(k)[0]
    for t in p.totals:
        assert eqs[t.id].rhs.free_symbols == {outputs[s] for s in t.sectors}
    doc = markdown_doc(p)
    assert all(f"`{s}`" in doc for s in p.sector_ids) and f"base year {p.years.base}" in doc


def test_equations_of_a_plan_unlike_the_shipped_ones(toy):
    eqs = equations(plan=toy)
    text = str(eqs)
    assert "t = 2016…2022; plan toy" in text and "S2[t] = S2[2015]*(Y_fr[t]/Y_fr[2015])**η2" in text
    assert eqs["tech_output"].latex() == r"Q_{t} = Y^{\mathrm{rb}}_{t} + Y^{\mathrm{bt}}_{t}"
    assert eqs["all_output"].latex() == r"Q^{(2)}_{t} = Y^{\mathrm{rb}}_{t} + Y^{\mathrm{bt}}_{t} + Y^{\mathrm{fr}}_{t}"
    assert "E_{2015}" in eqs["enterprises_base"].latex() and "K_{2015+n}" in eqs["capital_path"].latex()
    doc = markdown_doc(toy)
    assert "Parcels (`parcels`)" in doc and "| $Y^{\\mathrm{fr}}_{t}$ | `freight` | Freight |" in doc
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
