"""P(reach) over the model discrepancy, and model variants compared by their evidence.

``discrepancy_curve`` runs the posterior with the discrepancy held at each value of a grid: P(reach)
of every target (with its Monte Carlo error) and the evidence :math:`p(y \\mid d)` at each. Weighting
the grid by :math:`p(y \\mid d)\\, p(d)` (trapezoid rule) integrates over the stated prior of *d* —
the same answer :func:`jdmodel.expost.posterior.infer` gives by sampling *d* with the parameters.

``compare`` sets scenarios (the supply-side and market-share variants of e-commerce) side by side:
each one's log evidence, the posterior model probabilities :math:`p(M_j \\mid y) \\propto p(y \\mid M_j)`
(equal prior weights), each one's P(reach) and the model-averaged
:math:`P(\\text{reach} \\mid y) = \\sum_j p(M_j \\mid y)\\, P_j(\\text{reach} \\mid y)`.

References
----------
Kass, R. E. & Raftery, A. E. (1995). Bayes factors. *JASA* 90(430), 773–795.
Hoeting, J. A., Madigan, D., Raftery, A. E. & Volinsky, C. T. (1999). Bayesian model averaging: a tutorial.
*Statistical Science* 14(4), 382–417.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from jdmodel.expost.likelihood import ScenarioLikelihood, discrepancy_prior
from jdmodel.expost.operator import load_error_model, observations
from jdmodel.expost.posterior import ScenarioPosterior, infer
from jdmodel.params.scenario import Scenario, load_scenario

#: the grid of :func:`discrepancy_curve` (log-scale standard deviations)
DISCREPANCY_GRID = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2)


def _prior_density(table: dict, x: np.ndarray) -> np.ndarray:
    """Density of a distribution table at ``x``, from its quantile function (any jdmodel ``dist``)."""
    from jdmodel.uncertainty.distributions import ppf

    u = np.linspace(1e-5, 1 - 1e-5, 20001)
    q = ppf(table, u, default="triangular")
    pdf = np.gradient(u, q, edge_order=1)
    inside = (x >= q[0]) & (x <= q[-1])
    return np.where(inside, np.interp(x, q, pdf), 0.0)


def discrepancy_curve(scenario: Scenario | str = "plan", observed=None, *, values: Sequence[float] = DISCREPANCY_GRID,
                      draws: int = 4000, seed: int = 0, io: bool | None = None) -> xr.Dataset:
    """P(reach) of every target and the evidence with the discrepancy held at each of ``values``.

    Returns
    -------
    xarray.Dataset
        Dims ``(discrepancy, target)``: ``p_reach``, ``mcse``; dim ``discrepancy``: ``log_evidence``,
        ``ess``, ``prior_density`` (the stated prior of *d*) and ``weight`` (its posterior on the grid);
        attrs: ``p_integrated`` per target (weighted by the posterior of *d* on the grid).
    """
    from jdmodel.pipeline.simulate import regional_io

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    errors = load_error_model(plan=sc.plan)
    regional = regional_io(sc) if (io if io is not None else sc.plan.has_io) else None
    lik = ScenarioLikelihood.build(sc, observations(observed, plan=sc.plan), errors, io=regional)
    runs = [infer(sc, draws=draws, seed=seed, discrepancy=float(d), likelihood=lik) for d in values]
    targets = list(runs[0].targets["target"].values)
    d = np.asarray(values, dtype=float)
    logz = np.array([r.log_evidence for r in runs])
    dens = _prior_density(discrepancy_prior(errors), d)
    w = np.exp(logz - logz.max()) * dens
    w = w * np.gradient(d) if len(d) > 1 else w
    w = w / w.sum() if w.sum() > 0 else w
    p = np.array([[float(r.targets["headline"].sel(target=t)) for t in targets] for r in runs])
    se = np.array([[float(r.targets["headline_mcse"].sel(target=t)) for t in targets] for r in runs])
    ds = xr.Dataset({"p_reach": (("discrepancy", "target"), p), "mcse": (("discrepancy", "target"), se),
                     "log_evidence": ("discrepancy", logz), "ess": ("discrepancy", [r.ess for r in runs]),
                     "prior_density": ("discrepancy", dens), "weight": ("discrepancy", w),
                     "evidence": ("target", [str(runs[0].targets["evidence"].sel(target=t).values) for t in targets])},
                    coords={"discrepancy": d, "target": targets})
    ds["p_integrated"] = ("target", (w[:, None] * p).sum(axis=0))
    ds.attrs.update(scenario=sc.name, draws=draws, seed=seed)
    return ds


@dataclass
class Comparison:
    """What :func:`compare` returns."""

    posteriors: dict[str, ScenarioPosterior]
    table_data: xr.Dataset            # (model) log evidence, weight, ESS; (model, target) P(reach), MC error

    def table(self) -> str:
        t = self.table_data
        lines = [f"{'model':<16} {'log evidence':>13} {'P(model | data)':>16} {'ESS':>7}"]
        for m in t["model"].values:
            r = t.sel(model=m)
            lines.append(f"{str(m):<16} {float(r['log_evidence']):>13.2f} {float(r['weight']):>16.1%} "
                         f"{float(r['ess']):>7,.0f}")
        lines += ["", f"{'target':<22}" + "".join(f"  {str(m)[-16:]:>16}" for m in t["model"].values)
                  + f"  {'model-averaged':>16}"]
        for target in t["target"].values:
            row = f"{str(target):<22}"
            for m in t["model"].values:
                r = t.sel(model=m, target=target)
                row += f"  {float(r['p_reach']):>8.1%} ± {float(r['mcse']):>5.1%}"
            row += f"  {float(t['p_averaged'].sel(target=target)):>8.1%} ± {float(t['mcse_averaged'].sel(target=target)):>5.1%}"
            lines.append(row)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"


def compare(scenarios: Sequence[Scenario | str] = ("plan", "market_share"), observed=None, *, draws: int = 20_000,
            seed: int = 0, posteriors: dict[str, ScenarioPosterior] | None = None) -> Comparison:
    """Compare scenarios (model variants) by their evidence, with model-averaged P(reach).

    Examples
    --------
    The variants of the shipped plan are the scenarios ``plan`` (supply side) and ``market_share``
    (the same levers, e-commerce on the demand side); ``jdmodel infer plan`` prints the comparison.
    """
    posts = dict(posteriors or {})
    for s in scenarios:
        sc = s if isinstance(s, Scenario) else load_scenario(s)
        if sc.name not in posts:
            posts[sc.name] = infer(sc, observed, draws=draws, seed=seed)
    names = list(posts)
    logz = np.array([posts[n].log_evidence for n in names])
    w = np.exp(logz - logz.max())
    w = w / w.sum()
    targets = list(posts[names[0]].targets["target"].values)
    p = np.array([[float(posts[n].targets["headline"].sel(target=t)) for t in targets] for n in names])
    se = np.array([[float(posts[n].targets["headline_mcse"].sel(target=t)) for t in targets] for n in names])
    ds = xr.Dataset({"log_evidence": ("model", logz), "weight": ("model", w),
                     "ess": ("model", [posts[n].ess for n in names]),
                     "p_reach": (("model", "target"), p), "mcse": (("model", "target"), se),
                     "p_averaged": ("target", (w[:, None] * p).sum(axis=0)),
                     "mcse_averaged": ("target", np.sqrt((w[:, None] ** 2 * se**2).sum(axis=0)))},
                    coords={"model": names, "target": targets})
    return Comparison(posts, ds)
