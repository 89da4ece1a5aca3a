r"""Levers and output: elasticities and the constant lever level that reaches an output target.

Both read the model through the lambdified equations (:mod:`jdmodel.symbolic.kernel`) and through
derivatives that sympy takes of the same equations. Scaling a lever path by :math:`\lambda` moves
the stocks by :math:`C_{X,t} = \partial X_t / \partial \ln\lambda` (:math:`X = K, H, L`), and value
added — so measured output, :math:`M = V(1+d)/(\mu v)` — by the elasticity

.. math:: \xi_t = \alpha\,C_{K,t}/K_t + \beta\,C_{H,t}/H_t + \gamma\,C_{L,t}/L_t .

Because investment is a share of value added, a lever also raises capital through the investment
out of the value added it raised: differentiating the capital equation gives the recursion
:math:`C_{K,t} = (1-\delta) C_{K,t-1} + s V_{t-1} \xi_{t-1} + m F_t` (the last term for the funds
lever only), and likewise :math:`C_{H,t} = (1-\rho) C_{H,t-1} + T_t`, :math:`C_{L,t} = C_{L,t-1} + \ell_t`
while the district land budget does not bind. Evaluated along the model's path this is exact
(forward-mode differentiation of the model); under the market-share variant the market sector's
coefficients are :math:`\varepsilon\alpha, \varepsilon\beta, \varepsilon\gamma`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sympy as sp
import xarray as xr

from jdmodel.errors import ModelError, ParameterError
from jdmodel.symbolic import model as M
from jdmodel.symbolic._plan import scenario_of
from jdmodel.symbolic._report import Table, TableReport
from jdmodel.symbolic.kernel import run_growth, update_expressions, variant_of

LEVER_UNITS = {"funds": "亿元/yr", "talent": "人/yr", "land": "公顷/yr"}
_MONEY = "亿元"
# lever -> (stock result, stock symbol, elasticity symbol)
_BLOCKS = {
    "funds": ("capital", M.K, M.alpha),
    "talent": ("talent", M.H, M.beta),
    "land": ("land", M.L, M.gamma),
}
_LEVER_SYMBOLS = {"funds": M.F, "talent": M.T, "land": M.ell}
scale, contribution, rest, annuity, target = sp.symbols("lambda C X_n0 a_n M_target", positive=True)
# sensitivities of the stocks to ln λ this year and last year, and the elasticity of value added
C_K, C_H, C_L = sp.symbols("C_K C_H C_L", real=True)
C_K_prev, C_H_prev, C_L_prev = sp.symbols("C_K_prev C_H_prev C_L_prev", real=True)
xi, xi_prev = sp.symbols("xi xi_prev", real=True)
LATEX_NAMES = {C_K: "C_{K,t}", C_H: "C_{H,t}", C_L: "C_{L,t}", C_K_prev: "C_{K,t-1}", C_H_prev: "C_{H,t-1}",
               C_L_prev: "C_{L,t-1}", xi: r"\xi_{t}", xi_prev: r"\xi_{t-1}"}
TEXT_NAMES = {C_K: "C_K[t]", C_H: "C_H[t]", C_L: "C_L[t]", C_K_prev: "C_K[t-1]", C_H_prev: "C_H[t-1]",
              C_L_prev: "C_L[t-1]", xi: "ξ[t]", xi_prev: "ξ[t-1]"}


def _year(sc, year: int | None) -> int:
    """``year``, or the end of the scenario's plan period when it is None."""
    return sc.plan.years.plan_end if year is None else year


def _check(sc, year: int, levers: tuple[str, ...]) -> int:
    """Check ``year`` against the lever years of the scenario's plan; return its index in a year axis."""
    years = sc.plan.years
    if year not in years.levers:
        raise ParameterError(f"year {year!r}: expected a lever year of plan {sc.plan.id!r}, "
                             f"{years.levers[0]}–{years.levers[-1]}")
    for lv in levers:
        if lv not in _BLOCKS:
            raise ParameterError(f"lever {lv!r}: expected one of {', '.join(_BLOCKS)}")
    return year - years.base


