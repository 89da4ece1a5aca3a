"""``jd.condition``: an ensemble's draws weighted by how well they reproduce the published figures.

Importance sampling with the prior ensemble as the proposal: draw *d* gets the weight

.. math:: w_d \\propto \\prod_i p(y_i \\mid m_{i,d}),

the likelihood of every observation used (through the observation operator and the class
scales of :mod:`jdmodel.expost.operator`; a lower bound contributes :math:`\\Phi(z)`). The
effective sample size :math:`\\mathrm{ESS} = (\\sum w)^2 / \\sum w^2` says how many equally
weighted draws the posterior is worth; when it collapses the posterior rests on a handful of
draws and the function warns. Weighted P(reach) of every target (as in ``jd.assess``) and
weighted quantiles of the paths to 2030 are set beside the prior ones.

References
----------
Kong, A. (1992). A note on importance sampling using standardized weights. Technical report 348,
University of Chicago. Smith, A. F. M. & Gelfand, A. E. (1992). Bayesian statistics without tears.
*The American Statistician* 46(2), 84–88.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError
from jdmodel.expost.operator import (
    ErrorModel,
    Matched,
    load_error_model,
    match,
    observations,
    scenario_shares,
    share_keys,
)
from jdmodel.params.scenario import Scenario, load_scenario
from jdmodel.params.targets import TargetSet, load_targets
from jdmodel.targets import QUANTILES

#: the counting models' indicators, shown beside the plan's totals and linked indicators
COUNT_VARIABLES = ("enterprises_total", "projects", "scenarios")


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles of ``values`` (draw axis first) under normalised ``weights`` (one per draw).

    Linear interpolation between the midpoints of the cumulative weights (with equal weights
    this is the Hazen plotting position, ``numpy.quantile(..., method="hazen")``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(1.0, 6.0)
    >>> round(float(weighted_quantile(x, np.ones(5) / 5, [0.5])[0]), 12)
    3.0
    """
    v = np.asarray(values, dtype=float)
    d = v.shape[0]
    flat = v.reshape(d, -1).T                                 # (cells, draws)
    order = np.argsort(flat, axis=1)
    vs = np.take_along_axis(flat, order, axis=1)
    ws = np.asarray(weights, dtype=float)[order]
    c = np.cumsum(ws, axis=1) - 0.5 * ws
    live = ws > 0                                             # a draw of zero weight is no support point
    idx = np.arange(d)
    rows = np.arange(len(vs))
    out = []
    for qq in np.atleast_1d(q):
        lo = np.where(live & (c < qq), idx, -1).max(axis=1)
        hi = np.where(live & (c >= qq), idx, d).min(axis=1)
        lo_ok, hi_ok = lo >= 0, hi < d
        lo_i, hi_i = np.where(lo_ok, lo, hi), np.where(hi_ok, hi, lo)
        c_lo, c_hi = c[rows, lo_i], c[rows, hi_i]
        gap = c_hi - c_lo
        frac = np.where(gap > 0, (qq - c_lo) / np.where(gap > 0, gap, 1.0), 0.0)
        val = vs[rows, lo_i] + np.clip(frac, 0.0, 1.0) * (vs[rows, hi_i] - vs[rows, lo_i])
        out.append(val.reshape(v.shape[1:]))
    return np.stack(out)


