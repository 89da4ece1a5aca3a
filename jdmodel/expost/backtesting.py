"""``jd.backtest``: fit on the figures published up to a year, predict the ones after it.

For a cut year *c* the posterior (:func:`jdmodel.expost.posterior.infer`) is fitted on the
observations whose period lies in or before *c*; every later figure is predicted by the posterior
predictive distribution :math:`\\ln y = \\ln m(\\theta) + e`, :math:`e \\sim N(0, s_c^2 + d^2)`, and
set beside the published value with the 50 % and 90 % central intervals. Nothing after the cut
may leak in:

* **observations** after *c* never enter the likelihood;
* **priors** that record the figures they were set by (``informed_by`` in the parameter files)
  are replaced, when any of those figures lies after *c*, by a uniform over their range widened by
  ``widen`` × its width on each side (within the schema's bounds) — a stated, uninformed range;
* **the market series** of the demand-side variant is cut at *c* (:meth:`Market.path` with
  ``known_until``), and its growth after the last known year (``market.growth``, set on later
  years) is widened likewise;
* what cannot be cut is said: the base year is derived from a release of the year after it, so the
  first possible cut is that release's year; the error model's within-year (H1) share of GDP was set
  on the district's 2021 and 2024 figures, so half-year GDP predictions before 2024 carry a note.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError
from jdmodel.expost.likelihood import ScenarioLikelihood
from jdmodel.expost.operator import load_error_model, observations
from jdmodel.expost.posterior import infer
from jdmodel.params.observed import parse_period
from jdmodel.params.scenario import Scenario, load_scenario

#: widen a contaminated prior's range by this share of its width on each side
WIDEN = 0.5


def cut_years(sc: Scenario, observed=None) -> list[int]:
    """Every cut year that leaves observations on both sides and follows the base year's own release."""
    obs = observations(observed, plan=sc.plan)
    years = sorted({o.period.year for o in obs})
    first = max([sc.plan.years.base, *(parse_period(r.period).year for r in sc.plan.base_rules)])
    return [c for c in years if c >= first and any(y > c for y in years)]


def honest_scenario(sc: Scenario, cut: int, observed=None, widen: float = WIDEN) -> tuple[Scenario, list[str]]:
    """The scenario as it could have been written at the end of ``cut``: contaminated priors widened, market cut.

    Returns the scenario and one line per change.
    """
    from jdmodel.params.schema import spec_for

    obs = {o.id: o for o in observations(observed, plan=sc.plan)}
    later = {i for i, o in obs.items() if o.period.year > cut}
    overrides, notes = {}, []
    from jdmodel.params.scenario import options

    market = sc.plan.market if options(sc).get("model.variant") == "market_share" else None
    for key, p in sorted(sc.params.items()):
        hits = sorted(set(p.informed_by) & later)
        by_market = key == "market.growth" and market is not None and market.points[-1].year > cut
        if not (hits or by_market) or p.low is None or p.high is None:
            continue
        width = p.high - p.low
        spec, _ = spec_for(key, sc.plan)
        lo, hi = p.low - widen * width, p.high + widen * width
        if spec is not None:
            lo = lo if spec.min is None else max(lo, spec.min + (1e-9 if spec.open_min else 0.0))
            hi = hi if spec.max is None else min(hi, spec.max)
        why = f"set on figure(s) {', '.join(hits)} published for after {cut}" if hits else \
            f"set on the market series after {cut}"
        overrides[key] = {"value": float(np.clip(p.value, lo, hi)), "unit": p.unit, "low": lo, "high": hi,
                          "dist": "uniform", "source": f"backtest at {cut}: uninformed range (the prior was {why})"}
        notes.append(f"{key}: prior [{p.low:g}, {p.high:g}] {why} → uniform [{lo:.4g}, {hi:.4g}]")
    out = sc.with_overrides(overrides, name=f"{sc.name}@{cut}") if overrides else sc
    if market is not None and market.points[-1].year > cut:
        kept = tuple(pt for pt in market.points if pt.year <= cut)
        if len(kept) < 2:
            raise ParameterError(f"backtest at {cut}: the market series has fewer than two levels up to {cut}")
        out = replace(out, plan=replace(out.plan, market=replace(market, points=kept)))
        notes.append(f"market series cut at {cut} ({len(kept)} of {len(market.points)} levels kept)")
    return out, notes