@cache
def elasticity_expression(market: bool = False) -> sp.Expr:
    r"""Elasticity of value added w.r.t. scaling a lever path, :math:`\xi = \alpha C_K/K + \beta C_H/H + \gamma C_L/L`.

    Derived by sympy: the stocks are functions of the scale :math:`\lambda`, :math:`\xi = \lambda\,
    d\ln V/d\lambda`, and :math:`C_X = \lambda\,dX/d\lambda`. ``market=True``: the market sector's value
    added under the market-share variant (coefficients multiplied by ε).
    """
    stocks = {M.K: C_K, M.H: C_H, M.L: C_L}
    funcs = {x: sp.Function(f"{x}_of")(scale) for x in stocks}
    v = M.market_value_added().subs(M.X, M.inputs_index()) if market else M.cobb_douglas()
    e = scale * sp.diff(sp.log(v.subs(funcs)), scale)
    e = e.subs({sp.Derivative(f, scale): stocks[x] / scale for x, f in funcs.items()})
    return sp.expand(e.subs({f: x for x, f in funcs.items()}))


@cache
def sensitivity_expressions() -> dict[str, sp.Expr]:
    r"""This year's :math:`C_K, C_H, C_L` from last year's, derived by differentiating the update equations.

    The derivative of each stock equation with respect to :math:`\ln\lambda`: its partial
    derivatives in last year's stock and (capital) last year's value added, whose sensitivity is
    :math:`V_{t-1}\xi_{t-1}`, times their sensitivities, plus the lever itself (scaling the path by
    :math:`\lambda` moves this year's lever by its value). Land: while the budget does not bind
    (every request granted, :math:`\theta = 1`).
    """
    new = update_expressions()
    land = new["land"].subs(M.R_prev, M.ell_sum + 1)  # a budget that does not bind: θ = 1
    parts = {
        "capital": (new["capital"], ((M.K_prev, C_K_prev), (M.V_prev, M.V_prev * xi_prev), (M.F, M.F))),
        "talent": (new["talent"], ((M.H_prev, C_H_prev), (M.T, M.T))),
        "land": (land, ((M.L_prev, C_L_prev), (M.ell, M.ell))),
    }
    return {name: sp.Add(*(sp.diff(expr, x) * dx for x, dx in pairs)) for name, (expr, pairs) in parts.items()}


@cache
def _compiled(market: bool):
    """Lambdified sensitivity step and elasticity, arguments in a fixed order."""
    sens = sensitivity_expressions()
    step_args = (C_K_prev, C_H_prev, C_L_prev, M.V_prev, xi_prev, M.F, M.T, M.ell, M.delta, M.s_inv, M.m, M.rho)
    step = sp.lambdify(step_args, (sens["capital"], sens["talent"], sens["land"]), modules="numpy")
    e_args = (C_K, C_H, C_L, M.K, M.H, M.L, M.alpha, M.beta, M.gamma, M.epsilon)
    elasticity = sp.lambdify(e_args, elasticity_expression(market), modules="numpy")
    return step, elasticity


def _per_sector(values: dict, sym: sp.Symbol, sectors: tuple[str, ...]) -> np.ndarray:
    """A per-sector parameter (named by its symbol) for each sector, in order."""
    return np.array([float(np.ravel(values[M.parameter_key(sym, sector=s)])[0]) for s in sectors])


def _lever_path(values: dict, lever: str, sectors: tuple[str, ...], n_years: int) -> np.ndarray:
    """(sector, lever year) path of a lever."""
    sym = _LEVER_SYMBOLS[lever]
    return np.stack(
        [np.broadcast_to(np.ravel(values[M.parameter_key(sym, sector=s)]), (n_years,)) for s in sectors]
    ).astype(float)


def _land_binds(values: dict, n: int, sectors: tuple[str, ...], n_years: int) -> bool:
    requested = _lever_path(values, "land", sectors, n_years)[:, :n].sum()
    return not requested < float(np.ravel(values[M.parameter_key(M.B)])[0])


