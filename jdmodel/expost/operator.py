"""The observation operator and the error model: what a published figure measured in model terms.

A model path is an annual series (a DataArray over ``year``, with or without ``draw``). A
published figure measures something else when it covers part of a year, so it is compared
with what the model says about that part:

=================  ==========================================================================
period             model value
=================  ==========================================================================
full year          :math:`m = Y_t`
January–October    :math:`m = w_{JO,t} \\, Y_t` (the scenario's ``within_year.jan_oct.<year>``, one per year)
January–June       :math:`m = w_{H1} \\, Y_t` (``share.h1.<family>`` in ``parameters/expost.toml``)
July–December      :math:`m = (1 - w_{H1}) \\, Y_t`
anything else      skipped (no stated share): never compared with a full year
=================  ==========================================================================

and the error is relative (log scale), with a standard deviation that depends on the class of
the source plus a model discrepancy: :math:`\\ln y = \\ln m + e`,
:math:`e \\sim N(0, s_c^2 + d^2)`. A figure published as "more than X" is censored:
its likelihood is :math:`\\Phi((\\ln m - \\ln X)/\\sigma)`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.special import log_ndtr

from jdmodel._paths import parameters_dir
from jdmodel.errors import ParameterError
from jdmodel.params import rules
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.observed import CLASSES, Observation, load_observed

#: indicator families: district value added (``gdp``) and the plan's own output indicators (``output``)
FAMILIES = ("output", "gdp")
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class ErrorModel:
    """Error scales by class, the model discrepancy and the within-year shares.

    Attributes
    ----------
    scale : mapping
        Class (``OS``, ``OG``, ``NR``, ``SE``) → log-scale standard deviation, 1.
    discrepancy : float
        Model structural error added in quadrature, 1 (log scale).
    h1_share : mapping
        Indicator family (``output``, ``gdp``) → share of the year in January–June.
    jan_oct_share : mapping
        Family → January–October share; a family absent here uses the scenario's value.
    use_growth, drop_redundant_totals : bool
        See ``parameters/expost.toml``.
    exclude : tuple of str
        Observation ids left out of the likelihood.
    """

    scale: Mapping[str, float]
    discrepancy: float = 0.0
    h1_share: Mapping[str, float] = field(default_factory=dict)
    jan_oct_share: Mapping[str, float] = field(default_factory=dict)
    use_growth: bool = False
    drop_redundant_totals: bool = True
    exclude: tuple[str, ...] = ()
    file: str = ""

    def sd(self, cls: str) -> float:
        """Total log-scale standard deviation of an observation of class ``cls``."""
        return math.hypot(float(self.scale[cls]), float(self.discrepancy))

    @property
    def label(self) -> str:
        """The file it was read from, relative to the repository when it lies inside it."""
        if not self.file:
            return "given in code"
        root = parameters_dir().parent
        try:
            return str(Path(self.file).resolve().relative_to(root.resolve()))
        except ValueError:
            return self.file

    def with_(self, **changes) -> ErrorModel:
        """A copy with some fields changed, e.g. ``errors.with_(discrepancy=0.0)``."""
        return replace(self, **changes)


def load_error_model(path: str | Path | None = None, plan=None) -> ErrorModel:
    """Read and validate a plan's ``expost.toml`` (the default plan's when neither is given) or another file.

    Raises
    ------
    ParameterError
        Listing every problem (missing class, value outside its range, missing source …).

    Examples
    --------
    >>> em = load_error_model()
    >>> em.scale["OS"] < em.scale["OG"] < em.scale["NR"] < em.scale["SE"]
    True
    """
    if path is None:
        from jdmodel.params.plan import load_plan

        path = load_plan(plan).file("expost")
    path = Path(path)
    data = read_toml(path)
    probs = Problems(str(path))
    rules.fields(data, "", probs, allowed=("scale", "discrepancy", "share", "likelihood"),
                 required=("scale", "discrepancy"))
    table = data.get("scale", {})
    scale = {}
    if rules.fields(table, "scale", probs, allowed=tuple(CLASSES), required=tuple(CLASSES)):
        scale = {c: _number(table[c], f"scale.{c}", probs, SCALE) for c in CLASSES if c in table}
    disc = _number(data.get("discrepancy"), "discrepancy", probs, DISCREPANCY) if "discrepancy" in data else None
    shares: dict[str, dict[str, float]] = {"h1": {}, "jan_oct": {}}
    share = data.get("share", {})
    if rules.fields(share, "share", probs, allowed=tuple(shares)):
        for kind in shares:
            by_family = share.get(kind, {})
            if not rules.fields(by_family, f"share.{kind}", probs, allowed=FAMILIES):
                continue
            for fam, entry in by_family.items():
                if fam in FAMILIES:
                    shares[kind][fam] = _number(entry, f"share.{kind}.{fam}", probs, _share_bounds())
    lik = data.get("likelihood", {})
    flags, exclude = {}, []
    if rules.fields(lik, "likelihood", probs, allowed=("use_growth", "drop_redundant_totals", "exclude")):
        exclude = lik.get("exclude", [])
        if not (isinstance(exclude, list) and all(isinstance(x, str) for x in exclude)):
            probs.add("likelihood.exclude", f"expected a list of observation ids (strings), got {exclude!r}")
            exclude = []
        for name, default in (("use_growth", False), ("drop_redundant_totals", True)):
            flags[name] = lik.get(name, default)
            if not isinstance(flags[name], bool):
                probs.add(f"likelihood.{name}", f"expected true or false, got {flags[name]!r}")
    probs.raise_if_any("invalid ex-post error model")
    return ErrorModel(scale=scale, discrepancy=disc, h1_share=shares["h1"], jan_oct_share=shares["jan_oct"],
                      exclude=tuple(exclude), file=str(path), **flags)


#: a class's log-scale standard deviation: positive, at most 2 (a factor e² ≈ 7 at one standard deviation)
SCALE = rules.Bounds(0.0, 2.0, open_min=True)
#: the model discrepancy (log scale): zero allowed
DISCREPANCY = rules.Bounds(0.0, 2.0)


def _share_bounds() -> rules.Bounds:
    """A within-year share: the bounds of the scenario's ``within_year`` keys (below 1: never a full year)."""
    from jdmodel.params.leaf import bounds_of
    from jdmodel.params.schema import SCHEMA

    return bounds_of(SCHEMA["within_year.{span}.{year}"])


