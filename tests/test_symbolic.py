"""jdmodel.symbolic: sympy equations run as the engine runs, derivations, docs generated from the source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import jdmodel as jd
from jdmodel import engine, growth
from jdmodel.errors import ModelError, ParameterError
from jdmodel.params.scenario import central_values
from jdmodel.params.schema import SCHEMA, SECTORS
from jdmodel.pipeline.simulate import composition_mask
from jdmodel.symbolic import kernel
from jdmodel.symbolic import model as M
from jdmodel.symbolic.accounting import growth_accounting
from jdmodel.symbolic.derivations import doubling_time, ecommerce_arithmetic, required_cagr, steady_state
from jdmodel.symbolic.display import equations, markdown_doc
from jdmodel.symbolic.levers import elasticities, lever_for_output

BASE = jd.load_scenario("baseline")
S = len(SECTORS)


def _random_step(rng: np.random.Generator, d: int) -> tuple[dict, dict, dict]:
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


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_lambdified_update_equals_the_engines_growth_functions(seed):
    state, inputs, p = _random_step(np.random.default_rng(seed), 400)
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


@pytest.mark.parametrize("name", ["baseline", "plan", "land_constrained"])
def test_lambdified_run_equals_engine_run(name):
    sc = jd.load_scenario(name)
    values = central_values(sc)
    rng = np.random.default_rng(5)
    for key in [k for k in values if k.startswith("sectors.") and not k.endswith(("alpha", "beta", "gamma"))]:
        values[key] = values[key] * rng.uniform(0.8, 1.2, (64, *values[key].shape[1:]))
    values = {k: v for k, v in values.items() if not k.startswith("counting.")}  # growth block only
    ref = engine.run(values, composition=composition_mask(sc))
    got = kernel.run_growth(values, composition_mask(sc))
    for k in ("output", "capital", "talent", "land", "tfp", "ecommerce_sales", "online_economy_output"):
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=0, err_msg=k)
    np.testing.assert_allclose(got["land_granted"], ref["land_granted"], rtol=1e-12, atol=1e-10)


def test_every_parameter_symbol_names_a_schema_key_and_the_kernel_reads_them():
    assert set(M.PARAMETER_KEYS.values()) <= set(SCHEMA)
    kernel_keys = {f"sectors.*.{p}" for p in kernel.PARAMS}
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
    with pytest.raises(ParameterError, match="2019"):
        growth_accounting(jd.simulate(BASE, io=False), BASE, periods=[(2019, 2022)])


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


def test_ecommerce_arithmetic_table():
    t = ecommerce_arithmetic()
    assert round(t.values["line_5y"]) == 4071 and round(t.values["line_6y"]) == 4682
    assert round(t.values["implied_base_2020"], 1) == 1988.7
    assert round(100 * t.values["cagr_6y"], 2) == 12.02 and round(100 * t.values["cagr_5y"], 2) == 14.60
    assert "4,071.0" in t.table() and "<table>" in t._repr_html_() and r"\begin{array}" in t._repr_latex_()


# --- elasticities and the inverse solve ------------------------------------------------------------------
def _fd_elasticity(sc, lever: str, sector: str, year: int, h: float = 1e-4) -> float:
    key = f"levers.{lever}.{sector}"
    path = np.broadcast_to(np.asarray(sc[key], float), (10,))
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


def test_analytic_and_lambdified_elasticities_agree_everywhere():
    a = elasticities(BASE, 2026).values
    n = elasticities(BASE, 2026, method="numeric").values
    np.testing.assert_allclose(a.values, n.values, rtol=1e-6)


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


def test_steady_state_evaluate_gives_per_sector_stocks():
    out = steady_state().evaluate(BASE, 2030)
    s = SECTORS.index("ecommerce")
    k = (
        BASE["sectors.ecommerce.investment_rate"] * BASE["sectors.ecommerce.base_output"]
        + BASE["sectors.ecommerce.leverage"] * float(np.ravel(BASE["levers.funds.ecommerce"])[-1])
    ) / BASE["sectors.ecommerce.depreciation"]
    assert out["capital"][s] == pytest.approx(k, rel=1e-13)


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
    for key in [k for k in values if k.startswith("levers.")]:
        values[key] = values[key] * rng.uniform(0.0, 3.0, (d, 10))
    growth_out = kernel.run_growth(values)
    x = engine.gather(values)
    args = {
        "funds": x.levers["funds"],
        "talent": x.levers["talent"],
        "land": growth_out["land_granted"],
        "output": np.moveaxis(growth_out["output"], 1, 2),
        "infra": x.infrastructure,
    }
    ref = counting.simulate_counts(p, noise=None, **args)
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


def test_committed_equations_doc_is_the_generated_text():
    doc = Path(__file__).parent.parent / "docs" / "equations.md"
    assert doc.read_text(encoding="utf-8") == markdown_doc(), "regenerate: python -m jdmodel.symbolic"


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
