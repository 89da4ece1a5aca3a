"""``jd.calibrate``: free parameters fitted to the published figures by weighted least squares.

The residual of observation *i* is its log error standardised by its class scale,
:math:`r_i(\\theta) = \\ln(m_i(\\theta)/y_i)/\\sigma_i` (a censored figure contributes
:math:`\\sqrt{-2\\ln\\Phi(z_i)}`), and :math:`\\hat\\theta = \\arg\\min \\sum_i r_i^2` within the
parameters' ``low``/``high`` (``scipy.optimize.least_squares``, trust-region reflective). The search
range must lie within the bounds of each key (:mod:`jdmodel.params.schema`, the bounds every file is
checked against): a range that leaves them is refused before any run, so an estimate outside them
cannot come out, and each estimate is checked again before it is used or written.
Standard errors come from the Jacobian at the optimum,
:math:`\\mathrm{Cov}(\\hat\\theta) = s^2 (J^\\top J)^{-1}` with :math:`s^2 = \\sum r_i^2/(m - n)`
The class scales are the stated error model, so by default :math:`s^2 = 1` (``absolute_sigma=True``,
the inverse Fisher information of the likelihood that ``jd.condition`` uses too); with
``absolute_sigma=False`` the covariance is rescaled by :math:`s^2 = \\sum r_i^2/(m - n)` over the
*m* terms that depend on the free parameters (as ``scipy.optimize.curve_fit`` does), which widens the
errors when the model fits worse than the class scales allow.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.optimize import least_squares

from jdmodel.errors import ParameterError
from jdmodel.expost.operator import (
    ErrorModel,
    Matched,
    load_error_model,
    match,
    observations,
    scenario_shares,
)
from jdmodel.params.rules import Bounds, finite
from jdmodel.params.scenario import Scenario, load_scenario


def default_free(sc: Scenario) -> tuple[str, ...]:
    """Default free parameters: the exogenous TFP growth of the sectors in the plan's headline total
    (their published figures inform them) and the within-year shares of the plan's base-year rules
    (which, through the base year, set the level later figures are compared with).

    Examples
    --------
    >>> import jdmodel as jd
    >>> default_free(jd.load_scenario("baseline"))[-1]
    'within_year.jan_oct.2020'
    """
    keys = [f"sectors.{s}.tfp_growth" for s in sc.targets.composition]
    keys += sorted({r.share for r in sc.plan.base_rules if r.share is not None})
    return tuple(k for k in keys if k in sc.params)


@dataclass
class CalibrationResult:
    """What :func:`calibrate` returns."""

    scenario: Scenario                   # the calibrated scenario (sources say "calibrated: …")
    prior: Scenario
    free: tuple[str, ...]
    estimates: dict[str, float]
    std_errors: dict[str, float]
    covariance: np.ndarray
    bounds: dict[str, tuple[float, float]]
    at_bound: dict[str, bool]
    residuals: xr.Dataset                # per observation used: log error, standardised residual, sd
    cost: float                          # ½ Σ r²
    dof: int
    identified: bool
    message: str
    matched: Matched = field(repr=False, default=None)
    projections: xr.Dataset | None = field(repr=False, default=None)

    @property
    def misfit(self) -> float:
        """Σr²/(m − n) over the informative terms (NaN without degrees of freedom)."""
        r = self.residuals
        rr = r["standardised"].values[r["informative"].values]
        return float(rr @ rr / self.dof) if self.dof > 0 else float("nan")

    def table(self) -> str:
        n_terms = self.residuals.sizes["observation"]
        lines = [f"Calibration of {self.prior.name!r} on {n_terms} observation term(s), {len(self.free)} free "
                 f"parameter(s), {self.dof} degree(s) of freedom; Σr² = {2 * self.cost:.2f}"
                 + ("" if self.identified else " — NOT identified (JᵀJ singular)"), ""]
        head = f"{'parameter':<44} {'prior':>9} {'estimate':>9} {'s.e.':>9} {'range':>17}  note"
        lines += [head, "-" * len(head)]
        for k in self.free:
            lo, hi = self.bounds[k]
            note = "at bound: s.e. not meaningful" if self.at_bound[k] else ""
            lines.append(f"{k:<44} {float(self.prior[k]):>9.4g} {self.estimates[k]:>9.4g} "
                         f"{self.std_errors[k]:>9.3g} {f'[{lo:.4g}, {hi:.4g}]':>17}  {note}")
        lines += ["", f"{'id':<12} {'indicator':<28} {'period':<12} {'class':<5} {'log error':>9} "
                      f"{'|r|':>6}  note"]
        r = self.residuals
        for i in range(r.sizes["observation"]):
            note = "" if bool(r["informative"][i]) else "does not depend on the free parameters"
            lines.append(f"{str(r['observation'].values[i]):<12} {str(r['indicator'].values[i]):<28} "
                         f"{str(r['period'].values[i]):<12} {str(r['class'].values[i]):<5} "
                         f"{float(r['log_error'][i]):>+9.3f} {abs(float(r['standardised'][i])):>6.2f}"
                         f"  {note}")
        misfit = "— (no degrees of freedom)" if self.dof <= 0 else f"{self.misfit:.2f}"
        lines.append(f"misfit Σr²/(m − n) over the m terms that depend on the free parameters: {misfit} "
                     "(≈ 1 when the class scales describe the errors)")
        if self.projections is not None:
            p = self.projections
            lines += ["", f"{p.attrs.get('indicator', 'total')}, 亿元:  " + "  ".join(
                f"{int(y)}: prior {float(p['prior'].sel(year=y)):,.0f} → "
                f"{float(p['calibrated'].sel(year=y)):,.0f}" for y in p["year"].values)]
        lines.append(f"optimiser: {self.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"


def calibrate(scenario: Scenario | str = "baseline", observed=None, free: Sequence[str] | None = None, *,
              errors: ErrorModel | None = None, io: bool = False,
              bounds: Mapping[str, tuple[float, float]] | None = None, absolute_sigma: bool = True,
              name: str | None = None) -> CalibrationResult:
    """Fit free parameters of a scenario to the published observations.

    Parameters
    ----------
    scenario : Scenario or str
    observed : str, path or sequence of Observation
    free : sequence of str
        Dotted keys of scalar parameters to estimate (default :func:`default_free`); each needs
        ``low``/``high`` in its file, or an entry in ``bounds``. The search stays within that range.
    errors : ErrorModel, optional
        Class scales and shares (default ``parameters/expost.toml``).
    io : bool
        Simulate with the input–output block, so that GDP figures enter the fit (off by default:
        the free parameters rarely govern the rest of the district economy).
    bounds : mapping, optional
        ``key → (low, high)`` replacing a free parameter's own range (canonical units); the range must
        lie within the key's bounds (docs/parameters.md; open bounds exclusive), as ``low``/``high`` in
        a file must.
    absolute_sigma : bool
        True (default): covariance (JᵀJ)⁻¹ of the standardised residuals, trusting the class scales;
        False: rescaled by Σr²/(m − n) over the terms that depend on the free parameters.
    name : str, optional
        Name of the calibrated scenario (default ``<name>_calibrated``).

    Returns
    -------
    CalibrationResult
        Every estimate lies within its search range, hence within its key's bounds.

    Raises
    ------
    ParameterError
        Before any run: a free key that is unknown, not a scalar, listed twice or without a range;
        a ``bounds=`` entry for a key that is not free, or a range that is not ``low < high`` of
        finite numbers or leaves the key's bounds (the message names the key, the range and the
        bounds). After the fit: an estimate outside its range or bounds (which the bounded search
        does not give), before it is used or written.

    Examples
    --------
    >>> from jdmodel.expost import calibrate
    >>> cal = calibrate("baseline", free=["sectors.ecommerce.tfp_growth"])
    >>> -0.01 <= cal.estimates["sectors.ecommerce.tfp_growth"] <= 0.05
    True
    """
    from jdmodel.pipeline.simulate import simulate

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    errors = errors or load_error_model(plan=sc.plan)
    obs = observations(observed, plan=sc.plan)
    free = tuple(default_free(sc) if free is None else free)
    lo, hi = _bounds(sc, free, bounds or {})

    def run(x: np.ndarray) -> Matched:
        trial = sc.with_overrides(dict(zip(free, map(float, x), strict=True)))
        ds = simulate(trial, io=io)
        return match(ds, obs, errors, shares=scenario_shares(trial), totals=sc.targets.total_of)

    first = run(np.array([float(sc[k]) for k in free]))
    ids = [t.id for t in first.used()]
    if not ids:
        raise ParameterError(f"calibrate: no observation in {observed!r} matches an indicator of this run")

    def residuals(x: np.ndarray) -> np.ndarray:
        terms = {t.id: t for t in run(x).used()}
        return np.array([float(terms[i].residual()) if i in terms else 1e3 for i in ids])

    x0 = np.clip([float(sc[k]) for k in free], lo, hi)
    fit = least_squares(residuals, x0, bounds=(lo, hi), x_scale=hi - lo, diff_step=1e-6, method="trf")
    est = dict(zip(free, map(float, fit.x), strict=True))
    _check_estimates(sc, est, lo, hi)           # before the estimates are used or written
    # a term whose derivative is rounding noise (e.g. a January–October figure when only the share is
    # free: the share cancels through the base year) carries no information on the free parameters
    jac = np.asarray(fit.jac)
    informative = np.any(np.abs(jac) > 1e-7 * max(float(np.abs(jac).max()), 1e-300), axis=1)
    cov, identified = _covariance(jac[informative], fit.fun[informative], absolute_sigma, len(free))
    se = dict(zip(free, map(float, np.sqrt(np.clip(np.diag(cov), 0, None))), strict=True))
    span = hi - lo
    at_bound = {k: bool(min(x - a, b - x) <= 1e-6 * s)
                for k, x, a, b, s in zip(free, fit.x, lo, hi, span, strict=True)}
    where = (f"{sc.plan.id}/observed.toml" if observed is None else str(observed) if isinstance(observed, str | Path)
             else "given observations")
    source = (f"calibrated: weighted least squares on {where} ({len(ids)} terms: {', '.join(ids)}), "
              f"free {', '.join(free)}; error model {errors.label}")
    overrides = {k: {"value": est[k], "unit": sc.params[k].unit, "low": float(a), "high": float(b),
                     "source": f"{source}; s.e. {se[k]:.3g}; prior {float(sc[k]):g} "
                               f"({sc.params[k].source[:80]})"}
                 for k, a, b in zip(free, lo, hi, strict=True)}
    calibrated = sc.with_overrides(overrides, name=name or f"{sc.name}_calibrated")
    final = run(fit.x)
    return CalibrationResult(
        scenario=calibrated, prior=sc, free=free, estimates=est, std_errors=se, covariance=cov,
        bounds={k: (float(a), float(b)) for k, a, b in zip(free, lo, hi, strict=True)}, at_bound=at_bound,
        residuals=_residual_dataset(final, dict(zip(ids, informative, strict=True))), cost=float(fit.cost),
        dof=int(informative.sum()) - len(free), identified=identified,
        message=str(fit.message), matched=final, projections=_projections(sc, calibrated))


def _key_bounds(sc: Scenario, key: str) -> Bounds:
    """The schema bounds of a parameter of ``sc`` (canonical units), as every file is checked against."""
    from jdmodel.params.leaf import bounds_of
    from jdmodel.params.schema import spec_for

    spec, _ = spec_for(key, sc.plan)
    return bounds_of(spec) if spec is not None else Bounds()


def _bounds(sc: Scenario, free: tuple[str, ...], given: Mapping[str, tuple[float, float]]):
    """The search range of each free parameter: ``bounds=`` or its ``low``/``high``, within the key's bounds.

    A range that leaves the bounds of its key (docs/parameters.md) is refused before any run, so the
    bounded search can never return a value a parameter file could not hold.
    """
    if not free:
        raise ParameterError("calibrate: give at least one free parameter (--free KEY)")
    if len(set(free)) != len(free):
        raise ParameterError(f"calibrate: a free parameter is listed twice: {list(free)}")
    if not isinstance(given, Mapping):
        raise ParameterError(f"calibrate: bounds= must be a mapping key -> (low, high), got {given!r}")
    lo, hi, probs = [], [], []
    for k in given:
        if k not in free:
            probs.append(f"bounds={{{k!r}: ...}}: {k!r} is not a free parameter (free: {', '.join(free)})")
    for k in free:
        p = sc.params.get(k)
        if p is None:
            probs.append(f"{k}: no such parameter in scenario {sc.name!r}")
            continue
        if isinstance(p.value, bool | str | np.ndarray):
            probs.append(f"{k}: only a scalar parameter can be calibrated (this one is a "
                         f"{'switch' if isinstance(p.value, bool) else 'per-year path'})")
            continue
        pair = given.get(k, (p.low, p.high))
        where = "bounds=" if k in given else "its low/high"
        if isinstance(pair, np.ndarray) and pair.ndim == 1:
            pair = tuple(pair.tolist())
        if not (isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2):
            probs.append(f"{k}: bounds= gives {pair!r}; expected a pair (low, high)")
            continue
        a, b = pair
        if not (finite(a) and finite(b)) or a >= b:
            probs.append(f"{k}: needs a range low < high of finite numbers to search in (got low={a!r}, "
                         f"high={b!r} from {where}); give one in the parameter file or in bounds=")
            continue
        key_bounds = _key_bounds(sc, k)
        outside = [f"{name} {v:g} must be {bad}" for name, v in (("low", a), ("high", b))
                   if (bad := key_bounds.violation(float(v))) is not None]
        if outside:
            probs.append(f"{k}: the search range [{a:g}, {b:g}] (from {where}) leaves the bounds of this key: "
                         f"{'; '.join(outside)} (bounds: {key_bounds.text(p.unit)}; docs/parameters.md)")
            continue
        lo.append(float(a))
        hi.append(float(b))
    if probs:
        raise ParameterError("calibrate: invalid free parameters", probs)
    return np.array(lo), np.array(hi)


def _check_estimates(sc: Scenario, est: Mapping[str, float], lo: np.ndarray, hi: np.ndarray) -> None:
    """Refuse an estimate outside its search range or its key's bounds (the bounded search never gives one)."""
    probs = []
    for (k, x), a, b in zip(est.items(), lo, hi, strict=True):
        key_bounds = _key_bounds(sc, k)
        bad = None if finite(x) else "finite"
        bad = bad or key_bounds.violation(x)
        if bad is not None:
            probs.append(f"{k}: estimate {x!r} must be {bad} (bounds: {key_bounds.text(sc.params[k].unit)})")
        elif not a <= x <= b:
            probs.append(f"{k}: estimate {x:g} lies outside its search range [{a:g}, {b:g}]")
    if probs:
        raise ParameterError("calibrate: the optimiser returned values outside their bounds; nothing was used or "
                             "written", probs)


