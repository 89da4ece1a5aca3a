r"""``jd.frontier``: how much of a lever a target needs, as a probability.

The lever is **scaled**: a scale *c* multiplies the scenario's path of the lever in the chosen
sectors in every lever year, so the scenario's timing (Jiading's plan steps up in 2021–2025 and
steps back after) is kept and *c* = 1 is the scenario as it stands. The answer is reported both
as the scale and as the amount it implies, the mean over the plan period of the chosen sectors' total
(亿元/yr for funds, 人/yr for talent, 公顷/yr for land), with its cost in 亿元/yr.

With common random numbers every scale is run on the same draws, so

.. math:: \hat P(c) = \frac{1}{N} \sum_{d=1}^{N} \mathbf 1\{\text{target reached in draw } d \text{ at scale } c\}

is an exact step function of *c*; when more of the lever never lowers a draw's indicator
(funds and talent for every target; land while the district land budget does not bind) it is
non-decreasing, with one step per draw, at the scale where that draw starts to reach the target.
The frontier is the smallest scale with :math:`\hat P(c) \ge p`: bracketed by doubling from
*c* = 1 and located by :func:`scipy.optimize.brentq` on the step function
:math:`f(c) = N\hat P(c) - \lceil pN \rceil + \tfrac12`, which has no zero, so Brent's method
converges to the step itself.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from jdmodel.errors import ParameterError
from jdmodel.params.scenario import Scenario
from jdmodel.policy._crn import CRNEnsemble, check_sectors, hits
from jdmodel.policy.costs import LEVER_UNITS, LEVERS, load_costs

Z95 = 1.959963984540054


@dataclass(repr=False)
class FrontierResult:
    """What :func:`frontier` returns: the lever scale (and amount) at which P(reach) = ``prob``."""

    scenario: str
    sha256: str
    target: str
    targets: tuple[str, ...]
    lever: str
    sectors: tuple[str, ...]
    prob: float
    scale: float
    probability: float
    se: float
    interval: tuple[float, float | None]
    base_amount: float
    base_probability: float
    unit: str
    price: float
    draws: int
    seed: int
    design: str
    bounds: tuple[float, float]
    evaluations: tuple[tuple[float, float], ...] = field(repr=False, default=())
    note: str = ""
    period: str = ""
    all_sectors: bool = False

    @property
    def amount(self) -> float:
        """The lever amount at the frontier: mean over the plan period of the chosen sectors' total, per year."""
        return self.scale * self.base_amount

    @property
    def cost(self) -> float:
        """The amount at the frontier priced in 亿元/yr (the plan's ``policy.toml``)."""
        return self.amount * self.price

    def _lines(self) -> list[tuple[str, str]]:
        lo, hi = self.interval
        hi_s = "beyond the bound" if hi is None else f"{hi:.3f}"
        what = "all targets (" + ", ".join(self.targets) + ")" if self.target == "all" else self.target
        sect = "all sectors" if self.all_sectors else ", ".join(self.sectors)
        return [
            ("scenario", f"{self.scenario} (sha256 {self.sha256[:12]})"),
            ("question", f"{self.lever} ({sect}) needed for P({what}) ≥ {self.prob:.0%}"),
            ("scale", f"{self.scale:.3f} × the scenario's {self.lever} path (95 % MC interval {lo:.3f}–{hi_s})"),
            ("amount", f"{self.amount:,.4g} {self.unit} over {self.period} (scenario: {self.base_amount:,.4g})"),
            ("cost", f"{self.cost:,.4g} 亿元/yr (scenario: {self.base_amount * self.price:,.4g})"),
            ("P(reach)", f"{self.probability:.1%} ± {self.se:.1%} at the frontier; "
                         f"{self.base_probability:.1%} at scale 1"),
            ("draws", f"{self.draws} ({self.design}, seed {self.seed}), common random numbers; "
                      f"{len(self.evaluations)} scales evaluated"),
        ] + ([("note", self.note)] if self.note else [])

    def table(self) -> str:
        """A plain-text summary."""
        return "\n".join(f"{k:<10} {v}" for k, v in self._lines())

    def __str__(self) -> str:
        return self.table()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(v)}</td></tr>" for k, v in self._lines())
        return f"<div><p><b>Lever frontier</b></p><table>{rows}</table></div>"


class _Curve:
    """P(reach) as a function of the scale, memoised; every call runs on the same draws."""

    def __init__(self, ens: CRNEnsemble, lever: str, sectors: tuple[str, ...], targets) -> None:
        self.ens, self.targets = ens, targets
        self.base = {f"levers.{lever}.{s}": ens.lever_path(lever, s) for s in sectors}
        self.memo: dict[float, int] = {}

    def counts(self, scales) -> np.ndarray:
        scales = [float(c) for c in np.atleast_1d(scales)]
        todo = [c for c in dict.fromkeys(scales) if c not in self.memo]
        if todo:
            out = self.ens.run([{k: v * c for k, v in self.base.items()} for c in todo])
            for c, k in zip(todo, hits(out, self.targets, self.ens.plan.years.base).sum(axis=1), strict=True):
                self.memo[c] = int(k)
        return np.array([self.memo[c] for c in scales])

    def p(self, scale: float) -> float:
        return float(self.counts([scale])[0]) / self.ens.draws

    def root(self, k_star: int, a: float, b: float, xtol: float) -> float:
        """Smallest scale in (a, b] with count ≥ k_star, to ``xtol`` (count(a) < k_star ≤ count(b))."""
        brentq(lambda c: self.counts([c])[0] - k_star + 0.5, a, b, xtol=xtol)
        return min(c for c, k in self.memo.items() if a < c <= b and k >= k_star)