@dataclass
class ConditionedEnsemble:
    """What :func:`condition` returns."""

    weights: xr.DataArray                # normalised, over draw
    log_likelihood: xr.DataArray         # per draw
    ess: float
    matched: Matched
    targets: xr.Dataset                  # prior / posterior P(reach) per target
    quantiles: xr.Dataset                # dims (which, quantile, year): prior and posterior
    parameters: xr.Dataset | None = None  # prior / posterior mean and sd of the sampled inputs
    ensemble: xr.Dataset | None = field(default=None, repr=False)
    milestones: tuple[int, ...] = ()

    @property
    def n(self) -> int:
        return int(self.weights.sizes["draw"])

    def mean(self, da: xr.DataArray) -> xr.DataArray:
        """Posterior (weighted) mean over ``draw``."""
        return (da * self.weights).sum("draw")

    def var(self, da: xr.DataArray) -> xr.DataArray:
        """Posterior (weighted) variance over ``draw``."""
        return (self.weights * (da - self.mean(da)) ** 2).sum("draw")

    def table(self) -> str:
        lines = [f"Conditioning {self.n} draws on {len(self.matched.used())} observation term(s): "
                 f"effective sample size {self.ess:,.1f} ({self.ess / self.n:.1%})", ""]
        lines.append(f"{'target':<22} {'prior P':>9} {'posterior P':>12} {'± s.e.':>8}")
        for t in self.targets["target"].values:
            r = self.targets.sel(target=t)
            lines.append(f"{str(t):<22} {float(r['prior']):>9.1%} {float(r['posterior']):>12.1%} "
                         f"{float(r['posterior_se']):>8.1%}")
        for var in self.quantiles.data_vars:
            q = self.quantiles[var]
            lines += ["", f"{var} (median [5 %–95 %]):"]
            years = [y for y in q["year"].values if y in self.milestones]
            for which in ("prior", "posterior"):
                lines.append(f"  {which:<10}" + "  ".join(
                    f"{int(y)}: {float(q.sel(which=which, quantile=0.5, year=y)):,.0f} "
                    f"[{float(q.sel(which=which, quantile=0.05, year=y)):,.0f}–"
                    f"{float(q.sel(which=which, quantile=0.95, year=y)):,.0f}]" for y in years))
        if self.parameters is not None and self.parameters.sizes.get("parameter", 0):
            p = self.parameters
            shift = (p["posterior_mean"] - p["prior_mean"]) / p["prior_sd"].where(p["prior_sd"] > 0)
            shift = shift.fillna(0)
            top = shift.sortby(np.abs(shift), ascending=False)["parameter"].values[:8]
            lines += ["", "parameters the observations move most (prior → posterior mean, in prior sd):"]
            for k in top:
                r = p.sel(parameter=k)
                lines.append(f"  {str(k):<44} {float(r['prior_mean']):>10.4g} → "
                             f"{float(r['posterior_mean']):<10.4g} ({float(shift.sel(parameter=k)):+.2f} sd)")
        used = ", ".join(t.id for t in self.matched.used())
        lines += ["", f"terms used: {used}"]
        reasons: dict[str, list[str]] = {}
        for s in self.matched.skipped:
            reasons.setdefault(s.reason, []).append(s.obs.id)
        lines += [f"skipped {', '.join(ids)}: {reason}" for reason, ids in reasons.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"

    def to_dataset(self) -> xr.Dataset:
        """Weights, log-likelihoods, target probabilities and quantiles in one Dataset."""
        out = xr.merge([self.weights.rename("weight").to_dataset(),
                        self.log_likelihood.rename("log_likelihood"),
                        self.targets.rename({"prior": "p_prior", "posterior": "p_posterior"}),
                        self.quantiles.rename({v: f"{v}_quantile" for v in self.quantiles.data_vars})])
        out.attrs.update(ess=self.ess, draws=self.n)
        return out


def condition(ensemble: xr.Dataset, observed=None, scenario: Scenario | str | None = None, *,
              errors: ErrorModel | None = None, min_ess: float = 100.0,
              min_ess_fraction: float = 0.01) -> ConditionedEnsemble:
    """Weight the draws of an ensemble by the likelihood of the published observations.

    Parameters
    ----------
    ensemble : Dataset
        From ``jd.simulate(sc, draws=N, seed=S)`` (dim ``draw``), or any Dataset with ``draw`` and
        ``year`` and the indicator variables.
    observed : str, path or sequence of Observation
    scenario : Scenario or str, optional
        Gives the January–October share (when the ensemble did not sample it: its ``inputs``
        variable is read first) and the targets; default: the ensemble's ``scenario`` attribute.
    errors : ErrorModel, optional
        Default ``parameters/expost.toml``.
    min_ess, min_ess_fraction : float
        Warn when the effective sample size falls below either (absolute / share of the draws).

    Returns
    -------
    ConditionedEnsemble

    Examples
    --------
    >>> import warnings
    >>> import jdmodel as jd
    >>> from jdmodel.expost import condition
    >>> ens = jd.simulate("baseline", draws=500, seed=1, io=False)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")      # a small ensemble: the ESS warning is expected
    ...     post = condition(ens)
    >>> 0 < post.ess <= 500
    True
    """
    if "draw" not in ensemble.dims:
        raise ParameterError("condition: the ensemble needs a 'draw' dimension "
                             "(from jd.simulate(sc, draws=N, seed=S))")
    sc = _scenario(ensemble, scenario)
    plan = sc.plan if sc is not None else None
    errors = errors or load_error_model(plan=plan)
    targets = sc.targets if sc is not None else load_targets(plan=plan)
    matched = match(ensemble, observations(observed, plan=plan), errors, shares=_shares(ensemble, sc),
                    totals=targets.total_of)
    ll = xr.zeros_like(ensemble["draw"], dtype=float)
    for t in matched.used():
        ll = ll + t.log_likelihood().broadcast_like(ll)
    ll = ll.fillna(-np.inf)
    if not np.isfinite(ll).any():
        raise ParameterError("condition: every draw has zero likelihood (a model value ≤ 0, or a bound "
                             "violated beyond numerical range); check the observations and the ensemble")
    w = np.exp(ll - ll.max())
    w = w / w.sum()
    ess = float(1.0 / (w**2).sum())
    n = int(ensemble.sizes["draw"])
    if ess < min_ess or ess < min_ess_fraction * n:
        warnings.warn(f"condition: the effective sample size collapsed to {ess:.1f} of {n} draws "
                      f"({ess / n:.2%}): the posterior rests on a few draws. Use more draws, widen the prior "
                      "ranges, or raise the model discrepancy in parameters/expost.toml.", stacklevel=2)
    return ConditionedEnsemble(weights=w.rename("weight"), log_likelihood=ll.rename("log_likelihood"),
                               ess=ess, matched=matched,
                               targets=_target_probabilities(ensemble, w, targets, ess),
                               quantiles=_quantiles(ensemble, w, _path_variables(sc)),
                               parameters=_parameters(ensemble, w), ensemble=ensemble,
                               milestones=_milestones(ensemble, sc))


def _scenario(ensemble: xr.Dataset, scenario) -> Scenario | None:
    if isinstance(scenario, Scenario):
        return scenario
    name = scenario or ensemble.attrs.get("scenario")
    if name is None:
        return None
    try:
        return load_scenario(name, plan=ensemble.attrs.get("plan"))
    except ParameterError:
        if scenario is not None:
            raise
        return None   # a synthetic ensemble named after no shipped scenario


def _shares(ensemble: xr.Dataset, sc: Scenario | None) -> dict:
    """The scenario's within-year shares, per draw where the ensemble sampled them."""
    if sc is None:
        return {}
    sampled = {}
    if "inputs" in ensemble and "parameter" in ensemble.coords:
        for key in share_keys(sc.plan).values():
            if key in ensemble["parameter"].values:
                sampled[key] = ensemble["inputs"].sel(parameter=key, drop=True)
    return scenario_shares(sc, sampled)


def _target_probabilities(ens: xr.Dataset, w: xr.DataArray, targets: TargetSet, ess: float) -> xr.Dataset:
    """P(reach) of every target whose indicator the ensemble holds, equally weighted and weighted."""
    hits: dict[str, xr.DataArray] = {}
    for t in targets.targets:
        if t.indicator in ens and "year" in ens[t.indicator].dims:
            hits[t.id] = t.reached(ens[t.indicator].sel(year=t.year)).astype(float)
    if len(hits) > 1:
        hits["all targets"] = np.prod(list(hits.values()), axis=0) * xr.ones_like(next(iter(hits.values())))
    for p in targets.paths:
        if p.indicator in ens:
            hits[f"path:{p.id}"] = (ens[p.indicator].sel(year=p.target_year) >= p.target_value).astype(float)
    prior = np.array([float(h.mean()) for h in hits.values()])
    post = np.array([float((h * w).sum()) for h in hits.values()])
    return xr.Dataset({"prior": ("target", prior), "posterior": ("target", post),
                       "posterior_se": ("target", np.sqrt(post * (1 - post) / max(ess, 1.0)))},
                      coords={"target": list(hits)})


def _path_variables(sc: Scenario | None) -> tuple[str, ...]:
    if sc is None:
        return COUNT_VARIABLES
    return (*(t.id for t in sc.plan.totals), *(x.id for x in sc.plan.linked), *COUNT_VARIABLES)


def _milestones(ens: xr.Dataset, sc: Scenario | None) -> tuple[int, ...]:
    if sc is not None:
        return sc.plan.years.milestones
    years = [int(y) for y in ens["year"].values]
    return tuple(years[len(years) // 2:: max(1, len(years) // 4)])


def _quantiles(ens: xr.Dataset, w: xr.DataArray, names) -> xr.Dataset:
    q = list(QUANTILES)
    out = {}
    for name in names:
        if name not in ens or set(ens[name].dims) != {"draw", "year"}:
            continue
        da = ens[name].transpose("draw", "year")
        prior = weighted_quantile(da.values, np.full(da.sizes["draw"], 1.0 / da.sizes["draw"]), q)
        post = weighted_quantile(da.values, w.values, q)
        coords = {"which": ["prior", "posterior"], "quantile": q, "year": da["year"].values}
        out[name] = xr.DataArray(np.stack([prior, post]), dims=("which", "quantile", "year"), coords=coords,
                                 attrs=dict(da.attrs))
    return xr.Dataset(out)


def _parameters(ens: xr.Dataset, w: xr.DataArray) -> xr.Dataset | None:
    if "inputs" not in ens or "parameter" not in ens.dims:
        return None
    x = ens["inputs"]
    pm = (x * w).sum("draw")
    return xr.Dataset({"prior_mean": x.mean("draw"), "prior_sd": x.std("draw"), "posterior_mean": pm,
                       "posterior_sd": np.sqrt((w * (x - pm) ** 2).sum("draw"))})