def _covariance(jac: np.ndarray, fun: np.ndarray, absolute_sigma: bool, n: int) -> tuple[np.ndarray, bool]:
    """``s² (JᵀJ)⁻¹`` through the SVD of J; infinite when J is rank deficient (a direction not identified)."""
    m = jac.shape[0]
    if m == 0:
        return np.full((n, n), np.inf), False
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    tol = 1e-10 * (s[0] if s.size else 0.0)
    keep = s > tol
    identified = bool(keep.sum() == n)
    cov = (vt[keep].T / s[keep] ** 2) @ vt[keep]
    if not identified:
        cov = np.full((n, n), np.inf)
    if not absolute_sigma:
        if m > n:
            cov = cov * float(fun @ fun) / (m - n)
        elif identified:
            cov = np.full((n, n), np.inf)   # no degrees of freedom left to estimate the scale
    return cov, identified


def _residual_dataset(matched: Matched, informative: Mapping[str, bool]) -> xr.Dataset:
    used = matched.used()
    return xr.Dataset(
        {"log_error": ("observation", [float(t.log_error()) for t in used], {"units": "1"}),
         "standardised": ("observation", [float(t.residual()) for t in used],
                          {"long_name": "least-squares residual (log error / class scale)"}),
         "sd": ("observation", [t.sd for t in used], {"units": "1"}),
         "informative": ("observation", [bool(informative.get(t.id, False)) for t in used],
                         {"long_name": "depends on the free parameters"})},
        coords={"observation": [t.id for t in used],
                "indicator": ("observation", [t.obs.indicator for t in used]),
                "period": ("observation", [str(t.obs.period) for t in used]),
                "class": ("observation", [t.obs.cls for t in used])})


def _projections(prior: Scenario, calibrated: Scenario) -> xr.Dataset | None:
    from jdmodel.pipeline.simulate import simulate

    a = simulate(prior, io=False)
    b = simulate(calibrated, io=False)
    total = prior.plan.totals[0].id
    if total not in a:
        return None
    years = [y for y in prior.plan.years.milestones if y in a["year"].values]
    out = xr.Dataset({"prior": a[total].sel(year=years), "calibrated": b[total].sel(year=years)})
    out.attrs["indicator"] = total
    return out
