"""The growth block lambdified from the sympy equations to numpy, run as the engine runs it.

:func:`update` advances every stock by one year for all draws and sectors at once; it is
compiled from :func:`jdmodel.symbolic.model.growth_equations` (the equations the docs show)
and tests prove it equals the engine's hand-written :mod:`jdmodel.growth` functions.
:func:`run_growth` is the whole growth chain of a plan, base year to horizon — the base-year
calibration, the yearly update, the market-share variant when the scenario selects it, measured
output with the plan's shock span, the linked and total indicators — every step a lambdified
equation; tests prove it equal to :func:`jdmodel.engine.run` for every shipped plan and scenario.
The derivations (elasticities, inverse solves) evaluate the model through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

STATE = ("capital", "talent", "land", "tfp", "land_budget", "value_added")
INPUTS = ("funds", "talent_lever", "land_lever", "land_requested_total", "d_infrastructure", "d_environment")
PARAMS = (
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
OUTPUTS = ("capital", "talent", "land", "tfp", "land_budget", "value_added", "land_granted")


@cache
def update_expressions() -> dict[str, object]:
    """This year's stocks and trend value added as sympy expressions of last year's, this year's levers, the parameters.

    Last year's investment is :math:`s V_{t-1}` (the ``investment`` equation one year back).
    """
    from jdmodel.symbolic import model as M

    rhs = {e.name: e.rhs for e in M.growth_equations()}
    share = rhs["grant_share"]
    new = {
        "capital": rhs["capital"].subs(M.I_prev, rhs["investment"].subs(M.V, M.V_prev)),
        "talent": rhs["talent"],
        "land": rhs["land"].subs(M.G, rhs["land_granted"]).subs(M.theta, share),
        "tfp": rhs["tfp"],
        "land_budget": rhs["land_budget"].subs(M.theta, share),
    }
    new["value_added"] = rhs["value_added"].subs(
        {M.K: new["capital"], M.H: new["talent"], M.L: new["land"], M.A: new["tfp"]}, simultaneous=True
    )
    new["land_granted"] = rhs["land_granted"].subs(M.theta, share)
    return new


def _symbols() -> tuple:
    from jdmodel.symbolic import model as M

    state = (M.K_prev, M.H_prev, M.L_prev, M.A_prev, M.R_prev, M.V_prev)
    inputs = (M.F, M.T, M.ell, M.ell_sum, M.dD, M.dE)
    params = (M.s_inv, M.delta, M.m, M.rho, M.O, M.g_A, M.phi, M.psi, M.alpha, M.beta, M.gamma)
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
    r"""Advance the growth block by one year, :math:`(K,H,L,A,R,V)_{t-1} \to (K,H,L,A,R,V,G)_t`.

    :math:`V` is value added on trend, from the production function; the market-share variant
    replaces its market sector's :math:`V` afterwards (:func:`run_growth`). The same for every
    plan: arrays carry as many sectors as the plan has.

    Parameters
    ----------
    state : mapping
        ``capital`` (亿元), ``talent`` (人), ``land`` (公顷), ``tfp`` (1), ``value_added`` (亿元/yr, on
        trend) with shape (draw, sector); ``land_budget`` (公顷, what remains) with shape (draw, 1).
    inputs : mapping
        ``funds`` (亿元/yr), ``talent_lever`` (人/yr), ``land_lever`` (公顷/yr) with shape (draw, sector);
        ``land_requested_total`` (Σ over sectors of ``land_lever``), ``d_infrastructure`` and
        ``d_environment`` (index change this year) with shape (draw, 1).
    params : mapping
        The per-sector parameters named in :data:`PARAMS` (draw, sector); units as in the schema.

    Returns
    -------
    dict of arrays
        ``capital``, ``talent``, ``land``, ``tfp``, ``value_added``, ``land_granted`` (draw, sector)
        and ``land_budget`` (draw, 1) for year :math:`t`.

    Examples
    --------
    >>> one = np.ones((1, 1))
    >>> st = {"capital": 100 * one, "talent": 1000 * one, "land": 10 * one, "tfp": one,
    ...       "land_budget": 5 * one, "value_added": 50 * one}
    >>> inp = {"funds": 2 * one, "talent_lever": 80 * one, "land_lever": 6 * one,
    ...        "land_requested_total": 6 * one, "d_infrastructure": 0 * one, "d_environment": 0 * one}
    >>> par = dict(zip(PARAMS, [0.1, 0.1, 3.0, 0.1, 50.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0]))
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


@cache
def equation_function(name: str, args: tuple) -> Callable[..., Array]:
    """The right-hand side of the growth equation ``name`` lambdified over the symbols ``args``."""
    import sympy as sp

    from jdmodel.symbolic import model as M

    return sp.lambdify(args, M.growth_equation(name).rhs, modules="numpy")