def _check(lever: str, prob: float, bounds) -> tuple[float, float]:
    if lever not in LEVERS:
        raise ParameterError(f"lever must be one of {', '.join(LEVERS)}, got {lever!r}")
    if not isinstance(prob, int | float) or not 0 < prob <= 1:
        raise ParameterError(f"prob must be a probability in (0, 1], got {prob!r}")
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ParameterError(f"bounds must be (low, high) scales, got {bounds!r}") from None
    if not (0 <= lo < hi < math.inf):
        raise ParameterError(f"bounds must satisfy 0 ≤ low < high < inf, got {bounds!r}")
    return lo, hi


def _setup(scenario, target, lever, sectors, draws, seed, design):
    ens = CRNEnsemble(scenario, draws, seed, design)
    targets = ens.select(target)
    sectors = check_sectors(sectors, "frontier", ens.plan)
    window = ens.plan.years.plan_lever_slice
    base_amount = float(sum(ens.lever_path(lever, s)[window].mean() for s in sectors))
    if base_amount <= 0:
        y = ens.plan.years
        raise ParameterError(f"scenario {ens.scenario.name!r} has no {lever} in {y.plan_start}–{y.plan_end} for "
                             f"{', '.join(sectors)}, so there is nothing to scale; choose a scenario (or "
                             f"overrides) with a positive levers.{lever} path")
    return ens, targets, sectors, base_amount


def frontier(scenario: Scenario | str, target: str = "output", lever: str = "funds", prob: float = 0.8,
             sectors=None, draws: int = 2000, seed: int = 0, bounds=(0, 20), design: str = "lhs",
             xtol: float = 2e-4) -> FrontierResult:
    r"""The scale of a lever at which the probability of reaching a target is ``prob``.

    Parameters
    ----------
    scenario : Scenario or str
        Its lever path is what is scaled.
    target : str
        A target id of the plan's ``targets.toml`` (Jiading: ``"output"``, ``"enterprises"``, …) or
        ``"all"`` for all assessable targets at once.
    lever : {"funds", "talent", "land"}
    prob : float
        Required P(reach), in (0, 1].
    sectors : sequence of str, optional
        Sectors whose lever is scaled (default all the plan's sectors); the others keep the scenario's path.
    draws, seed, design
        The ensemble (common random numbers: the same draws for every scale).
    bounds : (float, float)
        Smallest and largest scale searched.
    xtol : float
        Tolerance on the scale.

    Returns
    -------
    FrontierResult
        ``.scale``, ``.amount`` (lever units/yr over the plan period), ``.cost`` (亿元/yr),
        ``.probability`` and its s.e., a 95 % Monte Carlo interval on the scale (the scales at
        which :math:`\hat P = p \mp 1.96\,\mathrm{se}`), ``.table()`` and an HTML repr.

    Raises
    ------
    ParameterError
        For bad arguments, or when even the upper bound does not reach ``prob`` (the message
        gives the best P(reach) at the bound).

    Examples
    --------
    >>> import jdmodel as jd
    >>> r = jd.frontier("plan", target="output", lever="funds", prob=0.5, draws=200)
    >>> r.probability >= 0.5 and r.scale > 0
    True
    """
    lo, hi = _check(lever, prob, bounds)
    ens, targets, sectors, base_amount = _setup(scenario, target, lever, sectors, draws, seed, design)
    curve = _Curve(ens, lever, sectors, targets)
    n = ens.draws
    k_star = math.ceil(prob * n - 1e-9)
    xtol = float(xtol) * max(1.0, hi)
    note = ""
    if curve.counts([lo])[0] >= k_star:
        scale, a = lo, lo
        note = f"P(reach) ≥ {prob:.0%} already at the lower bound (scale {lo:g})"
    else:
        a, x = lo, (1.0 if lo < 1.0 < hi else 0.5 * (lo + hi))
        while curve.counts([x])[0] < k_star:       # bracket: expand until P ≥ prob or the bound
            a = x
            if x >= hi:
                best = curve.p(hi)
                raise ParameterError(
                    f"no {lever} scale within bounds {bounds} gives P({target}) ≥ {prob:.0%} in scenario "
                    f"{ens.scenario.name!r}: the best is P = {best:.1%} at scale {hi:g} "
                    f"({hi * base_amount:,.4g} {LEVER_UNITS[lever]}); raise the upper bound, lower prob, or "
                    "scale another lever")
            x = min(hi, 2.0 * x)
        scale = curve.root(k_star, a, x, xtol)
    p = curve.p(scale)
    interval = _interval(curve, prob, n, lo, hi, scale, xtol)
    price = load_costs(plan=ens.plan).price[lever]
    return FrontierResult(
        scenario=ens.scenario.name, sha256=ens.scenario.sha256, target=target,
        targets=tuple(t.id for t in targets), lever=lever, sectors=sectors, prob=float(prob), scale=scale,
        probability=p, se=math.sqrt(p * (1 - p) / n), interval=interval, base_amount=base_amount,
        base_probability=curve.p(1.0), unit=LEVER_UNITS[lever], price=price, draws=n, seed=ens.seed,
        design=design, bounds=(lo, hi), evaluations=tuple(sorted((c, k / n) for c, k in curve.memo.items())),
        note=note, period=f"{ens.plan.years.plan_start}–{ens.plan.years.plan_end}",
        all_sectors=len(sectors) == len(ens.plan.sectors))