def _number(table, key: str, probs: Problems, bounds: rules.Bounds) -> float | None:
    """A ``{ value, unit = "1", low, high, source }`` table (a log-scale standard deviation or a share)."""
    got = rules.quantity(table, key, probs, bounds, factor_of=lambda u: 1.0 if u.strip() == "1" else None,
                         unit_text='"1" (a log-scale standard deviation is a relative error; a share a fraction)',
                         canon="1")
    return None if got is None else got[0]


# --- the operator -----------------------------------------------------------------------------
def family(indicator: str) -> str:
    """``gdp`` for district value added, ``output`` for the plan's own indicators."""
    return "gdp" if indicator == "gdp" else "output"


def share_keys(plan) -> dict[tuple[int, int, int], str]:
    """Months and year ``(first, last, year)`` → the scenario parameter of that within-year share.

    Every ``within_year.<span>.<year>`` key the schema allows for the plan's years.
    """
    from jdmodel.params.schema import SPANS

    return {(m0, m1, y): f"within_year.{name}.{y}" for name, (m0, m1) in SPANS.items() for y in plan.years.all}


def scenario_shares(sc, values=None) -> dict[tuple[int, int, int], object]:
    """The within-year shares a scenario sets, keyed ``(first month, last month, year)``.

    Per draw when ``values`` holds them (arrays or DataArrays over ``draw``).
    """
    out = {}
    for key3, key in share_keys(sc.plan).items():
        if values is not None and key in values:
            out[key3] = values[key]
        elif key in sc.params:
            out[key3] = float(sc[key])
    return out


def indicator_path(ds: xr.Dataset, indicator: str) -> xr.DataArray | None:
    """The model's annual path of an observed indicator, or None when this run lacks it.

    ``output.<sector>`` selects a sector of ``output``; ``gdp`` is ``io_value_added`` summed
    over ``io_sector`` (present only when the run included the input–output block).
    """
    if indicator == "gdp":
        return ds["io_value_added"].sum("io_sector") if "io_value_added" in ds else None
    if indicator.startswith("output."):
        sector = indicator.split(".", 1)[1]
        if "output" in ds and sector in ds["sector"].values:
            return ds["output"].sel(sector=sector, drop=True)
        return None
    if indicator in ds and set(ds[indicator].dims) <= {"draw", "year"}:
        return ds[indicator]
    return None