def sensitivities(sc, values: dict, run: dict, lever: str, direction: np.ndarray, n: int) -> dict[str, np.ndarray]:
    r"""Evaluate the sensitivity recursion along a central run up to year index ``n``.

    Parameters
    ----------
    sc : Scenario
    values : dict
        The central values the run was made with.
    run : dict
        :func:`jdmodel.symbolic.kernel.run_growth` of ``values`` (one draw).
    lever : {"funds", "talent", "land"}
    direction : array (sector, lever year)
        How the lever path moves: the path itself for an elasticity (scaling), ones for the
        derivative with respect to a constant level.
    n : int
        Index of the year in the run's year axis.

    Returns
    -------
    dict
        ``xi`` (sector,): :math:`\partial \ln V_n` per unit of the direction's scale; ``capital``,
        ``talent``, ``land``: :math:`C_{X,n}`.
    """
    sectors = sc.plan.sector_ids
    zeros = np.zeros(len(sectors))
    par = {sym: _per_sector(values, sym, sectors) for sym in (M.delta, M.s_inv, M.m, M.rho, M.alpha, M.beta, M.gamma)}
    market = variant_of(sc, None) == "market_share" and sc.plan.market is not None
    eps = float(np.ravel(values[M.parameter_key(M.epsilon)])[0]) if market else 0.0
    is_market = np.array([market and s == sc.plan.market.sector for s in sectors])
    supply_step, supply_xi = _compiled(False)
    _, market_xi = _compiled(True)
    c_k, c_h, c_l, e = zeros, zeros, zeros, zeros
    trend = run["value_added_trend"][0]
    for t in range(1, n + 1):
        lv = {name: direction[:, t - 1] if name == lever else zeros for name in _BLOCKS}
        c_k, c_h, c_l = (np.broadcast_to(np.asarray(a, dtype=float), zeros.shape) for a in supply_step(
            c_k, c_h, c_l, trend[t - 1], e, lv["funds"], lv["talent"], lv["land"], par[M.delta], par[M.s_inv],
            par[M.m], par[M.rho]))
        stocks = (run["capital"][0, t], run["talent"][0, t], run["land"][0, t])
        coeffs = (par[M.alpha], par[M.beta], par[M.gamma], eps)
        e = np.where(is_market, market_xi(c_k, c_h, c_l, *stocks, *coeffs), supply_xi(c_k, c_h, c_l, *stocks, *coeffs))
    return {"xi": e, "capital": c_k, "talent": c_h, "land": c_l}


@dataclass
class Elasticities(TableReport):
    """Output elasticities by lever and sector: ``.values`` (DataArray), ``.method``, ``.expressions``."""

    values: xr.DataArray
    expressions: dict[str, sp.Expr]

    def to_dataset(self) -> xr.Dataset:
        return self.values.to_dataset(name="elasticity")

    def _table(self) -> Table:
        v = self.values
        sectors = [str(s) for s in v["sector"].values]
        rows = [
            (
                str(lv),
                *(f"{float(v.sel(lever=lv, sector=s)):.4f}" for s in sectors),
                ", ".join(sorted(set(v["method"].sel(lever=lv).values.tolist()))),
            )
            for lv in v["lever"].values
        ]
        return Table(
            title=f"Elasticity of {v.attrs['year']} output w.r.t. scaling each sector's lever path "
            f"(scenario {v.attrs['scenario']}, plan {v.attrs['plan']})",
            columns=("lever", *sectors, "method"),
            rows=rows,
            note="d ln M_s / d ln (lever path of s) = d ln V_s / d ln (…); analytic: "
            + "; ".join(f"{k}: {sp.sstr(e.xreplace(_TEXT))}" for k, e in self.expressions.items()),
        )


_TEXT = {sym: sp.Symbol(name) for sym, name in {**M.TEXT_NAMES, **TEXT_NAMES}.items()}