def _interval(curve: _Curve, prob: float, n: int, lo: float, hi: float, scale: float,
              xtol: float) -> tuple[float, float | None]:
    """Scales at which the estimated P(reach) crosses prob ∓ 1.96 s.e. (Monte Carlo uncertainty)."""
    se = math.sqrt(prob * (1 - prob) / n)
    k_lo = math.ceil((prob - Z95 * se) * n - 1e-9)
    k_hi = math.ceil((prob + Z95 * se) * n - 1e-9)
    lower = lo if curve.counts([lo])[0] >= k_lo else curve.root(k_lo, lo, scale, xtol)
    if k_hi > n or curve.counts([hi])[0] < k_hi:
        return lower, None
    return lower, (scale if curve.counts([scale])[0] >= k_hi else curve.root(k_hi, scale, hi, xtol))


def frontier_curve(scenario: Scenario | str, target: str = "output", lever: str = "funds", sectors=None,
                   scales=None, draws: int = 2000, seed: int = 0, bounds=(0, 20), design: str = "lhs",
                   n: int = 41) -> xr.Dataset:
    """P(reach) (with its standard error) against the lever scale, on common random numbers.

    Parameters
    ----------
    scenario, target, lever, sectors, draws, seed, design
        As :func:`frontier`.
    scales : array_like, optional
        Scales to evaluate (default ``n`` points evenly over ``bounds``).

    Returns
    -------
    xarray.Dataset
        Dim ``scale``; ``p_reach`` and ``p_se`` (the chosen target), ``p_each`` (scale, target:
        every assessable target), ``amount`` (lever units/yr over the plan period) and ``cost`` (亿元/yr).

    Examples
    --------
    >>> from jdmodel.policy import frontier_curve
    >>> c = frontier_curve("plan", scales=[0.5, 1, 2], draws=200)
    >>> bool((c.p_reach.diff("scale") >= 0).all())
    True
    """
    lo, hi = _check(lever, 0.5, bounds)
    ens, targets, sectors, base_amount = _setup(scenario, target, lever, sectors, draws, seed, design)
    grid = np.linspace(lo, hi, int(n)) if scales is None else np.asarray(scales, dtype=float).ravel()
    if grid.size == 0 or np.any(grid < 0) or not np.all(np.isfinite(grid)):
        raise ParameterError(f"frontier_curve: scales must be finite and non-negative, got {scales!r}")
    base = {f"levers.{lever}.{s}": ens.lever_path(lever, s) for s in sectors}
    out = ens.run([{k: v * c for k, v in base.items()} for c in grid])
    avail = ens.available()
    base_year = ens.plan.years.base
    each = np.stack([hits(out, [t], base_year).mean(axis=1) for t in avail], axis=1)
    p = hits(out, targets, base_year).mean(axis=1)
    price = load_costs(plan=ens.plan).price[lever]
    amount = grid * base_amount
    return xr.Dataset(
        {"p_reach": ("scale", p, {"units": "1", "long_name": f"P({target} reached)"}),
         "p_se": ("scale", np.sqrt(p * (1 - p) / ens.draws), {"units": "1", "long_name": "Monte Carlo s.e."}),
         "p_each": (("scale", "target"), each, {"units": "1", "long_name": "P(reach) of each target"}),
         "amount": ("scale", amount, {"units": LEVER_UNITS[lever],
                                      "long_name": f"{lever}, mean {ens.plan.years.plan_start}–"
                                                   f"{ens.plan.years.plan_end}, {', '.join(sectors)}"}),
         "cost": ("scale", amount * price, {"units": "亿元/yr", "long_name": f"cost of {lever}"})},
        coords={"scale": ("scale", grid, {"units": "1", "long_name": f"multiple of the scenario's {lever} path"}),
                "target": [t.id for t in avail]},
        attrs={"scenario": ens.scenario.name, "parameters_sha256": ens.scenario.sha256, "target": target,
               "lever": lever, "sectors": ",".join(sectors), "draws": ens.draws, "seed": ens.seed,
               "design": design, "base_amount": base_amount})
