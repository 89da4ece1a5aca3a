r"""``jd.optimise_budget``: the best split of a fixed public budget across sectors and levers.

The budget *B* (亿元/yr) is spent in each year of the plan period (Jiading: 2021–2025) on the
chosen levers in the chosen sectors: an allocation **replaces** the scenario's paths of those levers
and sectors in the plan period with constant amounts; the years after it, and every other lever and
sector, stay as the scenario has them. Talent and land are priced by the plan's ``policy.toml``:

.. math::

    \max_{x}\ \hat P(\text{all targets} \mid x) \quad\text{s.t.}\quad
    \sum_{l,s} p_l\, x_{ls} \le B,\qquad
    n \sum_s x_{\text{land},s} \le R,\qquad
    \underline x_{ls} \le x_{ls} \le \overline x_{ls},

with *n* the years of the plan period, *R* what the central district land budget leaves after the
land the scenario grants outside the allocation, and the bounds per sector and year (default
``[0, capacity]`` from ``policy.toml``). ``objective="shortfall"`` minimises the expected shortfall instead.
The search: a coarse simplex grid of the budget shares, then SLSQP (:func:`scipy.optimize.minimize`)
on a smooth surrogate from the best grid points and the scenario's own split (see
:mod:`jdmodel.policy._objective`); every candidate is judged on the exact objective on common
random numbers, and the best is returned, so it is at least as good as every grid point.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import xarray as xr
from scipy.optimize import minimize

from jdmodel.errors import ParameterError
from jdmodel.params.scenario import Scenario
from jdmodel.policy import _objective as obj
from jdmodel.policy._crn import CRNEnsemble, check_sectors, hits
from jdmodel.policy.budget_result import BudgetResult
from jdmodel.policy.costs import LEVERS, Costs, load_costs


def budget_grid(n_cells: int, steps: int) -> np.ndarray:
    """Every split of a whole into ``n_cells`` shares that are multiples of ``1/steps``.

    Returns an array (M, n_cells), M = C(steps + n_cells − 1, n_cells − 1) (stars and bars).

    Examples
    --------
    >>> budget_grid(3, 2).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]
    """
    if n_cells < 1 or steps < 1:
        raise ParameterError(f"budget_grid: need n_cells ≥ 1 and steps ≥ 1, got {n_cells}, {steps}")
    rows = []
    for bars in itertools.combinations(range(steps + n_cells - 1), n_cells - 1):
        edges = (-1, *bars, steps + n_cells - 1)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(n_cells)])
    return np.array(rows, dtype=float) / steps


class Problem:
    """The allocation problem on one ensemble: cells, prices, bounds, land allowance, objectives."""

    def __init__(self, ens: CRNEnsemble, targets, objective: str, levers, sectors, budget: float,
                 costs: Costs, bounds) -> None:
        self.ens, self.targets, self.objective, self.budget = ens, targets, objective, float(budget)
        self.cells = [(lv, s) for lv in levers for s in sectors]
        self.price = np.array([costs.price[lv] for lv, _ in self.cells])
        lo, hi = _bounds(self.cells, bounds, costs)
        self.lo, self.hi = lo * self.price, hi * self.price          # in 亿元/yr
        self.land = np.array([lv == "land" for lv, _ in self.cells])
        self.years = ens.plan.years
        self.window = self.years.plan_lever_slice             # the plan period within a lever path
        n_plan = len(self.years.plan)
        self.land_allowance = None
        if self.land.any():
            outside = 0.0
            for s in check_sectors(None, "budget", ens.plan):
                path = ens.lever_path("land", s)
                outside += path.sum() - (path[self.window].sum() if ("land", s) in self.cells else 0.0)
            self.land_allowance = (ens.land_budget() - outside) / n_plan     # 公顷/yr over the plan period
        self._check()
        self.h: dict[str, float] = {}

    def _check(self) -> None:
        if self.lo.sum() > self.budget + 1e-12:
            raise ParameterError(f"optimise_budget: the lower bounds alone cost {self.lo.sum():,.4g} 亿元/yr, "
                                 f"more than the budget {self.budget:,.4g}")
        if self.land_allowance is not None and (self.lo / self.price)[self.land].sum() > self.land_allowance + 1e-9:
            raise ParameterError(f"optimise_budget: the district land budget leaves {self.land_allowance:,.4g} "
                                 f"公顷/yr for {self.years.plan_start}–{self.years.plan_end} after the scenario's other "
                                 "land, less than the lower bounds on land ask for")

    def amounts(self, spend: np.ndarray) -> np.ndarray:
        return np.asarray(spend, dtype=float) / self.price

    def settings(self, spends: np.ndarray) -> list[dict[str, np.ndarray]]:
        out = []
        for y in np.atleast_2d(spends):
            setting = {}
            for (lv, s), x in zip(self.cells, self.amounts(y), strict=True):
                path = self.ens.lever_path(lv, s).copy()
                path[self.window] = x
                setting[f"levers.{lv}.{s}"] = path
            out.append(setting)
        return out

    def feasible(self, spends: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        y = np.atleast_2d(spends)
        ok = (y >= self.lo - tol).all(axis=1) & (y <= self.hi + tol).all(axis=1)
        ok &= y.sum(axis=1) <= self.budget * (1 + 1e-9) + tol
        if self.land_allowance is not None:
            ok &= (self.amounts(y)[:, self.land]).sum(axis=1) <= self.land_allowance + 1e-6
        return ok

    def project(self, y: np.ndarray) -> np.ndarray:
        """A nearby feasible allocation: clip to the bounds, then shrink what lies above the lower bounds."""
        y = np.clip(np.asarray(y, dtype=float), self.lo, self.hi)
        y = self._shrink(y, np.ones_like(self.land), self.budget)
        if self.land_allowance is not None:
            y = self._shrink(y, self.land, self.land_allowance, per_unit=self.price)
        return np.where(y - self.lo < 1e-9 * self.budget, self.lo, y)   # no 1e-12 residues of SLSQP

    def _shrink(self, y, mask, cap, per_unit=None):
        conv = np.ones_like(y) if per_unit is None else 1.0 / per_unit
        used, floor = (y * conv)[mask].sum(), (self.lo * conv)[mask].sum()
        if used > cap and used > floor:
            y = y.copy()
            y[mask] = self.lo[mask] + (y - self.lo)[mask] * (cap - floor) / (used - floor)
        return y

    def exact(self, spends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = self.ens.run(self.settings(spends), wanted=[t.indicator for t in self.targets])
        return obj.exact(out, self.targets, self.objective, self.years.base)

    def probabilities(self, spends: np.ndarray | None) -> dict[str, float]:
        """P(reach) of each target and of all, for one allocation (None: the scenario's own levers)."""
        settings = [{}] if spends is None else self.settings(spends)[:1]
        out = self.ens.run(settings, wanted=[t.indicator for t in self.targets])
        probs = {t.id: float(hits(out, [t], self.years.base).mean()) for t in self.targets}
        probs["all"] = float(hits(out, self.targets, self.years.base).mean())
        return probs

    def surrogate(self, spends: np.ndarray) -> np.ndarray:
        out = self.ens.run(self.settings(spends), noise=False, wanted=[t.indicator for t in self.targets])
        if self.objective == "p_all" and not self.h:
            self.h = obj.bandwidths({k: v[:1] for k, v in out.items()}, self.targets, self.years.base)
        return obj.smooth(out, self.targets, self.objective, self.h, self.years.base)


def _bounds(cells, bounds, costs: Costs) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell (low, high) in natural units per year; ``bounds`` maps lever or lever.sector → (low, high)."""
    bounds = dict(bounds or {})
    known = {lv for lv, _ in cells} | {f"{lv}.{s}" for lv, s in cells}
    bad = [k for k in bounds if k not in known]
    if bad:
        raise ParameterError(f"optimise_budget: bounds for unknown lever/cell(s) {bad}; expected keys among "
                             f"{', '.join(sorted(known))}")
    lo, hi = [], []
    for lv, s in cells:
        pair = bounds.get(f"{lv}.{s}", bounds.get(lv, (0.0, costs.capacity[lv])))
        try:
            a, b = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise ParameterError(f"optimise_budget: bounds[{lv!r}] must be (low, high), got {pair!r}") from None
        if not 0 <= a <= b < math.inf:
            raise ParameterError(f"optimise_budget: bounds for {lv}.{s} must satisfy 0 ≤ low ≤ high < inf, "
                                 f"got ({a}, {b})")
        lo.append(a)
        hi.append(b)
    return np.array(lo), np.array(hi)


def _slsqp(pb: Problem, y0: np.ndarray, step: float = 0.01, maxiter: int = 40) -> np.ndarray:
    """SLSQP on the surrogate over budget shares z = y / B, gradients by batched forward differences."""
    b = pb.budget
    n = len(y0)
    lo, hi = pb.lo / b, pb.hi / b
    memo: dict[bytes, tuple[float, np.ndarray]] = {}

    def fg(z):
        key = np.asarray(z, dtype=float).tobytes()
        if key not in memo:
            steps = np.where(z + step <= hi, step, -step)
            zz = np.vstack([z, z + np.diag(steps)])
            f = pb.surrogate(zz * b)
            memo.clear()
            memo[key] = (float(f[0]), (f[1:] - f[0]) / steps)
        return memo[key]

    cons = [{"type": "ineq", "fun": lambda z: 1.0 - z.sum(), "jac": lambda z: -np.ones(n)}]
    if pb.land_allowance is not None:
        w = np.where(pb.land, b / pb.price, 0.0)
        cons.append({"type": "ineq", "fun": lambda z: pb.land_allowance - w @ z, "jac": lambda z: -w})
    res = minimize(lambda z: fg(z)[0], y0 / b, jac=lambda z: fg(z)[1], method="SLSQP",
                   bounds=list(zip(lo, hi, strict=True)), constraints=cons,
                   options={"maxiter": maxiter, "ftol": 1e-10})
    return pb.project(res.x * b)


def optimise_budget(scenario: Scenario | str, budget: float, levers=LEVERS, sectors=None,
                    objective: str = "p_all", draws: int = 1000, seed: int = 0, bounds=None,
                    design: str = "lhs", target: str = "all", costs: Costs | None = None, grid: int = 2,
                    starts: int = 2, profile: bool = True, profile_points: int = 7) -> BudgetResult:
    """Split a budget (亿元/yr over the plan period) across sectors and levers to maximise P(all targets).

    Parameters
    ----------
    scenario : Scenario or str
        Gives everything but the optimised lever paths in the plan period.
    budget : float
        亿元 per year, spent in each year of the plan period.
    levers : sequence of {"funds", "talent", "land"}
    sectors : sequence of str, optional
        Sectors that receive an allocation (default all the plan's sectors).
    objective : {"p_all", "shortfall"}
        Maximise P(all targets) or minimise the expected relative shortfall (Σ over targets of
        the shortfall as a share of the threshold).
    draws, seed, design
        The ensemble; every allocation runs on the same draws.
    bounds : mapping, optional
        ``{"funds": (low, high), "talent.ecommerce": (low, high), ...}`` per sector and year in
        the lever's unit (亿元/yr, 人/yr, 公顷/yr); default ``(0, capacity)`` from ``policy.toml``.
    target : str
        ``"all"`` (every assessable target) or one target id.
    costs : Costs, optional
        Default :func:`jdmodel.policy.load_costs` of the scenario's plan.
    grid : int
        Steps of the coarse simplex grid (shares multiples of ``1/grid``).
    starts : int
        SLSQP runs (from the scenario's own split rescaled to the budget, then the best grid points).
    profile : bool
        Also compute the exact objective along each cell's axis (``.profile``).

    Returns
    -------
    BudgetResult
        ``.allocation`` and ``.spend`` (lever × sector), ``.probabilities``, ``.value`` (P or
        expected shortfall) with its s.e., the scenario's own split for comparison, flatness
        (``.within_se``: share of the grid within 1 s.e. of the best; ``.profile``), ``.table()``.

    Examples
    --------
    >>> import jdmodel as jd
    >>> r = jd.optimise_budget("plan", 15.0, levers=("funds",), sectors=("ecommerce", "online_services"),
    ...                        draws=100, profile=False)
    >>> bool(r.spend.sum() <= 15.0 + 1e-9)
    True
    """
    if objective not in obj.OBJECTIVES:
        raise ParameterError(f"objective must be one of {', '.join(obj.OBJECTIVES)}, got {objective!r}")
    if isinstance(levers, str):
        levers = (levers,)
    if not levers or any(lv not in LEVERS for lv in levers) or len(set(levers)) != len(levers):
        raise ParameterError(f"levers must be distinct names among {', '.join(LEVERS)}, got {list(levers)}")
    levers = tuple(lv for lv in LEVERS if lv in levers)
    if not isinstance(budget, int | float) or isinstance(budget, bool) or not 0 < budget < math.inf:
        raise ParameterError(f"budget must be a positive number of 亿元/yr, got {budget!r}")
    if not isinstance(grid, int) or grid < 1:
        raise ParameterError(f"grid must be a positive integer, got {grid!r}")
    ens = CRNEnsemble(scenario, draws, seed, design)
    sectors = check_sectors(sectors, "optimise_budget", ens.plan)
    pb = Problem(ens, ens.select(target), objective, levers, sectors, budget, costs or load_costs(plan=ens.plan),
                 bounds)

    own = np.array([ens.lever_path(lv, s)[pb.window].mean() for lv, s in pb.cells]) * pb.price
    grid_y = budget_grid(len(pb.cells), grid) * pb.budget
    grid_y = grid_y[pb.feasible(grid_y)]
    grid_f, grid_se = pb.exact(grid_y) if len(grid_y) else (np.empty(0), np.empty(0))
    first = pb.project(own * pb.budget / own.sum()) if own.sum() > 0 else pb.project(
        np.full(len(pb.cells), pb.budget / len(pb.cells)))
    seeds = [first] + [grid_y[i] for i in np.argsort(grid_f, kind="stable")[:max(starts - 1, 0)]]
    found = [_slsqp(pb, y0) for y0 in seeds[:max(starts, 0)]]
    cands = np.array(found + seeds) if found or seeds else np.empty((0, len(pb.cells)))
    cands = cands[pb.feasible(cands)]
    cand_f, cand_se = pb.exact(cands)
    all_y = np.vstack([cands, grid_y]) if len(grid_y) else cands
    all_f, all_se = np.concatenate([cand_f, grid_f]), np.concatenate([cand_se, grid_se])
    best = int(np.argmin(all_f))
    y = all_y[best]
    how = ("SLSQP on the surrogate" if best < len(found) else "a starting point" if best < len(cands)
           else "the coarse grid")
    scen_f, scen_se = _scenario_value(pb)
    return BudgetResult.build(
        pb, y, value=float(all_f[best]), se=float(all_se[best]), found_by=how, own=own,
        scenario_value=scen_f, scenario_se=scen_se, grid_y=grid_y, grid_f=grid_f,
        profile=_profile(pb, y, profile_points) if profile else None)


def _scenario_value(pb: Problem) -> tuple[float, float]:
    """The objective with the scenario's own levers (no allocation)."""
    f, se = obj.exact(pb.ens.run([{}], wanted=[t.indicator for t in pb.targets]), pb.targets, pb.objective,
                      pb.years.base)
    return float(f[0]), float(se[0])


def _profile(pb: Problem, y: np.ndarray, m: int) -> xr.Dataset:
    """Exact objective as one cell's spend moves over its range, the total spend held fixed.

    What one cell gains the others give up in proportion to what they hold above their lower
    bounds; what it gives up they take in proportion to their room below their upper bounds
    (so a cell at its capacity stays there, and land cells take no more than the land budget
    leaves). Splits that break a constraint are NaN.
    """
    rows, spends = [], []
    for i in range(len(y)):
        others = np.arange(len(y)) != i
        above, room = (y - pb.lo) * others, (pb.hi - y) * others
        if pb.land_allowance is not None:       # the land cells can only take what the land budget leaves
            spare = max(pb.land_allowance - pb.amounts(y)[pb.land].sum(), 0.0) * pb.price[pb.land][0]
            if room[pb.land].sum() > spare:
                room[pb.land] *= spare / room[pb.land].sum()
        for t in np.sort(np.r_[np.linspace(pb.lo[i], pb.hi[i], m), y[i]]):      # the optimum is on every axis
            delta = t - y[i]
            pool = above if delta > 0 else room
            if delta == 0 or pool.sum() > 0:
                z = y - np.sign(delta) * pool * (abs(delta) / pool.sum() if pool.sum() > 0 else 0.0)
            else:
                z = np.full_like(y, -1.0)                  # nobody can give or take: infeasible
            z[i] = t
            rows.append(z)
            spends.append(t)
    rows = np.array(rows)
    ok = pb.feasible(rows)
    f = np.full(len(rows), np.nan)
    if ok.any():
        f[ok] = pb.exact(rows[ok])[0]
    sign = -1.0 if pb.objective == "p_all" else 1.0
    names = [f"{lv}.{s}" for lv, s in pb.cells]
    shape = (len(names), m + 1)
    return xr.Dataset(
        {"objective": (("cell", "step"), sign * f.reshape(shape),
                       {"long_name": "P(all targets)" if pb.objective == "p_all" else "expected relative shortfall"}),
         "spend": (("cell", "step"), np.array(spends).reshape(shape), {"units": "亿元/yr"})},
        coords={"cell": names, "step": np.arange(m + 1)})