def elasticities(
    scenario: Any,
    year: int | None = None,
    levers: tuple[str, ...] = ("funds", "talent", "land"),
    method: str = "auto",
    step: float = 1e-4,
) -> Elasticities:
    r"""Elasticity of each sector's ``year`` output w.r.t. scaling its own lever path by (1 + ε).

    Analytic where the derivative is smooth (funds and talent always; land while the district
    land budget does not bind up to ``year``): the sensitivity recursion derived by sympy from the
    model's equations, evaluated along the lambdified run (module docstring). Otherwise central
    differences of the lambdified model, all perturbations run at once on the draw axis.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario of any plan (its sectors, years and model variant are used).
    year : int, optional
        Year of the output, a lever year of the scenario's plan; default the end of the plan period.
    levers : tuple of {"funds", "talent", "land"}
    method : {"auto", "numeric"}
        ``"numeric"`` forces central differences everywhere (a cross-check).
    step : float
        Relative step of the central differences.

    Returns
    -------
    Elasticities
        ``.values`` DataArray (lever, sector) with a ``method`` coordinate; ``.expressions`` sympy.

    Examples
    --------
    >>> e = elasticities("baseline", 2025)
    >>> bool((e.values > 0).all() and (e.values < 1).all())
    True
    """
    from jdmodel.params.scenario import central_values

    sc = scenario_of(scenario)
    year = _year(sc, year)
    n = _check(sc, year, tuple(levers))
    sectors, n_years = sc.plan.sector_ids, len(sc.plan.years.levers)
    values = central_values(sc)
    base = run_growth(values, sc)
    out = np.full((len(levers), len(sectors)), np.nan)
    how = np.full(out.shape, "central differences of the lambdified model", dtype=object)
    numeric = []
    for i, lv in enumerate(levers):
        if method == "numeric" or (lv == "land" and _land_binds(values, n, sectors, n_years)):
            numeric.append(i)
            continue
        path = _lever_path(values, lv, sectors, n_years)
        out[i] = sensitivities(sc, values, base, lv, path, n)["xi"]
        how[i] = "analytic (sympy)"
    if numeric:
        out[numeric] = _numeric(sc, values, [levers[i] for i in numeric], n, step)
    da = xr.DataArray(
        out,
        dims=("lever", "sector"),
        coords={
            "lever": list(levers),
            "sector": list(sectors),
            "method": (("lever", "sector"), how.astype(str)),
        },
        attrs={
            "units": "1",
            "year": year,
            "scenario": sc.name,
            "plan": sc.plan.id,
            "long_name": "elasticity of sector output w.r.t. its own lever path",
        },
    )
    sens = sensitivity_expressions()
    return Elasticities(da, {"ξ": elasticity_expression(), "C_K": sens["capital"], "C_H": sens["talent"],
                             "C_L": sens["land"]})


def _numeric(sc, values: dict, levers: list[str], n: int, step: float) -> np.ndarray:
    """Central differences of ln M_s(year) in ln(scale) for every (lever, sector) in one batched run."""
    sectors, n_years = sc.plan.sector_ids, len(sc.plan.years.levers)
    pairs = [(lv, s) for lv in levers for s in sectors]
    batch = dict(values)
    factors = np.array([1.0 + step, 1.0 - step])
    for lv in levers:
        for s in sectors:
            key = M.parameter_key(_LEVER_SYMBOLS[lv], sector=s)
            rows = np.repeat(np.broadcast_to(np.ravel(values[key]), (1, n_years)), 2 * len(pairs), axis=0)
            k = pairs.index((lv, s))
            rows[2 * k : 2 * k + 2] *= factors[:, None]
            batch[key] = rows
    y = np.log(run_growth(batch, sc)["output"][:, n, :])  # (2·pairs, S)
    idx = np.arange(len(pairs))
    own = [sectors.index(s) for _, s in pairs]
    e = (y[2 * idx, own] - y[2 * idx + 1, own]) / np.log(factors[0] / factors[1])
    return e.reshape(len(levers), len(sectors))


@cache
def lever_solution_expression(lever: str) -> sp.Expr:
    r"""Constant lever level :math:`\lambda` solving :math:`M^* = C (X_{n,0} + a_n \lambda)^{e}` (sympy.solve).

    The start of :func:`lever_for_output`: the lever's own stock alone, as if investment did not
    respond. ``X_n0`` is the year-n stock with the lever at zero and ``a_n`` what one unit per year
    of the lever adds to it by year n; ``C`` stands for the other factors at the lever's zero.
    """
    _, _, coef = _BLOCKS[lever]
    others = sp.Symbol("Z", positive=True)
    sol = sp.solve(sp.Eq(target, others * (rest + annuity * scale) ** coef), scale)
    if len(sol) != 1:  # pragma: no cover - the positive assumptions make the solution unique
        raise ModelError(f"lever_for_output: expected one solution for {lever}, sympy found {sol}")
    return sp.collect(sp.powsimp(sol[0].subs(others, contribution), force=True), annuity)


