r"""Levers and output: elasticities and the constant lever level that reaches an output target.

Both read the model through the lambdified update (:mod:`jdmodel.symbolic.kernel`) and, where
the model allows, through closed forms derived by sympy: a lever path enters its stock
linearly (:math:`K_n = K_n|_{F=0} + m\sum_j (1-\delta)^{n-j} F_j`), and output is a power of
that stock, so the elasticity of output with respect to scaling the whole path is
:math:`\alpha\, C_F / K_n` with :math:`C_F = m \sum_j (1-\delta)^{n-j} F_j`, and the constant
level reaching a target solves :math:`Y^* = A_n (K_n|_{F=0} + a_n m F)^{\alpha} H_n^{\beta} L_n^{\gamma}`.
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
from jdmodel.symbolic.kernel import run_growth

LEVER_UNITS = {"funds": "亿元/yr", "talent": "人/yr", "land": "公顷/yr"}
_MONEY = "亿元"
# lever -> (stock result, stock symbol, elasticity symbol, decay symbol or None, gain symbol or None)
_BLOCKS = {
    "funds": ("capital", M.K, M.alpha, M.delta, M.m),
    "talent": ("talent", M.H, M.beta, M.rho, None),
    "land": ("land", M.L, M.gamma, None, None),
}
_LEVER_SYMBOLS = {"funds": M.F, "talent": M.T, "land": M.ell}
scale, contribution, rest, annuity, target = sp.symbols("lambda C X_0 a_n Y_target", positive=True)


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
def elasticity_expression(lever: str) -> sp.Expr:
    r"""Elasticity of output w.r.t. scaling a lever path, derived by sympy (:math:`\alpha\,C/K_n` for funds).

    The stock is :math:`X_n = X_0 + \lambda C` (``X_0`` the part the lever does not drive); the
    elasticity is :math:`\partial \ln Y / \partial \ln \lambda` at :math:`\lambda = 1`, written in
    terms of the stock :math:`X_n = X_0 + C`.
    """
    _, stock, _, _, _ = _BLOCKS[lever]
    y = M.cobb_douglas().subs(stock, rest + scale * contribution)
    e = sp.simplify(scale * sp.diff(sp.log(y), scale)).subs(scale, 1)
    return sp.simplify(e.subs(rest, stock - contribution))


def _per_sector(values: dict, sym: sp.Symbol, sectors: tuple[str, ...]) -> np.ndarray:
    """A per-sector parameter (named by its symbol) for each sector, in order."""
    return np.array([float(np.ravel(values[M.parameter_key(sym, sector=s)])[0]) for s in sectors])


def _lever_path(values: dict, lever: str, sectors: tuple[str, ...], n_years: int) -> np.ndarray:
    """(sector, lever year) path of a lever."""
    sym = _LEVER_SYMBOLS[lever]
    return np.stack(
        [np.broadcast_to(np.ravel(values[M.parameter_key(sym, sector=s)]), (n_years,)) for s in sectors]
    ).astype(float)


def _contribution(values: dict, lever: str, n: int, sectors: tuple[str, ...], n_years: int) -> np.ndarray:
    """C per sector: the part of the year-n stock that the lever path put there."""
    _, _, _, decay, gain = _BLOCKS[lever]
    path = _lever_path(values, lever, sectors, n_years)[:, :n]
    keep = 1.0 - _per_sector(values, decay, sectors)[:, None] if decay is not None else np.ones((len(sectors), 1))
    weights = keep ** np.arange(n - 1, -1, -1)[None, :]
    return (_per_sector(values, gain, sectors) if gain is not None else 1.0) * (weights * path).sum(axis=1)


def _land_binds(values: dict, n: int, sectors: tuple[str, ...], n_years: int) -> bool:
    requested = _lever_path(values, "land", sectors, n_years)[:, :n].sum()
    return not requested < float(np.ravel(values[M.parameter_key(M.B)])[0])


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
            note="d ln Y_s / d ln (lever path of s); analytic: "
            + "; ".join(f"{k}: {sp.sstr(e)}" for k, e in self.expressions.items()),
        )


def elasticities(
    scenario: Any,
    year: int | None = None,
    levers: tuple[str, ...] = ("funds", "talent", "land"),
    method: str = "auto",
    step: float = 1e-4,
) -> Elasticities:
    r"""Elasticity of each sector's ``year`` output w.r.t. scaling its own lever path by (1 + ε).

    Analytic where a closed form exists (funds and talent always: :math:`\alpha C_F/K_n`,
    :math:`\beta C_T/H_n`; land while the district land budget does not bind up to ``year``:
    :math:`\gamma C_\ell/L_n`); otherwise central differences of the lambdified model, all
    perturbations run at once on the draw axis.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario of any plan (its sectors and years are used).
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
        stock_name, stock, coef, _, _ = _BLOCKS[lv]
        if method == "numeric" or (lv == "land" and _land_binds(values, n, sectors, n_years)):
            numeric.append(i)
            continue
        fn = sp.lambdify((coef, contribution, stock), elasticity_expression(lv), modules="numpy")
        out[i] = fn(_per_sector(values, coef, sectors), _contribution(values, lv, n, sectors, n_years),
                    base[stock_name][0, n])
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
    return Elasticities(da, {lv: elasticity_expression(lv) for lv in levers})