def _fn(name: str, *args) -> Callable[..., Array]:
    return equation_function(name, tuple(args))


def variant_of(plan: Any, options: Mapping[str, object] | None) -> str:
    """The scenario's ``model.variant`` (``options``, else a scenario's own switches; default ``supply``)."""
    from jdmodel.symbolic._plan import _is_scenario

    if options is None and _is_scenario(plan):
        from jdmodel.params.scenario import options as scenario_options

        options = scenario_options(plan)
    return str((options or {}).get("model.variant", "supply"))


def deviations(plan, shock: Array, rebound: Array) -> Array:
    r"""The deviation :math:`d_t` of measured output from trend, (draw, year, sector), from the ``shock_deviation`` equation.

    ``shock`` and ``rebound`` are (draw, sector); a plan without a shock span has :math:`d_t = 0`.
    """
    from jdmodel.symbolic import model as M

    years = np.asarray(plan.years.all, dtype=float)[None, :, None]
    tau = (np.nan, np.nan) if plan.shock is None else tuple(float(y) for y in plan.shock)
    f = _fn("shock_deviation", M.t_year, M.tau_1, M.tau_2, M.d_shock, M.d_rebound)
    shock, rebound = (np.asarray(a, dtype=float)[:, None, :] for a in (shock, rebound))
    out = f(years, tau[0], tau[1], shock, rebound)
    return np.broadcast_to(np.asarray(out, dtype=float), (shock.shape[0], years.shape[1], shock.shape[2])).copy()


