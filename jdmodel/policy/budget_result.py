"""What :func:`jdmodel.policy.optimise_budget` returns: the allocation, its P(reach), how flat the optimum is."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from jdmodel.policy.costs import LEVER_UNITS


@dataclass(repr=False)
class BudgetResult:
    """The best split of a budget found, beside the scenario's own levers and a coarse grid.

    Attributes
    ----------
    allocation, spend : xarray.DataArray
        (lever, sector): the amount per year of the plan period in the lever's unit, and its cost in 亿元/yr.
    value, se : float
        The exact objective at the optimum (P(all targets), or the expected relative shortfall)
        and its Monte Carlo standard error, on the common draws.
    probabilities : dict
        P(reach) of each target and of ``"all"`` at the optimum; ``scenario_probabilities`` the
        same with the scenario's own levers (costing ``scenario_cost`` 亿元/yr at the policy prices).
    grid_size, grid_best, within_se : int, float, float
        Feasible coarse-grid allocations, the best of them, and the share within one s.e. of the
        optimum (near 1: a flat optimum — many splits do about as well).
    profile : xarray.Dataset or None
        The exact objective along each cell's axis (the others rescaled to the same total).
    """

    scenario: str
    sha256: str
    budget: float
    objective: str
    targets: tuple[str, ...]
    levers: tuple[str, ...]
    sectors: tuple[str, ...]
    allocation: xr.DataArray
    spend: xr.DataArray
    value: float
    se: float
    probabilities: dict[str, float]
    scenario_value: float
    scenario_se: float
    scenario_probabilities: dict[str, float]
    scenario_cost: float
    grid_size: int
    grid_best: float
    within_se: float
    land_used: float | None
    land_allowance: float | None
    found_by: str
    bandwidth: dict[str, float]
    draws: int
    seed: int
    design: str
    profile: xr.Dataset | None = None
    problem: Any = field(default=None, repr=False)
    period: str = ""

    @classmethod
    def build(cls, pb, y, *, value, se, found_by, own, scenario_value, scenario_se, grid_y, grid_f,
              profile) -> BudgetResult:
        sign = -1.0 if pb.objective == "p_all" else 1.0
        levers = tuple(dict.fromkeys(lv for lv, _ in pb.cells))
        sectors = tuple(dict.fromkeys(s for _, s in pb.cells))
        shape = (len(levers), len(sectors))
        coords = {"lever": list(levers), "sector": list(sectors)}
        amounts = pb.amounts(y)
        best_grid = float(grid_f.min()) if len(grid_f) else np.nan
        within = float(np.mean(grid_f <= value + se + 1e-12)) if len(grid_f) else np.nan
        period = f"{pb.years.plan_start}–{pb.years.plan_end}"
        return cls(
            scenario=pb.ens.scenario.name, sha256=pb.ens.scenario.sha256, budget=pb.budget, objective=pb.objective,
            targets=tuple(t.id for t in pb.targets), levers=levers, sectors=sectors,
            allocation=xr.DataArray(amounts.reshape(shape), dims=("lever", "sector"), coords=coords,
                                    attrs={"long_name": f"allocation per year {period}",
                                           "units": "; ".join(f"{lv} {LEVER_UNITS[lv]}" for lv in levers)}),
            spend=xr.DataArray(y.reshape(shape), dims=("lever", "sector"), coords=coords,
                               attrs={"long_name": f"spend per year {period}", "units": "亿元/yr"}),
            value=sign * value, se=se, probabilities=pb.probabilities(y[None]),
            scenario_value=sign * scenario_value, scenario_se=scenario_se,
            scenario_probabilities=pb.probabilities(None), scenario_cost=float(own.sum()),
            grid_size=len(grid_f), grid_best=sign * best_grid, within_se=within,
            land_used=None if pb.land_allowance is None else float(amounts[pb.land].sum()),
            land_allowance=pb.land_allowance, found_by=found_by, bandwidth=dict(pb.h), draws=pb.ens.draws,
            seed=pb.ens.seed, design=pb.ens.design, profile=profile, problem=pb, period=period)

    def evaluate(self, spends) -> np.ndarray:
        """The exact objective (P(all targets) or expected shortfall) of allocations in 亿元/yr.

        ``spends`` is (G, cells) in the order of ``spend.values.ravel()`` (lever-major); the
        same draws as the optimum, so differences carry no sampling noise of their own.
        """
        f, _ = self.problem.exact(np.atleast_2d(np.asarray(spends, dtype=float)))
        return -f if self.objective == "p_all" else f

    # ------------------------------------------------------------------------------------------
    def _what(self) -> str:
        return "P(all targets)" if self.objective == "p_all" else "expected relative shortfall"

    def table(self) -> str:
        """A plain-text report."""
        w = 12
        lines = [f"Budget split for scenario {self.scenario!r} (sha256 {self.sha256[:12]}): {self.budget:,.4g} "
                 f"亿元/yr in each year {self.period}; objective {self._what()} of {', '.join(self.targets)}",
                 f"{self.draws} draws ({self.design}, seed {self.seed}), common random numbers; found by "
                 f"{self.found_by}", ""]
        lines.append(f"{'lever':<8} {'unit':<8}" + "".join(f"{s[:w]:>{w + 1}}" for s in self.sectors)
                     + f"{'total':>{w + 1}}")
        for lv in self.levers:
            row = self.allocation.sel(lever=lv).values
            lines.append(f"{lv:<8} {LEVER_UNITS[lv]:<8}" + "".join(f"{v:>{w + 1},.4g}" for v in row)
                         + f"{row.sum():>{w + 1},.4g}")
        for lv in self.levers:
            row = self.spend.sel(lever=lv).values
            lines.append(f"{lv:<8} {'亿元/yr':<8}" + "".join(f"{v:>{w + 1},.3g}" for v in row)
                         + f"{row.sum():>{w + 1},.4g}")
        lines.append("")
        if self.land_allowance is not None:
            lines.append(f"land: {self.land_used:,.4g} of {self.land_allowance:,.4g} 公顷/yr the district land "
                         f"budget leaves for {self.period}")
        names = [*self.targets, "all"]
        lines.append(f"{'P(reach)':<26}" + "".join(f"{n:>13}" for n in names))
        lines.append(f"{'optimum':<26}" + "".join(f"{self.probabilities[n]:>13.1%}" for n in names))
        lines.append(f"{'scenario as is':<26}" + "".join(f"{self.scenario_probabilities[n]:>13.1%}"
                                                            for n in names))
        fmt = ".1%" if self.objective == "p_all" else ".4f"
        lines += ["", f"{self._what()}: optimum {self.value:{fmt}} ± {self.se:{fmt}}; scenario as is "
                      f"{self.scenario_value:{fmt}} (its levers here cost {self.scenario_cost:,.4g} 亿元/yr); "
                      f"best of {self.grid_size} coarse-grid splits {self.grid_best:{fmt}}",
                  f"flatness: {self.within_se:.0%} of the coarse-grid splits are within one s.e. of the optimum"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(s)}</th>" for s in self.sectors)
        rows = "".join(
            f"<tr><th>{lv} <small>{html.escape(LEVER_UNITS[lv])}</small></th>"
            + "".join(f"<td style='text-align:right'>{a:,.4g}<br><small>{c:,.3g} 亿元</small></td>"
                      for a, c in zip(self.allocation.sel(lever=lv).values, self.spend.sel(lever=lv).values,
                                      strict=True)) + "</tr>" for lv in self.levers)
        probs = "".join(f"<tr><td>{html.escape(n)}</td><td>{self.probabilities[n]:.1%}</td>"
                        f"<td>{self.scenario_probabilities[n]:.1%}</td></tr>" for n in [*self.targets, "all"])
        return (f"<div><p><b>Budget split — {html.escape(self.scenario)}</b>: {self.budget:,.4g} 亿元/yr, "
                f"{self.period} · {html.escape(self._what())} · {self.draws} draws</p>"
                f"<table><tr><th></th>{head}</tr>{rows}</table>"
                f"<table><tr><th>target</th><th>optimum</th><th>scenario as is</th></tr>{probs}</table>"
                f"<p><small>{html.escape(self.table().splitlines()[-1])}; found by {html.escape(self.found_by)}"
                "</small></p></div>")