@dataclass
class LeverSolution(TableReport):
    """The constant lever level reaching an output target, how it was found and a check run."""

    lever: str
    sector: str
    year: int
    target: float
    level: float
    unit: str
    method: str
    expression: sp.Expr
    output: float
    start: float = float("nan")
    iterations: int = 0

    def __float__(self) -> float:
        return self.level

    def _table(self) -> Table:
        note = (f"start λ0 = {sp.sstr(self.expression)} = {self.start:,.4g} (the lever's own stock alone); "
                f"{self.iterations} Newton steps with dM/dλ = M ξ from the sensitivity recursion"
                if self.method.startswith("Newton")
                else "the derivative is not smooth while the land budget binds (pro-rata grants)")
        return Table(
            title=f"Constant {self.lever} for {self.sector} to produce {self.target:,.1f} {_MONEY} "
            f"in {self.year}",
            columns=("lever", "sector", "level", "unit", "output at that level", "method"),
            rows=[
                (self.lever, self.sector, f"{self.level:,.4g}", self.unit, f"{self.output:,.2f}", self.method)
            ],
            note=note,
        )


_NEWTON = "Newton on the lambdified model (dM/dλ from the sensitivity recursion), from the closed form of the " \
          "lever's own stock (sympy.solve)"


def lever_for_output(
    scenario: Any, sector: str, target_output: float, year: int | None = None, lever: str = "funds"
) -> LeverSolution:
    r"""Constant lever level (every lever year) making ``sector`` produce ``target_output`` in ``year``.

    Output rises with the level, but not in closed form: the lever raises value added, whose
    investment raises capital again. The solve starts from the closed form of the lever's own
    stock alone, :math:`M^* = C (X_{n,0} + a_n\lambda)^{e}` solved by sympy for :math:`\lambda` (the
    lambdified model supplying :math:`X_{n,0}`, :math:`a_n` and :math:`C`), and refines it by Newton
    steps on the lambdified model with the exact derivative :math:`dM_n/d\lambda = M_n \xi_n` from
    the sensitivity recursion (module docstring), kept inside a bracket of the root. Land: when the
    district land budget binds at the solution (pro-rata grants, no smooth derivative), a scalar
    root of the lambdified model (``scipy.optimize.brentq``).

    Parameters
    ----------
    scenario : Scenario or str
        A scenario of any plan (the market-share variant included).
    sector : str
        A sector id of the scenario's plan.
    target_output : float
        Measured output wanted in ``year``, 亿元.
    year : int, optional
        A lever year of the scenario's plan; default the end of the plan period.
    lever : {"funds", "talent", "land"}

    Returns
    -------
    LeverSolution
        ``.level`` in 亿元/yr, 人/yr or 公顷/yr; ``.output`` the model's output at that level;
        ``.start`` the closed-form start.

    Raises
    ------
    ModelError
        When the target is reached with the lever at zero, or cannot be reached at any level.
    ParameterError
        For a sector, year or lever the scenario's plan does not have.

    Examples
    --------
    >>> sol = lever_for_output("baseline", "ecommerce", 3600.0, 2025, "funds")
    >>> round(sol.output, 6)
    3600.0
    """
    from jdmodel.params.scenario import central_values

    sc = scenario_of(scenario)
    year = _year(sc, year)
    n = _check(sc, year, (lever,))
    sectors, n_years = sc.plan.sector_ids, len(sc.plan.years.levers)
    if sector not in sectors:
        raise ParameterError(f"sector {sector!r}: expected one of {', '.join(sectors)} (plan {sc.plan.id!r})")
    key, si = M.parameter_key(_LEVER_SYMBOLS[lever], sector=sector), sectors.index(sector)
    stock_name, _, coef = _BLOCKS[lever]
    values = central_values(sc)

    def at(level: float) -> tuple[dict, dict]:
        batch = {**values, key: np.full((1, n_years), float(level))}
        return batch, run_growth(batch, sc)

    def output_at(levels: np.ndarray) -> np.ndarray:
        batch = {**values, key: np.repeat(np.asarray(levels, float)[:, None], n_years, axis=1)}
        return run_growth(batch, sc)["output"][:, n, si]

    _, zero = at(0.0)
    _, one_unit = at(1.0)
    y0 = float(zero["output"][0, n, si])
    if target_output <= y0:
        raise ModelError(
            f"{sector} already produces {y0:,.2f} {_MONEY} in {year} with {lever} at 0 "
            f"(scenario {sc.name!r}); target {target_output:,.2f} needs no {lever}"
        )
    x0 = float(zero[stock_name][0, n, si])
    a_n = float(one_unit[stock_name][0, n, si]) - x0
    coef_key = M.parameter_key(coef, sector=sector)
    e = float(np.ravel(values[coef_key])[0])
    if not (a_n > 0 and e > 0):
        raise ModelError(
            f"{lever} cannot raise {sector}'s output (scenario {sc.name!r}: "
            f"{coef_key} = {e:g}, effect per unit {a_n:g})"
        )
    expr = lever_solution_expression(lever)
    solve = sp.lambdify((target, contribution, rest, annuity, coef), expr, modules="numpy")
    start = float(solve(target_output, y0 / x0**e, x0, a_n, e))
    unit_path = np.zeros((len(sectors), n_years))
    unit_path[si] = 1.0

    def value_and_slope(level: float) -> tuple[float, float]:
        batch, run = at(level)
        y = float(run["output"][0, n, si])
        return y, y * float(sensitivities(sc, batch, run, lever, unit_path, n)["xi"][si])

    level, got, steps = _newton(value_and_slope, target_output, start)
    method = _NEWTON
    if lever == "land" and (not np.isfinite(level) or _land_binds(
            {**values, key: np.full((1, n_years), level)}, n, sectors, n_years)):
        level, got = _root(output_at, target_output, sector, year, sc.name)
        method = "root of the lambdified model (scipy.optimize.brentq): the land budget binds"
    elif not np.isfinite(level):
        raise ModelError(f"{sector} cannot reach {target_output:,.2f} {_MONEY} in {year} with {lever} at any level "
                         f"(scenario {sc.name!r})")
    return LeverSolution(
        lever, sector, year, float(target_output), level, LEVER_UNITS[lever], method, expr, got, start, steps
    )