def within_year_share(obs: Observation, errors: ErrorModel, shares=None):
    """``(share, description)`` for the observation's period, or ``(None, reason)`` when there is none.

    ``shares`` maps ``(first month, last month, year)`` to the scenario's within-year share of the
    plan's own indicators (a number, or a DataArray over ``draw``; :func:`scenario_shares`); the
    error model's ``share.<kind>.<family>`` tables override them for a family, every year.
    """
    p, fam = obs.period, family(obs.indicator)
    if p.full_year:
        return 1.0, "annual"
    months = (p.first_month, p.last_month)
    shares = shares or {}
    if months == (1, 10) and fam in errors.jan_oct_share:
        share = errors.jan_oct_share[fam]
        return share, f"annual × {_fmt_share(share)} Jan–Oct share (expost.toml)"
    own = shares.get((*months, p.year)) if fam == "output" else None
    if own is not None:
        return own, f"annual × {_fmt_share(own)} share of {months[0]:02d}..{months[1]:02d} {p.year} (scenario)"
    if months == (7, 12) and fam == "output" and (1, 6, p.year) in shares:
        h1 = shares[(1, 6, p.year)]
        return 1.0 - h1, f"annual × (1 − {_fmt_share(h1)} H1 {p.year} share) (scenario)"
    if months in ((1, 6), (7, 12)):
        h1 = errors.h1_share.get(fam)
        if h1 is None:
            return None, f"half-year figure but no share.h1.{fam} in the error model"
        share = h1 if months == (1, 6) else 1.0 - h1
        return share, f"annual × {share:.3f} {'H1' if months == (1, 6) else '1 − H1'} share"
    return None, f"no within-year share for months {p.first_month:02d}..{p.last_month:02d} of {p.year}"


def _fmt_share(share) -> str:
    if isinstance(share, xr.DataArray) and share.size > 1:
        return f"{float(share.mean()):.3f} (mean over draws)"
    return f"{float(share):.3f}"


def observe(path: xr.DataArray, obs: Observation, share) -> xr.DataArray:
    """Apply the operator: the model's value of what ``obs`` measured.

    Parameters
    ----------
    path : DataArray
        Annual model path over ``year`` (optionally ``draw``), in the observation's unit.
    obs : Observation
        The published figure (its period picks the year).
    share : float or DataArray
        Within-year share of the period (1 for a full year), from :func:`within_year_share`.

    Examples
    --------
    >>> import xarray as xr
    >>> from jdmodel.params.observed import Observation, Period
    >>> path = xr.DataArray([100.0, 120.0], coords={"year": [2020, 2021]}, dims="year")
    >>> o = Observation("x", "online_economy_output", Period(2021, 1, 10), 99.0, "亿元", "OS", {})
    >>> float(observe(path, o, 0.8))
    96.0
    """
    if not obs.period.full_year and (share is None or (np.ndim(share) == 0 and float(share) == 1.0)):
        raise ValueError(f"observation {obs.id}: a partial-year figure ({obs.period}) needs a within-year "
                         "share below 1; it is never compared with a full-year value")
    return path.sel(year=obs.year, drop=True) * share


@dataclass
class Term:
    """One comparison of the likelihood: a level (or a censored bound, or a growth rate)."""

    obs: Observation
    kind: str                 # "level", "lower", "upper" or "growth"
    model: xr.DataArray       # model value (scalar, or over draw)
    observed: float           # the published value (for growth: 1 + g)
    sd: float                 # log-scale standard deviation
    how: str
    used: bool = True
    note: str = ""

    @property
    def id(self) -> str:
        return self.obs.id + ("/growth" if self.kind == "growth" else "")

    def log_error(self) -> xr.DataArray:
        """``ln(model) − ln(observed)`` (NaN where the model value is not positive)."""
        m = self.model.where(self.model > 0)
        return np.log(m) - math.log(self.observed)

    def z(self) -> xr.DataArray:
        return self.log_error() / self.sd

    def log_likelihood(self) -> xr.DataArray:
        """Log density of the observation given the model (a normal CDF for a bound)."""
        z = self.z().fillna(-np.inf if self.kind == "lower" else np.inf)
        if self.kind == "lower":
            return xr.apply_ufunc(log_ndtr, z)
        if self.kind == "upper":
            return xr.apply_ufunc(log_ndtr, -z)
        return -0.5 * z**2 - math.log(self.sd) - _LOG_SQRT_2PI

    def residual(self) -> xr.DataArray:
        """Least-squares residual whose square is −2 × log-likelihood (up to a constant)."""
        if self.kind in ("lower", "upper"):
            # unsigned: a signed root would jump at z = 0 (−2 ln Φ(0) = 2 ln 2 > 0) and spoil the Jacobian
            sign = 1.0 if self.kind == "lower" else -1.0
            z = sign * self.z().fillna(-40.0 * sign)
            return np.sqrt(np.maximum(-2.0 * xr.apply_ufunc(log_ndtr, z), 0.0))
        return self.z().fillna(1e3)


