"""jdmodel.policy: the lever frontier against a closed form, monotonicity on common random numbers,
the budget optimiser against a coarse grid and its constraints, costs, CLI, figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import jdmodel as jd
from jdmodel.errors import ParameterError
from jdmodel.params.plan import load_plan
from jdmodel.pipeline.sampling import uncertain_parameters
from jdmodel.policy import budget_grid, frontier, frontier_curve, load_costs, optimise_budget
from jdmodel.policy._crn import CRNEnsemble, hits
from jdmodel.policy.costs import price_factor

YEARS = load_plan("jiading").years.all


LOW, HIGH = 1.5, 5.0          # the one uncertain parameter: e-commerce leverage ~ U(1.5, 5)


@pytest.fixture(scope="module")
def plan():
    return jd.load_scenario("plan")


@pytest.fixture(scope="module")
def one_uncertain(plan):
    """Every sampled parameter fixed at its central value except the e-commerce leverage, uniform.

    Output in 2025 then depends on the draw only through m · c (leverage × funds scale of
    e-commerce): with c* solving output(m · c = c*) = 4000 on the central run,
    P(output > 4000 | c) = P(m > c*/c) = (HIGH − c*/c) / (HIGH − LOW).
    """
    from dataclasses import replace

    fixed = plan.with_overrides({k: float(plan[k]) for k, _ in uncertain_parameters(plan)})
    assert uncertain_parameters(fixed) == []

    def output_2025(m: float) -> float:
        sc = fixed.with_overrides({"sectors.ecommerce.leverage": m})
        return float(jd.simulate(sc, io=False).online_economy_output.sel(year=2025))

    # a threshold the central run reaches at a leverage inside (LOW, HIGH) times a funds scale near 1
    threshold = output_2025(3.0) * 1.02
    targets = replace(fixed.targets, targets=tuple(replace(t, threshold=threshold) if t.id == "output" else t
                                                   for t in fixed.targets.targets))
    fixed = replace(fixed, targets=targets)
    one = fixed.with_overrides({"sectors.ecommerce.leverage": {
        "value": 3.0, "unit": "1", "low": LOW, "high": HIGH, "dist": "uniform", "source": "assumption: test"}})

    c_star = brentq(lambda m: output_2025(m) - threshold, 0.5, 40.0, xtol=1e-10)
    return one, c_star


def analytic_p(scale, c_star):
    return np.clip((HIGH - c_star / np.asarray(scale, dtype=float)) / (HIGH - LOW), 0.0, 1.0)


# --- frontier: known answer ---------------------------------------------------------------------
@pytest.mark.parametrize("prob", [0.2, 0.8])
def test_frontier_recovers_the_analytic_scale(one_uncertain, prob):
    sc, c_star = one_uncertain
    expected = c_star / (HIGH - (HIGH - LOW) * prob)
    r = frontier(sc, target="output", lever="funds", prob=prob, sectors=["ecommerce"], draws=2000, seed=3)
    assert r.scale == pytest.approx(expected, rel=2e-3)
    assert r.probability >= prob
    lo, hi = r.interval
    assert lo <= r.scale <= hi
    base = float(np.mean(sc["levers.funds.ecommerce"][:5]))
    assert r.amount == pytest.approx(r.scale * base) and r.cost == pytest.approx(r.amount)   # funds cost 1:1


def test_frontier_curve_matches_the_closed_form(one_uncertain):
    sc, c_star = one_uncertain
    scales = np.array([0.5, 1.2, 1.5, 2.0, 3.0, 4.5])
    c = frontier_curve(sc, target="output", sectors=["ecommerce"], scales=scales, draws=1000, seed=1)
    # a one-dimensional Latin hypercube puts one draw in each 1/N stratum: error ≤ 1/N
    np.testing.assert_allclose(c.p_reach.values, analytic_p(scales, c_star), atol=1.5e-3)
    assert set(c.data_vars) >= {"p_reach", "p_se", "p_each", "amount", "cost"}


# --- frontier: properties -------------------------------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.floats(0.0, 6.0), b=st.floats(0.0, 6.0), lever=st.sampled_from(["funds", "talent"]))
def test_more_of_a_lever_never_lowers_a_draw(plan, a, b, lever):
    lo, hi = sorted((a, b))
    ens = CRNEnsemble(plan, 150, 5)
    keys = {f"levers.{lever}.{s}": ens.lever_path(lever, s) for s in ("industrial_internet", "ecommerce")}
    out = ens.run([{k: v * lo for k, v in keys.items()}, {k: v * hi for k, v in keys.items()}])
    for t in ens.available():
        h = hits(out, [t], 2020)
        assert np.all(h[0] <= h[1]), t.id                    # per draw, not only on average
        v = out[t.indicator][:, :, YEARS.index(2025)]
        assert np.all(v[1] >= v[0] - 1e-9 * np.abs(v[0])), t.id


def test_p_reach_is_monotone_on_a_grid(plan):
    c = frontier_curve(plan, target="all", scales=np.linspace(0, 12, 13), draws=400, seed=2)
    assert np.all(np.diff(c.p_reach.values) >= 0)
    assert np.all(np.diff(c.p_each.values, axis=0) >= 0)


def test_common_random_numbers_make_frontier_and_curve_agree(plan):
    r1 = frontier(plan, prob=0.6, draws=300, seed=4)
    r2 = frontier(plan, prob=0.6, draws=300, seed=4)
    assert r1.scale == r2.scale and r1.evaluations == r2.evaluations
    scales = [s for s, _ in r1.evaluations]
    c = frontier_curve(plan, scales=scales, draws=300, seed=4)
    np.testing.assert_array_equal(c.p_reach.values, [p for _, p in r1.evaluations])
    below = [p for s, p in r1.evaluations if s < r1.scale]
    assert all(p < 0.6 for p in below) and r1.probability >= 0.6


def test_frontier_unreachable_names_the_best_probability(plan):
    with pytest.raises(ParameterError, match=r"best is P = .*% at scale 1.5"):
        frontier(plan, prob=0.99, draws=200, bounds=(0, 1.5))


def test_frontier_at_the_lower_bound(plan):
    r = frontier(plan, prob=0.01, draws=200, bounds=(0.5, 3))
    assert r.scale == 0.5 and "lower bound" in r.note


@pytest.mark.parametrize("kwargs, match", [
    ({"lever": "infrastructure"}, "lever must be"),
    ({"prob": 1.5}, "prob must be"),
    ({"bounds": (3, 1)}, "bounds must satisfy"),
    ({"target": "gdp"}, "not a target"),
    ({"sectors": ["retail"]}, "sectors must be"),
    ({"draws": 0}, "draws must be"),
])
def test_frontier_bad_input(plan, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        frontier(plan, **{"draws": 50, **kwargs})


def test_frontier_result_reprs(plan):
    r = frontier(plan, prob=0.5, draws=200)
    text = r.table()
    assert f"{r.scale:.3f}" in text and "亿元/yr" in text and "plan" in text
    assert "<table>" in r._repr_html_()


# --- budget ---------------------------------------------------------------------------------------
def _amount_settings(ens, cells, spends, price):
    out = []
    for y in spends:
        s = {}
        for (lv, sec), v in zip(cells, y, strict=True):
            path = ens.lever_path(lv, sec).copy()
            path[:5] = v / price[lv]
            s[f"levers.{lv}.{sec}"] = path
        out.append(s)
    return out


def test_budget_beats_every_grid_allocation_and_respects_constraints(plan):
    costs = load_costs()
    levers, sectors, budget = ("funds", "talent"), ("ecommerce", "online_services"), 8.0
    r = optimise_budget(plan, budget, levers=levers, sectors=sectors, draws=250, seed=6, grid=4, profile=False)
    cells = [(lv, s) for lv in levers for s in sectors]
    y_opt = r.spend.values.ravel()
    # constraints: budget, bounds (policy.toml capacities), non-negativity
    assert y_opt.sum() <= budget * (1 + 1e-9)
    cap = np.array([costs.capacity[lv] for lv, _ in cells])
    assert np.all(r.allocation.values.ravel() >= 0) and np.all(r.allocation.values.ravel() <= cap * (1 + 1e-9))
    # every feasible grid split, evaluated independently on the same draws
    grid = budget_grid(len(cells), 4) * budget
    grid = grid[np.all(grid / np.array([costs.price[lv] for lv, _ in cells]) <= cap + 1e-9, axis=1)]
    assert len(grid) > 3
    ens = CRNEnsemble(plan, 250, 6)
    targets = ens.available()
    p_grid = hits(ens.run(_amount_settings(ens, cells, grid, costs.price)), targets, 2020).mean(axis=1)
    p_opt = hits(ens.run(_amount_settings(ens, cells, [y_opt], costs.price)), targets, 2020).mean(axis=1)[0]
    assert p_opt == pytest.approx(r.value)
    assert p_opt >= p_grid.max()
    assert r.grid_size == len(grid)


def test_budget_respects_a_binding_land_budget(plan):
    sc = plan.with_overrides({"district.land_budget": 135.0})
    r = optimise_budget(sc, 6.0, levers=("funds", "land"), sectors=("ecommerce", "industrial_internet"),
                        draws=150, seed=1, profile=False)
    outside = sum(float(np.sum(sc[f"levers.land.{s}"][5:])) for s in ("ecommerce", "industrial_internet")) + sum(
        float(np.sum(sc[f"levers.land.{s}"])) for s in ("online_entertainment", "smart_transport", "online_services"))
    allowance = (135.0 - outside) / 5
    assert r.land_allowance == pytest.approx(allowance)
    assert 5 * r.allocation.sel(lever="land").sum() + outside <= 135.0 + 1e-6
    assert r.land_used <= r.land_allowance + 1e-9
    assert r.spend.sum() <= 6.0 + 1e-9


def test_shortfall_objective_beats_random_feasible_splits(plan):
    budget, cells = 10.0, 3
    r = optimise_budget(plan, budget, levers=("funds",), sectors=("industrial_internet", "ecommerce",
                        "online_services"), objective="shortfall", target="output", draws=200, seed=2,
                        profile=True, profile_points=5)
    rng = np.random.default_rng(0)
    splits = rng.dirichlet(np.ones(cells), size=30) * budget
    others = r.evaluate(splits)
    assert r.value <= others.min() + 1e-9
    assert r.profile.objective.min() >= r.value - 1e-9           # no point of the profile is better
    assert r.within_se >= 0


def test_budget_result_reprs_and_scenario_comparison(plan):
    r = optimise_budget(plan, 12.0, levers=("funds",), sectors=("ecommerce", "online_services"), draws=100,
                        profile=False)
    text = r.table()
    assert "scenario as is" in text and "flatness" in text and "funds" in text
    assert "<table>" in r._repr_html_()
    assert 0 <= r.probabilities["all"] <= 1 and set(r.probabilities) >= {"output", "all"}


@pytest.mark.parametrize("kwargs, match", [
    ({"budget": -1}, "budget must be"),
    ({"objective": "gdp"}, "objective must be"),
    ({"levers": ("funds", "infrastructure")}, "levers must be"),
    ({"bounds": {"funds": (5, 20)}, "budget": 3.0}, "lower bounds alone cost"),
    ({"bounds": {"water": (0, 1)}}, "unknown lever"),
])
def test_budget_bad_input(plan, kwargs, match):
    args = {"budget": 10.0, "levers": ("funds",), "draws": 20, "profile": False, **kwargs}
    with pytest.raises(ParameterError, match=match):
        optimise_budget(plan, **args)


def test_budget_grid_is_the_simplex_lattice():
    g = budget_grid(4, 3)
    assert len(g) == math.comb(6, 3)
    np.testing.assert_allclose(g.sum(axis=1), 1.0)
    assert len({tuple(r) for r in g}) == len(g)


# --- costs ----------------------------------------------------------------------------------------
def test_costs_are_read_in_canonical_units():
    c = load_costs()
    assert c.price["funds"] == 1.0
    assert c.price["talent"] == pytest.approx(10 * 1e-4)            # 10 万元/人
    assert c.price["land"] == pytest.approx(80 * 1e-4 * 15)         # 80 万元/亩 = 1200 万元/公顷
    assert price_factor("元/人", "people") == pytest.approx(1e-8)
    lo, hi = c.ranges["price.talent"]
    assert lo < c.price["talent"] < hi and c.with_prices(talent=0.002).price["talent"] == 0.002
    assert price_factor("亿元/公顷", "people") is None


def test_bad_cost_file_lists_every_problem(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text('[price.talent]\nvalue = 10\nunit = "万元/kg"\nlow = 3\nhigh = 50\nsource = "x"\n'
                 '[price.land]\nvalue = 80\nunit = "万元/亩"\nsource = "x"\n', encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        load_costs(f)
    text = str(err.value)
    assert "price.talent" in text and "万元/kg" in text and "price.land" in text and "bounds.funds" in text


# --- CLI and figures ------------------------------------------------------------------------------
def test_cli_frontier(capsys):
    from jdmodel.cli import main

    assert main(["frontier", "plan", "--draws", "200", "--prob", "0.5", "--sectors", "ecommerce,online_services"]) == 0
    assert "scale" in capsys.readouterr().out
    assert main(["frontier", "plan", "--draws", "50", "--prob", "2"]) == 2
    assert "--prob" in capsys.readouterr().err


def test_plots_return_axes(plan):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jdmodel.figures.policy import plot_budget, plot_budget_profile, plot_frontier

    c = frontier_curve(plan, scales=[0, 1, 2, 4], draws=100)
    r = frontier(plan, prob=0.5, draws=100)
    for x in ("amount", "scale"):
        ax = plot_frontier(c, result=r, x=x)
        assert ax.get_ylabel() == "P(reach)"
    b = optimise_budget(plan, 10.0, levers=("funds", "talent"), sectors=("ecommerce",), draws=50,
                        profile_points=3)
    assert len(plot_budget(b).patches) >= 2
    assert plot_budget_profile(b).get_lines()
    with pytest.raises(ParameterError):
        plot_frontier(jd.simulate("plan", io=False))
    plt.close("all")


def test_plot_conditioned_draws_prior_and_posterior():
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jdmodel.figures.policy import plot_conditioned

    ens = jd.simulate("plan", draws=300, seed=1, io=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = jd.condition(ens)
    ax = plot_conditioned(post, target=4000)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "prior median" in labels and "posterior median" in labels
    with pytest.raises(ParameterError, match="no quantiles"):
        plot_conditioned(post, "gdp")
    plt.close("all")
