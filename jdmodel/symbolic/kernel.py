"""The per-year update of the growth block, lambdified from the sympy equations to numpy.

:func:`update` advances every stock by one year for all draws and sectors at once; it is
compiled from :func:`jdmodel.symbolic.model.growth_equations` (the equations the docs show)
and tests prove it equals the engine's hand-written :mod:`jdmodel.growth` functions.
:func:`run_growth` is the whole growth chain of a plan, base year to horizon, on the lambdified
update, with the plan's linked and total indicators; the derivations (elasticities, inverse
solves) evaluate the model through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

STATE = ("capital", "talent", "land", "tfp", "land_budget")
INPUTS = ("funds", "talent_lever", "land_lever", "land_requested_total", "d_infrastructure", "d_environment")
PARAMS = (
    "base_output",
    "investment_rate",
    "depreciation",
    "leverage",
    "talent_attrition",
    "talent_organic",
    "tfp_growth",
    "infra_effect",
    "environment_effect",
    "alpha",
    "beta",
    "gamma",
)
OUTPUTS = ("capital", "talent", "land", "tfp", "land_budget", "output", "land_granted")


@cache
def update_expressions() -> dict[str, object]:
    """Next year's stocks as sympy expressions of last year's stocks, this year's levers, the parameters."""
    from jdmodel.symbolic import model as M

    rhs = {e.name: e.rhs for e in M.growth_equations()}
    share = rhs["grant_share"]
    new = {
        "capital": rhs["capital"].subs(M.I, rhs["investment"]),
        "talent": rhs["talent"],
        "land": rhs["land"].subs(M.G, rhs["land_granted"]).subs(M.theta, share),
        "tfp": rhs["tfp"],
        "land_budget": rhs["land_budget"].subs(M.theta, share),
    }
    new["output"] = rhs["output"].subs(
        {M.K: new["capital"], M.H: new["talent"], M.L: new["land"], M.A: new["tfp"]}, simultaneous=True
    )
    new["land_granted"] = rhs["land_granted"].subs(M.theta, share)
    return new


def _symbols() -> tuple:
    from jdmodel.symbolic import model as M

    state = (M.K_prev, M.H_prev, M.L_prev, M.A_prev, M.R_prev)
    inputs = (M.F, M.T, M.ell, M.ell_sum, M.dD, M.dE)
    params = (M.Y0, M.s_inv, M.delta, M.m, M.rho, M.O, M.g_A, M.phi, M.psi, M.alpha, M.beta, M.gamma)
    return state + inputs + params


@cache
def compiled_update() -> Callable[..., tuple[Array, ...]]:
    """The lambdified update (numpy, common subexpressions shared); arguments in STATE+INPUTS+PARAMS order."""
    import sympy as sp

    exprs = update_expressions()
    return sp.lambdify(_symbols(), tuple(exprs[k] for k in OUTPUTS), modules="numpy", cse=True)


def update(
    state: Mapping[str, Array], inputs: Mapping[str, Array], params: Mapping[str, Array]
) -> dict[str, Array]:
    r"""Advance the growth block by one year, :math:`(K,H,L,A,R)_{t-1} \to (K,H,L,A,R,Y,G)_t`.

    The same for every plan: arrays carry as many sectors as the plan has.

    Parameters
    ----------
    state : mapping
        ``capital`` (亿元), ``talent`` (人), ``land`` (公顷), ``tfp`` (1) with shape (draw, sector);
        ``land_budget`` (公顷, what remains) with shape (draw, 1).
    inputs : mapping
        ``funds`` (亿元/yr), ``talent_lever`` (人/yr), ``land_lever`` (公顷/yr) with shape (draw, sector);
        ``land_requested_total`` (Σ over sectors of ``land_lever``), ``d_infrastructure`` and
        ``d_environment`` (index change this year) with shape (draw, 1).
    params : mapping
        The per-sector parameters named in :data:`PARAMS` (draw, sector); units as in the schema.

    Returns
    -------
    dict of arrays
        ``capital``, ``talent``, ``land``, ``tfp``, ``output``, ``land_granted`` (draw, sector) and
        ``land_budget`` (draw, 1) for year :math:`t`.

    Examples
    --------
    >>> one = np.ones((1, 1))
    >>> st = {"capital": 100 * one, "talent": 1000 * one, "land": 10 * one, "tfp": one,
    ...       "land_budget": 5 * one}
    >>> inp = {"funds": 2 * one, "talent_lever": 80 * one, "land_lever": 6 * one,
    ...        "land_requested_total": 6 * one, "d_infrastructure": 0 * one, "d_environment": 0 * one}
    >>> par = dict(zip(PARAMS, [50.0, 0.1, 0.1, 3.0, 0.1, 50.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0]))
    >>> out = update(st, inp, {k: v * one for k, v in par.items()})
    >>> float(out["capital"][0, 0]), float(out["land"][0, 0]), float(out["land_budget"][0, 0])
    (101.0, 15.0, 0.0)
    """
    args = [state[k] for k in STATE] + [inputs[k] for k in INPUTS] + [params[k] for k in PARAMS]
    with np.errstate(
        divide="ignore", invalid="ignore"
    ):  # the unused branch of the land share may divide by 0
        values = compiled_update()(*args)
    return dict(zip(OUTPUTS, values, strict=True))