def _newton(value_and_slope, target_output: float, start: float, tol: float = 1e-13,
            max_steps: int = 100) -> tuple[float, float, int]:
    """Newton's method kept inside a bracket of the root (bisection when a step leaves it); nan if it fails."""
    lo, hi = 0.0, np.inf
    level = start if np.isfinite(start) and start > 0 else 1.0
    for k in range(1, max_steps + 1):
        y, slope = value_and_slope(level)
        if abs(y - target_output) <= tol * target_output:
            return level, y, k
        if y < target_output:
            lo = level
        else:
            hi = level
        nxt = level - (y - target_output) / slope if slope > 0 else np.nan
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi) if np.isfinite(hi) else 4.0 * max(level, 1.0)
        if nxt > 1e12:
            break
        level = nxt
    return float("nan"), float("nan"), max_steps


def _root(output_at, target_output: float, sector: str, year: int, name: str) -> tuple[float, float]:
    from scipy.optimize import brentq

    hi = 1.0
    while float(output_at(np.array([hi]))[0]) < target_output:
        hi *= 4.0
        if hi > 1e9:
            best = float(output_at(np.array([hi]))[0])
            raise ModelError(
                f"{sector} cannot reach {target_output:,.2f} {_MONEY} in {year} with land alone "
                f"(scenario {name!r}): the district land budget caps it near {best:,.2f}"
            )
    level = brentq(
        lambda x: float(output_at(np.array([x]))[0]) - target_output, 0.0, hi, xtol=1e-12, rtol=1e-13
    )
    return float(level), float(output_at(np.array([level]))[0])