def run_growth(
    values: Mapping[str, Array],
    plan: Any = None,
    totals: Mapping[str, Sequence[str]] | None = None,
    options: Mapping[str, object] | None = None,
) -> dict[str, Array]:
    """Run a plan's growth block, base year to horizon, on the lambdified equations (as :func:`jdmodel.engine.run`).

    Parameters
    ----------
    values : mapping
        Dotted key → array with a leading draw axis (see :func:`jdmodel.engine.gather`).
    plan : Plan, Scenario, str or None
        Sectors, years, shock span, market, linked and total indicators; a scenario gives its plan,
        its targets' definition of the totals and (unless ``options`` is given) its switches.
        Default: the default plan.
    totals : mapping, optional
        Total indicator id → the sectors it sums (as ``totals`` of :func:`jdmodel.engine.run`).
    options : mapping, optional
        The scenario's switches (as ``options`` of :func:`jdmodel.engine.run`):
        ``model.variant = "market_share"`` runs the plan's market sector on its market.

    Returns
    -------
    dict of arrays
        ``output`` (measured), ``value_added`` (:math:`V (1 + d)`, as the engine records it),
        ``value_added_trend`` (:math:`V`), ``capital``, ``talent``, ``land``, ``tfp`` (draw, year,
        sector), ``land_granted`` (draw, sector, lever year), each linked and total indicator of the
        plan (draw, year), keyed by its id, and ``market`` (draw, year) under the market-share variant.

    Raises
    ------
    ParameterError
        For the market-share variant on a plan that declares no ``[market]``.

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
    dev = deviations(p_, p["shock"], p["rebound"])
    M0 = p["base_output"]
    V0 = _fn("value_added_base", M.M0, M.mu, M.v_va, M.d0)(M0, p["margin"], p["va_share"], dev[:, 0])
    K0 = _fn("capital_base", M.s_inv, M.V0, M.g_0, M.delta)(p["investment_rate"], V0, p["pre_growth"],
                                                            p["depreciation"])
    H0 = np.broadcast_to(p["talent_base"], M0.shape).astype(float)
    L0 = np.broadcast_to(p["land_base"], M0.shape).astype(float)
    A0 = _fn("tfp_base", M.V0, M.K0, M.H0, M.L0, M.alpha, M.beta, M.gamma)(V0, K0, H0, L0, p["alpha"], p["beta"],
                                                                             p["gamma"])
    market = None
    if variant_of(plan, options) == "market_share":
        market = _Market(p_, values, x.n_draws, V0, K0, H0, L0, p)
    state = {
        "capital": K0,
        "talent": H0,
        "land": L0,
        "tfp": A0,
        "land_budget": x.land_budget.astype(float)[:, None],
        "value_added": V0,
    }
    params = {k: p[k] for k in PARAMS}
    d_infra, d_env = np.diff(x.infrastructure, axis=1), np.diff(x.environment, axis=1)
    path = {k: [state[k]] for k in ("value_added", "capital", "talent", "land", "tfp")}
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
        if market is not None:
            new["value_added"] = market.value_added(new, t + 1)
        state = {k: new[k] for k in STATE}
        granted[:, :, t] = new["land_granted"]
        for k in path:
            path[k].append(new[k])
    out = {k: np.stack(v, axis=1) for k, v in path.items()}
    trend = out.pop("value_added")
    ratio = {k: p[k][:, None, :] for k in ("margin", "va_share")}
    out["output"] = _fn("output", M.V, M.d, M.mu, M.v_va)(trend, dev, ratio["margin"], ratio["va_share"])
    out["value_added"] = trend * (1.0 + dev)
    out["value_added_trend"] = trend
    if market is not None:
        out["market"] = market.levels
    linked = _linked()
    for lk in p_.linked:
        j = sectors.index(lk.sector)
        base = _per_draw(values[M.parameter_key(M.S0, linked=lk.id)], x.n_draws)
        eta = _per_draw(values[M.parameter_key(M.eta, linked=lk.id)], x.n_draws)
        out[lk.id] = linked(base[:, None], out["output"][:, :, j], M0[:, j, None], eta[:, None])
    for tid, members in totals_of(plan, totals):
        columns = [out["output"][:, :, j] for j, s in enumerate(sectors) if s in members]
        out[tid] = _total(p_, tuple(members))(*columns)
    out["land_granted"] = granted
    return out


class _Market:
    """The market-share variant's state in the kernel: the market sector's value added from the ``market`` equations."""

    def __init__(self, plan, values, n: int, V0: Array, K0: Array, H0: Array, L0: Array, p) -> None:
        from jdmodel.symbolic import model as M

        if plan.market is None:
            from jdmodel.errors import ParameterError

            raise ParameterError(f"model.variant = 'market_share': plan {plan.id!r} declares no [market] in plan.toml")
        j = plan.sector_ids.index(plan.market.sector)
        self.j = j
        self.coef = {k: p[k][:, j] for k in ("alpha", "beta", "gamma", "margin", "va_share")}
        self.levels = market_levels(plan, _per_draw(values[M.parameter_key(M.g_Mkt)], n))
        self.inputs = _fn("market_inputs", M.K, M.H, M.L, M.alpha, M.beta, M.gamma)
        self.x0 = self._inputs(K0, H0, L0)
        self.share0 = _fn("market_share_base", M.V0, M.mu, M.v_va, M.Mkt0)(
            V0[:, j], self.coef["margin"], self.coef["va_share"], self.levels[:, 0])
        self.eps = _per_draw(values[M.parameter_key(M.epsilon)], n)
        self.fn = _fn("market_value_added", M.mu, M.v_va, M.sigma_0, M.X, M.X0, M.epsilon, M.Mkt)

    def _inputs(self, K: Array, H: Array, L: Array) -> Array:
        c, j = self.coef, self.j
        return self.inputs(K[:, j], H[:, j], L[:, j], c["alpha"], c["beta"], c["gamma"])

    def value_added(self, new: Mapping[str, Array], t: int) -> Array:
        """This year's value added with the market sector's column from its market."""
        out = np.array(new["value_added"], dtype=float, copy=True)
        x = self._inputs(new["capital"], new["talent"], new["land"])
        out[:, self.j] = self.fn(self.coef["margin"], self.coef["va_share"], self.share0, x, self.x0, self.eps,
                                 self.levels[:, t])
        return out


def market_levels(plan, growth: Array) -> Array:
    r"""The plan's market over its years, (draw, year): published levels, then the ``market`` equation.

    Years up to the last published one come from the series (log-linear between published levels,
    :meth:`jdmodel.params.plan.Market.path`); each later year is :math:`\mathrm{Mkt}_{t-1}(1 + g_{\mathrm{Mkt}})`.
    """
    from jdmodel.symbolic import model as M

    years = plan.years.all
    growth = np.asarray(growth, dtype=float).reshape(-1)
    published = np.broadcast_to(plan.market.path(years, growth), (growth.size, len(years))).copy()
    last = plan.market.points[-1].year
    step = _fn("market", M.Mkt_prev, M.g_Mkt)
    for i, year in enumerate(years):
        if i > 0 and year > last:
            published[:, i] = step(published[:, i - 1], growth)
    return published


def _per_draw(value, n: int) -> Array:
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (n,))


@cache
def _linked() -> Callable[..., Array]:
    """The linked-indicator equation lambdified: ``f(S_base, M_s, M_s_base, η)``."""
    import sympy as sp

    from jdmodel.symbolic import model as M

    return sp.lambdify((M.S0, M.M_S, M.M_S0, M.eta), M.linked_template().rhs, modules="numpy")


@cache
def _total(plan, members: tuple[str, ...]) -> Callable[..., Array]:
    """A total indicator's equation lambdified: ``f(M_a, M_b, …)`` over its sectors in the plan's order."""
    import sympy as sp

    from jdmodel.symbolic import model as M

    outputs = M.sector_outputs(plan)
    args = tuple(y for s, y in outputs.items() if s in members)
    return sp.lambdify(args, M.total_expression(members, plan), modules="numpy")