@dataclass(frozen=True)
class Skipped:
    """An observation that was not compared, and why."""

    obs: Observation
    reason: str


@dataclass
class Matched:
    """Every observation either matched to a model value (``terms``) or skipped with a reason."""

    terms: list[Term]
    skipped: list[Skipped]

    def used(self) -> list[Term]:
        return [t for t in self.terms if t.used]


def match(ds: xr.Dataset, observations: Iterable[Observation], errors: ErrorModel, *, shares=None,
          totals: Mapping[str, Sequence[str]] | None = None) -> Matched:
    """Set every observation beside the model value it measured (or skip it, saying why).

    Parameters
    ----------
    ds : Dataset
        A run of :func:`jdmodel.simulate` (central or with ``draw``).
    observations : iterable of Observation
    errors : ErrorModel
    shares : mapping
        Months ``(first, last)`` → the scenario's within-year share (per draw for an ensemble);
        see :func:`scenario_shares`.
    totals : mapping
        Total indicator → the sectors it sums: a total whose components are all observed for the
        same period is kept in the table but left out of the likelihood.
    """
    terms, skipped = [], []
    years = set(int(y) for y in ds["year"].values)
    for obs in observations:
        reason, path = _skip_reason(ds, obs, years)
        if reason:
            skipped.append(Skipped(obs, reason))
            continue
        share, how = within_year_share(obs, errors, shares)
        if share is None:
            skipped.append(Skipped(obs, how))
            continue
        model = observe(path, obs, share)
        kind = {"lower": "lower", "upper": "upper"}.get(obs.bound or "", "level")
        if bool(np.isnan(model).all()):
            skipped.append(Skipped(obs, f"the model has no value for {obs.year}"))
            continue
        terms.append(Term(obs, kind, model, obs.value, errors.sd(obs.cls), how))
        if errors.use_growth and obs.growth is not None and kind == "level":
            if obs.year - 1 in years and 1.0 + obs.growth > 0:
                ratio = path.sel(year=obs.year, drop=True) / path.sel(year=obs.year - 1, drop=True)
                terms.append(Term(obs, "growth", ratio, 1.0 + obs.growth, errors.sd(obs.cls),
                                  "model Y(t)/Y(t−1) (the within-year share cancels)"))
    _mark_unused(terms, errors, totals or {})
    return Matched(terms, skipped)


def _skip_reason(ds: xr.Dataset, obs: Observation, years: set[int]):
    if obs.value is None or not math.isfinite(obs.value):
        return "missing value (skipped, never read as 0)", None
    if obs.value <= 0:
        return f"value {obs.value:g} ≤ 0 cannot be compared on a log scale (leave a missing figure out)", None
    path = indicator_path(ds, obs.indicator)
    if path is None:
        if obs.indicator == "gdp":
            return "gdp needs the input–output block (io_value_added), absent from this run", None
        return f"indicator {obs.indicator!r} is not produced by the model", None
    if obs.year not in years:
        return f"{obs.year} lies outside the model years {min(years)}–{max(years)}", None
    return "", path


def _mark_unused(terms: list[Term], errors: ErrorModel, totals: Mapping[str, Sequence[str]]) -> None:
    for t in terms:
        if t.obs.id in errors.exclude:
            t.used, t.note = False, "excluded in the error model"
    if not (errors.drop_redundant_totals and totals):
        return
    by_period: dict[tuple[str, str], Term] = {(t.obs.indicator, str(t.obs.period)): t
                                              for t in terms if t.kind == "level" and t.used}
    for t in terms:
        if t.obs.indicator not in totals or not t.used:
            continue
        parts = [by_period.get((f"output.{s}", str(t.obs.period))) for s in totals[t.obs.indicator]]
        if all(p is not None for p in parts):
            same = [p for p in terms if p.obs.id == t.obs.id]
            for s in same:
                s.used = False
                s.note = "not in the likelihood: sum of " + ", ".join(p.obs.id for p in parts)


def observations(observed, plan=None) -> tuple[Observation, ...]:
    """Observations: a plan's (``None`` = ``plan``'s, or a plan name/folder), a file path, or a sequence of them."""
    if observed is None:
        from jdmodel.params.plan import load_plan

        return load_plan(plan).observations
    if isinstance(observed, str | Path):
        return load_observed(observed)
    obs = tuple(observed)
    if not all(isinstance(o, Observation) for o in obs):
        raise ParameterError("observed: expected a name, a path or a sequence of Observation objects")
    return obs