def _numeric(sc, values: dict, levers: list[str], n: int, step: float) -> np.ndarray:
    """Central differences of ln Y_s(year) in ln(scale) for every (lever, sector) in one batched run."""
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
    r"""Constant lever level :math:`\lambda` solving :math:`Y^* = C (X_0 + a_n \lambda)^{e}` (sympy.solve).

    ``X_0`` is the year-n stock with the lever at zero and ``a_n`` what one unit per year of the
    lever adds to it by year n (:math:`m\sum_{k<n}(1-\delta)^k` for funds, :math:`\sum_{k<n}(1-\rho)^k`
    for talent, :math:`n` for land while the budget does not bind); ``C`` stands for
    :math:`A_n` times the other factors' terms.
    """
    _, stock, coef, _, _ = _BLOCKS[lever]
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

    def __float__(self) -> float:
        return self.level

    def _table(self) -> Table:
        return Table(
            title=f"Constant {self.lever} for {self.sector} to produce {self.target:,.1f} {_MONEY} "
            f"in {self.year}",
            columns=("lever", "sector", "level", "unit", "output at that level", "method"),
            rows=[
                (self.lever, self.sector, f"{self.level:,.4g}", self.unit, f"{self.output:,.2f}", self.method)
            ],
            note=f"λ = {sp.sstr(self.expression)}"
            if self.method.startswith("closed")
            else "the closed form holds only while the land budget does not bind",
        )


def lever_for_output(
    scenario: Any, sector: str, target_output: float, year: int | None = None, lever: str = "funds"
) -> LeverSolution:
    r"""Constant lever level (every lever year) making ``sector`` produce ``target_output`` in ``year``.

    Funds and talent: closed form. The lever enters its stock linearly,
    :math:`X_n(\lambda) = X_n(0) + a_n\lambda`, and output is
    :math:`C\,X_n^{e}` with :math:`C = A_n \cdot` (the other factors), monotone in :math:`\lambda`; sympy
    solves :math:`Y^* = C (X_0 + a_n\lambda)^{e}` for :math:`\lambda`, and the lambdified model
    supplies :math:`X_0` and :math:`C`. Land: the same closed form while the district land budget
    does not bind; when it binds (pro-rata grants), a scalar root (``scipy.optimize.brentq``) of the
    lambdified model.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario of any plan.
    sector : str
        A sector id of the scenario's plan.
    target_output : float
        Output wanted in ``year``, 亿元.
    year : int, optional
        A lever year of the scenario's plan; default the end of the plan period.
    lever : {"funds", "talent", "land"}

    Returns
    -------
    LeverSolution
        ``.level`` in 亿元/yr, 人/yr or 公顷/yr; ``.output`` the model's output at that level.

    Raises
    ------
    ModelError
        When the target is reached with the lever at zero, or cannot be reached at any level.
    ParameterError
        For a sector, year or lever the scenario's plan does not have.

    Examples
    --------
    >>> sol = lever_for_output("baseline", "ecommerce", 3400.0, 2025, "funds")
    >>> round(sol.output, 6)
    3400.0
    """
    from jdmodel.params.scenario import central_values

    sc = scenario_of(scenario)
    year = _year(sc, year)
    n = _check(sc, year, (lever,))
    sectors, n_years = sc.plan.sector_ids, len(sc.plan.years.levers)
    if sector not in sectors:
        raise ParameterError(f"sector {sector!r}: expected one of {', '.join(sectors)} (plan {sc.plan.id!r})")
    key, si = M.parameter_key(_LEVER_SYMBOLS[lever], sector=sector), sectors.index(sector)
    stock_name, stock, coef, _, _ = _BLOCKS[lever]
    values = central_values(sc)

    def output_at(levels: np.ndarray) -> np.ndarray:
        batch = {**values, key: np.repeat(np.asarray(levels, float)[:, None], n_years, axis=1)}
        return run_growth(batch, sc)["output"][:, n, si]

    zero = run_growth({**values, key: np.zeros((1, n_years))}, sc)
    one_unit = run_growth({**values, key: np.ones((1, n_years))}, sc)
    y0 = float(zero["output"][0, n, si])
    if target_output <= y0:
        raise ModelError(
            f"{sector} already produces {y0:,.2f} {_MONEY} in {year} with {lever} at 0 "
            f"(scenario {sc.name!r}); target {target_output:,.2f} needs no {lever}"
        )
    x0 = float(zero[stock_name][0, n, si])
    a_n = float(one_unit[stock_name][0, n, si]) - x0  # exact: the stock is linear in a constant lever
    coef_key = M.parameter_key(coef, sector=sector)
    e = float(np.ravel(values[coef_key])[0])
    c = y0 / x0**e
    expr = lever_solution_expression(lever)
    solve = sp.lambdify((target, contribution, rest, annuity, coef), expr, modules="numpy")
    level = float(solve(target_output, c, x0, a_n, e)) if a_n > 0 and e > 0 else np.inf
    method = "closed form (sympy.solve)"
    if not np.isfinite(level):
        raise ModelError(
            f"{lever} cannot raise {sector}'s output (scenario {sc.name!r}: "
            f"{coef_key} = {e:g}, effect per unit {a_n:g})"
        )
    got = float(output_at(np.array([level]))[0])
    if lever == "land" and not np.isclose(got, target_output, rtol=1e-9):
        level, got = _root(output_at, target_output, sector, year, sc.name)
        method = "root of the lambdified model (scipy.optimize.brentq): the land budget binds"
    return LeverSolution(
        lever, sector, year, float(target_output), level, LEVER_UNITS[lever], method, expr, got
    )


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