@dataclass
class BacktestReport:
    """What :func:`backtest` returns: one row per predicted figure, and the coverage of the intervals."""

    rows: xr.Dataset                 # dim "row": cut, id, indicator, period, class, observed, quantiles, hits
    notes: dict[int, list[str]]      # per cut year: what was widened or cut
    fitted: dict[int, list[str]]     # per cut year: the observation ids the fit used

    @property
    def coverage(self) -> dict[str, float]:
        r = self.rows
        return {"50%": float(r["hit50"].mean()), "90%": float(r["hit90"].mean())}

    def table(self) -> str:
        r = self.rows
        lines = [f"{'cut':>4} {'id':<6} {'indicator':<24} {'period':<12} {'cls':<3} {'observed':>10} "
                 f"{'median':>9} {'50 % interval':>17} {'90 % interval':>17} {'50%':>4} {'90%':>4}"]
        for i in range(r.sizes["row"]):
            x = r.isel(row=i)
            obs = ("> " if str(x["bound"].values) == "lower" else "") + f"{float(x['observed']):,.1f}"
            lines.append(
                f"{int(x['cut']):>4} {str(x['id'].values):<6} {str(x['indicator'].values):<24} "
                f"{str(x['period'].values):<12} {str(x['cls'].values):<3} {obs:>10} {float(x['q50']):>9,.1f} "
                f"{float(x['q25']):>8,.0f}–{float(x['q75']):<8,.0f} {float(x['q05']):>8,.0f}–{float(x['q95']):<8,.0f} "
                f"{'hit' if bool(x['hit50']) else 'miss':>4} {'hit' if bool(x['hit90']) else 'miss':>4}")
        c = self.coverage
        lines += ["", f"coverage over {r.sizes['row']} predictions: 50 % intervals {c['50%']:.0%}, "
                      f"90 % intervals {c['90%']:.0%}"]
        for cut, notes in self.notes.items():
            lines.append(f"cut {cut}: fitted on {', '.join(self.fitted[cut])}")
            lines += [f"  {n}" for n in notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"


def backtest(scenario: Scenario | str = "plan", until: int | None = None, observed=None, *, draws: int = 4000,
             seed: int = 0, widen: float = WIDEN, io: bool | None = None) -> BacktestReport:
    """Fit on the figures up to ``until`` (every possible cut year when None) and predict the rest.

    Parameters
    ----------
    scenario : Scenario or str
    until : int, optional
        The cut year; None runs every year of :func:`cut_years`.
    observed : optional
        The observations (default: the plan's).
    draws, seed : int
        Of each posterior.
    widen : float
        A contaminated prior becomes uniform on its range widened by this share of its width on each side.

    Returns
    -------
    BacktestReport
    """
    from jdmodel.pipeline.simulate import regional_io

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    obs = observations(observed, plan=sc.plan)
    cuts = cut_years(sc, obs)
    if until is not None:
        if int(until) not in cuts:
            raise ParameterError(f"backtest: no cut at {until}: possible cut years are {cuts} (observations on both "
                                 "sides, and not before the release the base year is derived from)")
        cuts = [int(until)]
    errors = load_error_model(plan=sc.plan)
    regional = regional_io(sc) if (io if io is not None else sc.plan.has_io) else None
    rows, notes, fitted = [], {}, {}
    for cut in cuts:
        honest, changes = honest_scenario(sc, cut, obs, widen)
        fit_obs = tuple(o for o in obs if o.period.year <= cut)
        held = tuple(o for o in obs if o.period.year > cut)
        lik = ScenarioLikelihood.build(honest, fit_obs, errors, io=regional)
        post = infer(honest, fit_obs, draws=draws, seed=seed, likelihood=lik)
        fitted[cut] = [t.id for t in lik.terms]
        try:
            ahead = ScenarioLikelihood.build(honest, held, errors, io=regional)
        except ParameterError:
            notes[cut] = [*changes, "nothing after the cut is measured by the model"]
            continue
        half_year = [t.id for t in ahead.terms if t.obs.indicator == "gdp" and not t.obs.period.full_year
                     and cut < 2024]
        if half_year:
            changes = [*changes, f"{', '.join(half_year)}: the GDP H1 share of the error model was set on the 2021 and "
                                 "2024 figures (expost.toml), not re-fitted here"]
        notes[cut] = changes
        rows += _predict(post, ahead, cut, seed)
    if not rows:
        raise ParameterError("backtest: no figure after any cut year is measured by the model")
    names = list(rows[0])
    data = {k: ("row", [r[k] for r in rows]) for k in names}
    return BacktestReport(xr.Dataset(data), notes, fitted)


def _predict(post, ahead: ScenarioLikelihood, cut: int, seed: int) -> list[dict]:
    from jdmodel.expost.likelihood import DISCREPANCY

    p = post.idata.posterior
    theta = np.column_stack([p[k].values.reshape(-1) for k in ahead.keys])
    d = p[DISCREPANCY].values.reshape(-1) if DISCREPANCY in p else np.full(len(theta), ahead.errors.discrepancy)
    m = ahead.predictions(theta)
    scale = np.array([ahead.errors.scale[t.obs.cls] for t in ahead.terms])
    sd = np.hypot(scale[None, :], d[:, None])
    rng = np.random.default_rng([int(seed), 13, int(cut)])
    y = m * np.exp(sd * rng.standard_normal(m.shape))
    q = np.quantile(y, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    out = []
    for j, t in enumerate(ahead.terms):
        lo5, lo25, med, hi75, hi95 = q[:, j]
        v = t.observed
        if t.kind == "lower":        # "more than v": consistent with an interval that reaches above v
            hit50, hit90 = bool(hi75 > v), bool(hi95 > v)
        else:
            hit50, hit90 = bool(lo25 <= v <= hi75), bool(lo5 <= v <= hi95)
        out.append({"cut": cut, "id": t.obs.id, "indicator": t.obs.indicator, "period": str(t.obs.period),
                    "cls": t.obs.cls, "bound": t.obs.bound or "", "observed": v, "q05": lo5, "q25": lo25, "q50": med,
                    "q75": hi75, "q95": hi95, "hit50": hit50, "hit90": hit90})
    return out