def run_growth(
    values: Mapping[str, Array], plan: Any = None, totals: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Array]:
    """Run a plan's growth block, base year to horizon, on the lambdified update (as :func:`jdmodel.engine.run`).

    Parameters
    ----------
    values : mapping
        Dotted key → array with a leading draw axis (see :func:`jdmodel.engine.gather`).
    plan : Plan, Scenario, str or None
        Sectors, years, linked and total indicators; a scenario gives its plan and its targets'
        definition of the totals. Default: the default plan.
    totals : mapping, optional
        Total indicator id → the sectors it sums (as ``totals`` of :func:`jdmodel.engine.run`).

    Returns
    -------
    dict of arrays
        ``output``, ``capital``, ``talent``, ``land``, ``tfp`` (draw, year, sector),
        ``land_granted`` (draw, sector, lever year), and each linked and total indicator of the
        plan (draw, year), keyed by its id.

    Examples
    --------
    >>> import jdmodel as jd
    >>> from jdmodel.params.scenario import central_values
    >>> sc = jd.load_scenario("baseline")
    >>> out = run_growth(central_values(sc), sc)
    >>> out["output"].shape, sorted(k for k in out if out[k].ndim == 2)
    ((1, 11, 5), ['ecommerce_sales', 'online_economy_output'])
    """
    from jdmodel.engine import gather
    from jdmodel.symbolic import model as M
    from jdmodel.symbolic._plan import plan_of, totals_of

    p_ = plan_of(plan)
    sectors = p_.sector_ids
    n_lever_years = len(p_.years.levers)
    x = gather(values, sectors, n_lever_years)
    p = x.sector
    Y0 = p["base_output"]
    K0 = p["capital_output_ratio"] * Y0
    H0 = np.broadcast_to(p["talent_base"], Y0.shape).astype(float)
    L0 = np.broadcast_to(p["land_base"], Y0.shape).astype(float)
    A0 = _calibration()(Y0, K0, H0, L0, p["alpha"], p["beta"], p["gamma"])
    state = {
        "capital": K0,
        "talent": H0,
        "land": L0,
        "tfp": A0,
        "land_budget": x.land_budget.astype(float)[:, None],
    }
    params = {k: p[k] for k in PARAMS}
    d_infra, d_env = np.diff(x.infrastructure, axis=1), np.diff(x.environment, axis=1)
    path = {"output": [Y0], **{k: [state[k]] for k in ("capital", "talent", "land", "tfp")}}
    granted = np.zeros_like(x.levers["land"])
    for t in range(n_lever_years):
        land = x.levers["land"][:, :, t]
        inputs = {
            "funds": x.levers["funds"][:, :, t],
            "talent_lever": x.levers["talent"][:, :, t],
            "land_lever": land,
            "land_requested_total": land.sum(axis=-1, keepdims=True),
            "d_infrastructure": d_infra[:, t, None],
            "d_environment": d_env[:, t, None],
        }
        new = update(state, inputs, params)
        state = {k: new[k] for k in STATE}
        granted[:, :, t] = new["land_granted"]
        for k in path:
            path[k].append(new[k])
    out = {k: np.stack(v, axis=1) for k, v in path.items()}
    linked = _linked()
    for lk in p_.linked:
        j = sectors.index(lk.sector)
        base = _per_draw(values[M.parameter_key(M.S0, linked=lk.id)], x.n_draws)
        eta = _per_draw(values[M.parameter_key(M.eta, linked=lk.id)], x.n_draws)
        out[lk.id] = linked(base[:, None], out["output"][:, :, j], Y0[:, j, None], eta[:, None])
    for tid, members in totals_of(plan, totals):
        columns = [out["output"][:, :, j] for j, s in enumerate(sectors) if s in members]
        out[tid] = _total(p_, tuple(members))(*columns)
    out["land_granted"] = granted
    return out


def _per_draw(value, n: int) -> Array:
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (n,))


@cache
def _calibration() -> Callable[..., Array]:
    import sympy as sp

    from jdmodel.symbolic import model as M

    return sp.lambdify(
        (M.Y0, M.K0, M.H0, M.L0, M.alpha, M.beta, M.gamma), M.growth_equation("tfp_base").rhs, modules="numpy"
    )


@cache
def _linked() -> Callable[..., Array]:
    """The linked-indicator equation lambdified: ``f(S_base, Y_s, Y_s_base, η)``."""
    import sympy as sp

    from jdmodel.symbolic import model as M

    return sp.lambdify((M.S0, M.Y_S, M.Y_S0, M.eta), M.linked_template().rhs, modules="numpy")


@cache
def _total(plan, members: tuple[str, ...]) -> Callable[..., Array]:
    """A total indicator's equation lambdified: ``f(Y_a, Y_b, …)`` over its sectors in the plan's order."""
    import sympy as sp

    from jdmodel.symbolic import model as M

    outputs = M.sector_outputs(plan)
    args = tuple(y for s, y in outputs.items() if s in members)
    return sp.lambdify(args, M.total_expression(members, plan), modules="numpy")
